// TCP and UDP through the egress guard: raw hosts (as a TCP, WHOIS or SIP check takes them) are
// normalized and checked like URLs, and the socket is connected to the address that was checked.
import { createSocket } from 'node:dgram'
import type { Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createEgress } from '../../src/net'
import { type Listening, network, tcpServer } from './servers'

const open: Listening[] = []
const sockets: Socket[] = []
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy()
  await Promise.all(open.splice(0).map((server) => server.close()))
})
const serve = async (server: Promise<Listening>) => {
  const listening = await server
  open.push(listening)
  return listening
}
const keep = (socket: Socket) => {
  sockets.push(socket)
  return socket
}

describe('connect', () => {
  it.each(['127.0.0.1', '127.1', '0x7f.1', '2130706433', '0177.0.0.1', '[::ffff:127.0.0.1]', '::1', 'localhost'])(
    'refuses %s without connecting',
    async (host) => {
      const server = await serve(tcpServer())
      await expect(createEgress().connect({ host, port: server.port })).rejects.toMatchObject({
        reason: 'private_address',
      })
      expect(server.connections).toBe(0)
    },
  )

  it.each([
    ['tcp.test', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
  ])('connects %s to the checked address %s', async (host, address) => {
    const server = await serve(tcpServer())
    const egress = createEgress(network({ 'tcp.test': '127.0.0.1' }, ['127.0.0.1']).options)
    const [checked] = await egress.resolve(host)
    const socket = keep(await egress.connect({ host, port: server.port }))
    expect(checked.address).toBe(address)
    expect(socket.remoteAddress).toBe(address)
    expect(server.connections).toBe(1)
  })

  it('DNS rebinding: connects to the checked answer, never asks again', async () => {
    const server = await serve(tcpServer())
    const trap = await serve(tcpServer(undefined, '127.0.0.2', server.port))
    let answer = '127.0.0.1'
    const { options, calls } = network({ 'rebind.test': () => answer }, ['127.0.0.1'])
    const connecting = createEgress(options).connect({ host: 'rebind.test', port: server.port })
    answer = '127.0.0.2'
    expect(keep(await connecting).remoteAddress).toBe('127.0.0.1')
    expect(calls).toEqual(['rebind.test'])
    expect(trap.connections).toBe(0)
  })

  it('refuses metadata even with allowPrivateAddresses, in any spelling', async () => {
    const egress = createEgress({ allowPrivateAddresses: true })
    for (const host of ['169.254.169.254', '0251.0376.0251.0376', '2852039166', '[::ffff:a9fe:a9fe]'])
      await expect(egress.connect({ host, port: 80 })).rejects.toMatchObject({ reason: 'metadata_address' })
  })

  it('names a bad port, a bad host and a refused connection', async () => {
    const egress = createEgress({ allowPrivateAddresses: true })
    for (const port of [0, 65536, 1.5, Number.NaN])
      await expect(egress.connect({ host: '127.0.0.1', port })).rejects.toMatchObject({ reason: 'invalid' })
    await expect(egress.connect({ host: 'a/b', port: 80 })).rejects.toMatchObject({ reason: 'invalid' })
    const gone = await tcpServer()
    await gone.close()
    await expect(egress.connect({ host: '127.0.0.1', port: gone.port })).rejects.toThrow(
      '127.0.0.1: connection refused (ECONNREFUSED)',
    )
  })
})

describe('exchange', () => {
  const egress = createEgress(network({ 'whois.test': '127.0.0.1' }, ['127.0.0.1']).options)

  it('sends a query and reads the answer until the server closes (WHOIS)', async () => {
    const server = await serve(
      tcpServer((socket) => socket.once('data', (query) => socket.end(`Domain Name: ${query.toString().trim()}\r\n`))),
    )
    const answer = await egress.exchange({ host: 'whois.test', port: server.port, send: 'example.com\r\n' })
    expect(answer.data.toString()).toBe('Domain Name: example.com\r\n')
    expect(answer.address).toBe('127.0.0.1')
    expect(answer.timings.totalMs).toBeGreaterThanOrEqual(answer.timings.connectMs)
  })

  it('stops where `until` says the answer is complete', async () => {
    const server = await serve(tcpServer((socket) => socket.write('SIP/2.0 200 OK\r\n\r\n')))
    const answer = await egress.exchange({
      host: 'whois.test',
      port: server.port,
      until: (received) => received.includes('\r\n\r\n'),
    })
    expect(answer.data.toString()).toBe('SIP/2.0 200 OK\r\n\r\n')
  })

  it('cuts an endless answer at maxBytes, and a silent server at timeoutMs', async () => {
    const endless = await serve(
      tcpServer((socket) => {
        const chunk = Buffer.alloc(16 * 1024, 'x')
        const pump = () => {
          while (!socket.destroyed && socket.write(chunk));
        }
        socket.on('drain', pump)
        socket.on('error', () => {})
        pump()
      }),
    )
    await expect(egress.exchange({ host: 'whois.test', port: endless.port, maxBytes: 50_000 })).rejects.toThrow(
      'whois.test: the answer is larger than 50000 bytes',
    )
    const silent = await serve(tcpServer())
    await expect(egress.exchange({ host: 'whois.test', port: silent.port, timeoutMs: 200 })).rejects.toThrow(
      'whois.test: no complete answer within 200 ms',
    )
  })
})

describe('target (UDP, ping)', () => {
  it('gives the checked address to send to, or refuses', async () => {
    const server = createSocket('udp4')
    const received = new Promise<string>((resolve) => server.once('message', (message) => resolve(message.toString())))
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve))
    try {
      const egress = createEgress(network({ 'sip.test': '127.0.0.1' }, ['127.0.0.1']).options)
      const target = await egress.target('sip.test')
      expect(target).toEqual({ address: '127.0.0.1', family: 4 })
      const client = createSocket('udp4')
      client.send('OPTIONS sip:sip.test SIP/2.0\r\n', server.address().port, target.address, () => client.close())
      expect(await received).toMatch(/^OPTIONS/)
      const unknown = createEgress({ resolve: network({}).options.resolve })
      await expect(unknown.target('sip.test')).rejects.toMatchObject({ reason: 'dns' })
      await expect(createEgress().target('10.1')).rejects.toMatchObject({
        reason: 'private_address',
        address: '10.0.0.1',
      })
    } finally {
      server.close()
    }
  })
})
