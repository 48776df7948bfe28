// Public routes, non-JSON replies, suffixed path segments and streamed exports, through a test
// surface (./index.ts), on the h3 path (telltale.fetch, and toNodeHandler for routes with path
// parameters) and on toNodeHandler's direct path, on every adapter. Also the `surfaces` and
// `trustProxy` options.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTelltale, isTelltaleError } from 'telltale'
import { sqliteStorage } from 'telltale/adapters/sqlite'
import { toNodeHandler } from 'telltale/node'
import { afterEach, describe, expect, test } from 'vitest'
import { countEvents } from '../../../src/events'
import { defineRoute, defineSurface, SURFACES } from '../../../src/surfaces'
import { type MakeOptions, makeTelltale, reply, type TestApp } from '../../helpers/app'
import { pages } from '.'

let t: TestApp | undefined
let server: http.Server | undefined
afterEach(async () => {
  server?.closeAllConnections()
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)))
  server = undefined
  await t?.close()
  t = undefined
})

/** An app with the pages surface, served by toNodeHandler on a port of 127.0.0.1. */
async function serve(options: MakeOptions = {}): Promise<{ app: TestApp; url: (path: string) => string }> {
  const app = await makeTelltale({ surfaceList: [...SURFACES, pages], ...options })
  t = app
  server = http.createServer(toNodeHandler(app.telltale))
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { app, url: (path) => `http://127.0.0.1:${port}${path}` }
}

const json = async (response: Response) => ({ status: response.status, body: await response.json() })

describe('public routes', () => {
  test('need no credential, name their project from the path, and ignore a wrong one', async () => {
    const { url } = await serve()
    expect(await json(await fetch(url('/pages/acme')))).toEqual({ status: 200, body: { name: 'Acme' } })
    const withBadKey = await fetch(url('/pages/other'), { headers: { authorization: 'Bearer tt_wrong' } })
    expect(await json(withBadKey)).toEqual({ status: 200, body: { name: 'Other' } })
    expect(await json(await fetch(url('/pages/nobody')))).toEqual({ status: 404, body: { error: 'Page not found.' } })
    expect(await json(await fetch(url('/pages-export.csv?slug=acme&rows=0')))).toMatchObject({ status: 422 })
  })

  test('count their rate limit per client address: the socket, or what trusted proxies report', async () => {
    const { url } = await serve({ trustProxy: 1 })
    const from = (forwardedFor: string) => fetch(url('/pages/acme'), { headers: { 'x-forwarded-for': forwardedFor } })
    for (let i = 0; i < 3; i++) expect((await from('198.51.100.7')).status).toBe(200)
    const limited = await from('198.51.100.7')
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('60')
    expect(await limited.json()).toEqual({ error: expect.stringMatching(/^Rate limit exceeded/) })
    // Another client is not locked out; a client cannot pose as another by writing the header's left part.
    expect((await from('198.51.100.8')).status).toBe(200)
    expect((await from('198.51.100.8, 198.51.100.7')).status).toBe(429)
    expect((await from('198.51.100.7, 198.51.100.9')).status).toBe(200)
    // IPv6 clients count per /64.
    for (let i = 0; i < 3; i++) expect((await from(`2001:db8:1:2::${i + 1}`)).status).toBe(200)
    expect((await from('2001:db8:1:2:ffff:ffff:ffff:ffff')).status).toBe(429)
    expect((await from('2001:db8:1:3::1')).status).toBe(200)
  })

  test('without trustProxy the header is ignored: every request here comes from 127.0.0.1', async () => {
    const { url } = await serve()
    for (let i = 0; i < 3; i++)
      expect((await fetch(url('/pages/acme'), { headers: { 'x-forwarded-for': `192.0.2.${i}` } })).status).toBe(200)
    expect((await fetch(url('/pages/acme'), { headers: { 'x-forwarded-for': '192.0.2.99' } })).status).toBe(429)
  })
})

describe('non-JSON replies and suffixed segments', () => {
  test('HTML and SVG with their own headers, escaped; `:slug.html` beside `:slug`', async () => {
    const { app, url } = await serve()
    await app.telltale.api.createProject({ name: '<b>Tom & "Jerry"</b>', slug: 'tom' })
    for (const get of [
      (path: string) => fetch(url(path)),
      (path: string) => app.telltale.fetch(new Request(`http://x${path}`)),
    ]) {
      const html = await get('/pages/tom.html')
      expect(html.status).toBe(200)
      expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(html.headers.get('cache-control')).toBe('public, max-age=60')
      const text = await html.text()
      expect(text).toContain('<h1>&#60;b&#62;Tom &#38; &#34;Jerry&#34;&#60;/b&#62;</h1>')
      expect(text).not.toContain('<b>')
      const svg = await get('/pages/tom/badge.svg')
      expect(svg.headers.get('content-type')).toBe('image/svg+xml')
      expect(await svg.text()).toMatch(/^<svg .*&#60;b&#62;Tom/)
      expect(await json(await get('/pages/tom'))).toEqual({ status: 200, body: { name: '<b>Tom & "Jerry"</b>' } })
      expect(await json(await get('/pages/nobody.html'))).toEqual({ status: 404, body: { error: 'Page not found.' } })
    }
    expect(app.telltale.handles('/pages/tom.html', 'GET')).toBe(true)
    expect(app.telltale.handles('/pages/tom/badge.svg', 'GET')).toBe(true)
    expect(app.telltale.handles('/pages/tom/badge.png', 'GET')).toBe(false)
  })

  test.each([
    ['the direct Node path', '/pages-export.csv?slug=acme&rows=550000'],
    ['the h3 path', '/pages/acme/export.csv?rows=550000'],
  ])('a 50 MB CSV streams through %s with bounded memory', async (_path, path) => {
    const { url } = await serve()
    const before = process.memoryUsage()
    let peak = 0
    const sample = setInterval(() => {
      const now = process.memoryUsage()
      peak = Math.max(peak, now.heapUsed + now.arrayBuffers - before.heapUsed - before.arrayBuffers)
    }, 20)
    const response = await fetch(url(path))
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="acme.csv"')
    let bytes = 0
    let tail = ''
    const decoder = new TextDecoder()
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.byteLength
      tail = (tail + decoder.decode(chunk, { stream: true })).slice(-200)
    }
    clearInterval(sample)
    expect(bytes).toBeGreaterThan(50_000_000)
    expect(tail).toMatch(/\n550000,acme,x{80}\n$/)
    // The whole export held at once would be over 50 MB (twice that as a string and its bytes).
    expect(peak).toBeLessThan(30 * 2 ** 20)
  })
})

describe('options', () => {
  const refused = (options: Record<string, unknown>) => {
    try {
      createTelltale({ storage: sqliteStorage({ file: ':memory:' }), ...options })
    } catch (error) {
      return isTelltaleError(error) ? `${error.kind}: ${error.message}` : String(error)
    }
    return 'accepted'
  }

  test('surfaces: { flux: false } leaves Flux out, and claims none of its routes', async () => {
    t = await makeTelltale({ surfaces: { flux: false } })
    expect(t.telltale.handles('/api/v1/events', 'POST')).toBe(false)
    expect(t.telltale.handles('/api/events', 'POST')).toBe(true)
    expect((await t.post('/api/v1/events', { name: 'x' })).status).toBe(404)
    expect(await reply(await t.post('/api/events', { event: 'x' }))).toMatchObject({ status: 201 })
    expect(t.telltale.handles('/api/auth/login', 'POST')).toBe(true)
    await t.close()
    t = await makeTelltale({ surfaces: { statusCore: false } })
    expect(t.telltale.handles('/api/auth/login', 'POST')).toBe(false)
    expect(t.telltale.handles('/api/v1/events', 'POST')).toBe(true)
  })

  test('a wrong surfaces or trustProxy option says what to write', () => {
    expect(refused({ surfaces: { fluxx: false } })).toBe(
      'config: telltale: surfaces.fluxx is not a surface; the surfaces are statusBlocks, statusBlocksMetrics, flux, statusCore, e.g. { surfaces: { flux: false } }',
    )
    expect(refused({ surfaces: { flux: 'off' } })).toBe(
      'config: telltale: surfaces.flux must be true or false (got "off")',
    )
    expect(refused({ surfaces: ['flux'] })).toMatch(/^config: telltale: createTelltale surfaces must be an object/)
    expect(refused({ trustProxy: true })).toMatch(
      /^config: telltale: createTelltale trustProxy must be the number of proxies/,
    )
    expect(refused({ trustProxy: -1 })).toMatch(/^config: telltale: createTelltale trustProxy/)
    expect(refused({ trustProxy: 2, surfaces: { flux: true } })).toBe('accepted')
  })

  test('a wrong secret, location or network option says what to write', () => {
    expect(refused({ secret: 'short' })).toMatch(
      /^config: telltale: createTelltale secret must be a string of at least 32/,
    )
    expect(refused({ location: 'eu frankfurt' })).toMatch(/^config: telltale: createTelltale location must be an id/)
    expect(refused({ location: { id: 'eu', name: '' } })).toMatch(/location must be an id/)
    expect(refused({ location: { id: 'eu', name: 'EU', extra: 1 } })).toMatch(/location must be an id/)
    expect(refused({ network: { allowPrivate: true } })).toMatch(
      /^config: telltale: network has no option "allowPrivate"/,
    )
    expect(
      refused({
        secret: 's'.repeat(32),
        location: { id: 'eu-frankfurt', name: 'EU (Frankfurt)' },
        network: { allowPrivateAddresses: true },
      }),
    ).toBe('accepted')
    expect(refused({ location: 'us-east_1' })).toBe('accepted')
  })

  test('a public route whose operation takes a projectId is refused', () => {
    const leaky = defineSurface({
      id: 'leaky',
      prefixes: ['/leaky'],
      errors: pages.errors,
      routes: [defineRoute({ method: 'GET', path: '/leaky', public: true, operation: countEvents, reply: (r) => r })],
    })
    expect(refused({ surfaceList: [...SURFACES, leaky] })).toBe(
      'config: telltale: GET /leaky of the leaky surface is public, but its operation takes a projectId: a public route names its project from its path',
    )
  })
})
