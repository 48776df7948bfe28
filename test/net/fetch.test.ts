// HTTP through the egress guard, against local servers only: names are answered by
// network.resolve, and a refused address is shown never to have been connected to.
import type { IncomingHttpHeaders } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { createEgress } from '../../src/net'
import { closed, httpServer, type Listening, network, tcpServer } from './servers'

const open: Listening[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((server) => server.close()))
})
const serve = async (server: Promise<Listening>) => {
  const listening = await server
  open.push(listening)
  return listening
}

/** A server on 127.0.0.1 that answers what it was asked, and a trap on 127.0.0.2 at the same port. */
async function withTrap(redirectTo?: (port: number) => string) {
  const seen: Array<{ method?: string; url?: string; headers: IncomingHttpHeaders }> = []
  const server = await serve(
    httpServer((req, res) => {
      seen.push({ method: req.method, url: req.url, headers: req.headers })
      if (req.url === '/away' && redirectTo) return res.writeHead(302, { location: redirectTo(server.port) }).end()
      res.end(`hello from ${req.socket.localAddress}`)
    }),
  )
  const trap = await serve(tcpServer(undefined, '127.0.0.2', server.port))
  return { server, trap, seen }
}

describe('fetch: the check comes before the connection', () => {
  it.each(['127.0.0.1', '0x7f.1', '2130706433', '0177.0.0.1', '127.1', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]'])(
    'refuses http://%s/ without connecting',
    async (host) => {
      const { server } = await withTrap()
      await expect(createEgress().fetch(`http://${host}:${server.port}/`)).rejects.toMatchObject({
        reason: 'private_address',
      })
      expect(server.connections).toBe(0)
    },
  )

  it('refuses a name that resolves to a private address (localhost through the system resolver too)', async () => {
    const { server } = await withTrap()
    const { options } = network({ 'intranet.test': '127.0.0.1' })
    await expect(createEgress(options).fetch(`http://intranet.test:${server.port}/`)).rejects.toThrow(
      'intranet.test resolves to 127.0.0.1, a loopback address (127.0.0.0/8)',
    )
    await expect(createEgress().fetch(`http://localhost:${server.port}/`)).rejects.toMatchObject({
      reason: 'private_address',
    })
    expect(server.connections).toBe(0)
  })

  it('allowPrivateAddresses opens loopback, never metadata', async () => {
    const { server, seen } = await withTrap()
    const { options } = network({ 'public.test': '127.0.0.1', 'metadata.test': '169.254.169.254' }, true)
    const egress = createEgress(options)
    const response = await egress.fetch(`http://public.test:${server.port}/path?q=1`)
    expect(response).toMatchObject({
      status: 200,
      url: `http://public.test:${server.port}/path?q=1`,
      address: '127.0.0.1',
    })
    expect(response.body.toString()).toBe('hello from 127.0.0.1')
    expect(seen[0].headers.host).toBe(`public.test:${server.port}`)
    expect(response.timings.totalMs).toBeGreaterThanOrEqual(response.timings.firstByteMs)
    await expect(egress.fetch('http://metadata.test/latest/meta-data/')).rejects.toMatchObject({
      reason: 'metadata_address',
    })
    await expect(egress.fetch('http://[fd00:ec2::254]/')).rejects.toMatchObject({ reason: 'metadata_address' })
  })

  it('connects to the address it checked, over IPv6 too', async () => {
    const server = await serve(httpServer((req, res) => res.end(req.headers.host), '::1'))
    const { options } = network({ 'six.test': '::1' }, ['::1'])
    const response = await createEgress(options).fetch(`http://six.test:${server.port}/`)
    expect(response.address).toBe('::1')
    expect(response.body.toString()).toBe(`six.test:${server.port}`)
    const literal = await createEgress(options).fetch(`http://[::1]:${server.port}/`)
    expect(literal.body.toString()).toBe(`[::1]:${server.port}`)
  })

  it('DNS rebinding: connects to the checked answer, never asks again', async () => {
    const { server, trap } = await withTrap()
    let answer = '127.0.0.1'
    const { options, calls } = network({ 'rebind.test': () => answer }, ['127.0.0.1'])
    const egress = createEgress(options)
    const asked = egress.fetch(`http://rebind.test:${server.port}/`, { timeoutMs: 2000 })
    answer = '127.0.0.2' // the name now points inside: any second lookup would find the trap
    const response = await asked
    expect(response.body.toString()).toBe('hello from 127.0.0.1')
    expect(calls).toEqual(['rebind.test'])
    expect(trap.connections).toBe(0)
    // The next request asks again, and that answer is checked and refused.
    await expect(egress.fetch(`http://rebind.test:${server.port}/`)).rejects.toMatchObject({
      reason: 'private_address',
    })
    expect(trap.connections).toBe(0)
  })
})

describe('fetch: redirects', () => {
  it.each([
    ['a private literal', (port: number) => `http://127.0.0.2:${port}/`, 'private_address'],
    ['an IPv4-mapped literal', (port: number) => `http://[::ffff:127.0.0.2]:${port}/`, 'private_address'],
    ['an octal spelling', (port: number) => `http://0177.0.0.2:${port}/`, 'private_address'],
    ['a name that resolves inside', (port: number) => `http://inside.test:${port}/`, 'private_address'],
    ['the metadata address', () => 'http://169.254.169.254/latest/meta-data/', 'metadata_address'],
  ])('checks the target of each redirect: %s is refused before any connection', async (_, target, reason) => {
    const { server, trap, seen } = await withTrap(target)
    const { options } = network({ 'public.test': '127.0.0.1', 'inside.test': '127.0.0.2' }, ['127.0.0.1'])
    // A short timeout: a guard that let the redirect through would hang on the trap, not pass.
    const fetching = createEgress(options).fetch(`http://public.test:${server.port}/away`, { timeoutMs: 2000 })
    await expect(fetching).rejects.toMatchObject({ reason })
    expect(seen.map((request) => request.url)).toEqual(['/away'])
    expect(trap.connections).toBe(0)
  })

  it('follows allowed redirects: 303 turns a POST into a GET, credentials stay on their origin', async () => {
    const other = await serve(
      httpServer((req, res) => res.end(`${req.method} ${req.headers.authorization ?? '-'} ${req.headers.host}`)),
    )
    const first = await serve(
      httpServer((req, res) => {
        if (req.url === '/post') return res.writeHead(303, { location: '/same' }).end()
        if (req.url === '/same') return res.writeHead(307, { location: `http://other.test:${other.port}/there` }).end()
        res.end()
      }),
    )
    const { options } = network({ 'public.test': '127.0.0.1', 'other.test': '127.0.0.1' }, true)
    const response = await createEgress(options).fetch(`http://public.test:${first.port}/post`, {
      method: 'POST',
      body: 'x=1',
      headers: {
        Authorization: 'Bearer secret',
        'Content-Type': 'application/x-www-form-urlencoded',
        Host: `public.test:${first.port}`,
      },
    })
    expect(response.url).toBe(`http://other.test:${other.port}/there`)
    expect(response.body.toString()).toBe(`GET - other.test:${other.port}`)
  })

  it('stops after maxRedirects, and returns a redirect as it is with redirect: manual', async () => {
    const server = await serve(httpServer((_, res) => res.writeHead(302, { location: '/again' }).end()))
    const { options } = network({ 'loop.test': '127.0.0.1' }, true)
    const egress = createEgress(options)
    await expect(egress.fetch(`http://loop.test:${server.port}/`, { maxRedirects: 3 })).rejects.toMatchObject({
      reason: 'too_many_redirects',
      message: 'loop.test: more than 3 redirects',
    })
    expect(server.connections).toBe(4)
    const manual = await egress.fetch(`http://loop.test:${server.port}/`, { redirect: 'manual' })
    expect(manual).toMatchObject({ status: 302, headers: { location: '/again' } })
  })
})

describe('fetch: time and size', () => {
  const local = network({ 'slow.test': '127.0.0.1' }, true).options

  it('gives up on a server that never answers', async () => {
    const server = await serve(tcpServer())
    const started = performance.now()
    await expect(createEgress(local).fetch(`http://slow.test:${server.port}/`, { timeoutMs: 300 })).rejects.toThrow(
      'slow.test: no complete answer within 300 ms',
    )
    expect(performance.now() - started).toBeLessThan(2000)
    await closed(server.sockets[0])
  })

  it('gives up on a body that trickles', async () => {
    const server = await serve(
      httpServer((_, res) => {
        res.writeHead(200)
        const timer = setInterval(() => res.write('.'), 20)
        res.on('close', () => clearInterval(timer))
      }),
    )
    await expect(
      createEgress(local).fetch(`http://slow.test:${server.port}/`, { timeoutMs: 400 }),
    ).rejects.toMatchObject({ reason: 'timeout' })
  })

  it('cuts an endless body at maxBytes, and closes the connection', async () => {
    const server = await serve(
      httpServer((_, res) => {
        res.writeHead(200)
        const chunk = Buffer.alloc(16 * 1024, 'x')
        const pump = () => {
          while (!res.destroyed && res.write(chunk));
        }
        res.on('drain', pump)
        pump()
      }),
    )
    const egress = createEgress(local)
    await expect(egress.fetch(`http://slow.test:${server.port}/`, { maxBytes: 100_000 })).rejects.toThrow(
      'slow.test: the response is larger than 100000 bytes',
    )
    await closed(server.sockets[0])
    await expect(egress.fetch(`http://slow.test:${server.port}/`)).rejects.toThrow(
      'slow.test: the response is larger than 1048576 bytes',
    )
  })

  it('refuses a declared length over maxBytes without reading it', async () => {
    const server = await serve(
      httpServer((_, res) => res.writeHead(200, { 'content-length': 50_000_000 }).flushHeaders()),
    )
    const started = performance.now()
    await expect(
      createEgress(local).fetch(`http://slow.test:${server.port}/`, { maxBytes: 1000, timeoutMs: 5000 }),
    ).rejects.toMatchObject({ reason: 'too_large' })
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('stops when the caller aborts', async () => {
    const server = await serve(tcpServer())
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 50)
    await expect(
      createEgress(local).fetch(`http://slow.test:${server.port}/`, { signal: controller.signal }),
    ).rejects.toMatchObject({ reason: 'aborted', message: 'slow.test: aborted' })
  })
})

describe('fetch: what else goes wrong, in one line', () => {
  const local = network({ 'local.test': '127.0.0.1' }, true).options

  it('names a refused connection, a broken answer and a URL that is not http', async () => {
    const nothing = await serve(tcpServer())
    await nothing.close()
    await expect(createEgress(local).fetch(`http://local.test:${nothing.port}/`)).rejects.toMatchObject({
      reason: 'connect',
      message: 'local.test (127.0.0.1): connection refused (ECONNREFUSED)',
    })
    const garbage = await serve(tcpServer((socket) => socket.end('HELLO THERE\r\n\r\n')))
    await expect(createEgress(local).fetch(`http://local.test:${garbage.port}/`)).rejects.toMatchObject({
      reason: 'protocol',
    })
    for (const url of ['ftp://local.test/', 'file:///etc/passwd', 'not a url'])
      await expect(createEgress(local).fetch(url)).rejects.toMatchObject({ reason: 'invalid' })
  })
})
