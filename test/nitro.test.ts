// toNitroHandler without the frameworks: a node:http server hands it an h3 v1-shaped event, the way
// nitropack 2's router does, and sends the Response back. The real nitropack 2 and Nuxt run in
// `npm run test:frameworks`.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, test } from 'vitest'
import { type H3V1Event, type NitroHandlerOptions, toNitroHandler } from '../src/nitro'
import { makeTelltale, reply, type TestApp, UUID } from './helpers/app'

let t: TestApp | undefined
let server: http.Server | undefined
afterEach(async () => {
  if (server) {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server!.close(() => resolve()))
  }
  server = undefined
  await t?.close()
  t = undefined
})

/** Serves toNitroHandler as h3 v1 would, with `route` as `event.context.matchedRoute.path`. */
async function serve(
  route: string | undefined,
  options?: NitroHandlerOptions,
  patch?: (event: H3V1Event) => void,
): Promise<string> {
  t = await makeTelltale()
  const handler = toNitroHandler(t.telltale, options)
  server = http.createServer(async (req, res) => {
    const event: H3V1Event = {
      path: req.url!,
      method: req.method!,
      node: { req, res },
      context: route ? { matchedRoute: { path: route } } : {},
    }
    patch?.(event)
    const response = await handler(event)
    res.statusCode = response.status
    for (const [name, value] of response.headers) res.setHeader(name, value)
    res.end(Buffer.from(await response.arrayBuffer()))
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const EVENT = '{"event": "user_signup", "user_id": "123"}'
const post = (url: string, key: string, body: BodyInit = EVENT) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body,
    duplex: 'half',
  } as RequestInit)

test('is an h3 v1 event handler', () => {
  expect(toNitroHandler({ fetch: async () => new Response() }).__is_handler__).toBe(true)
})

describe('the mount prefix', () => {
  test.each([
    ['/telltale/**', '/telltale'],
    ['/telltale/**:path', '/telltale'],
    ['/api/telltale/**', '/api/telltale'],
    ['/:org/telltale/**', '/acme/telltale'],
  ])('derived from the matched route %s', async (route, prefix) => {
    const base = await serve(route)
    expect(await reply(await post(`${base}${prefix}/api/events`, t!.keys.write))).toEqual({
      status: 201,
      body: { success: true, event_id: expect.stringMatching(UUID) },
    })
    expect(
      (await fetch(`${base}${prefix}/api/v1/events?limit=1`, { headers: { authorization: `Bearer ${t!.keys.read}` } }))
        .status,
    ).toBe(200)
  })

  test('given explicitly (it wins over the matched route)', async () => {
    const base = await serve('/other/**', { prefix: '/stats/' })
    expect((await post(`${base}/stats/api/events`, t!.keys.write)).status).toBe(201)
  })

  test('none: the path is passed on as it is', async () => {
    const base = await serve(undefined)
    expect((await post(`${base}/api/events`, t!.keys.write)).status).toBe(201)
  })
})

describe('bodies', () => {
  test('a body over the limit is 413, streamed or announced, and the connection stays usable', async () => {
    const base = await serve('/telltale/**')
    const big = JSON.stringify({ event: 'big', metadata: { pad: 'x'.repeat(1.1 * 1024 * 1024) } })
    const streamed = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big))
        controller.close()
      },
    })
    expect((await post(`${base}/telltale/api/events`, t!.keys.write, big)).status).toBe(413)
    expect((await post(`${base}/telltale/api/events`, t!.keys.write, streamed)).status).toBe(413)
    for (let i = 0; i < 3; i++) expect((await post(`${base}/telltale/api/events`, t!.keys.write)).status).toBe(201)
    expect(await t!.count()).toBe(3)
  })

  test('a body already read (Nitro internal $fetch, a body parser) is taken from req.body', async () => {
    const base = await serve('/telltale/**', undefined, (event) => {
      event.node.req.body = { event: 'parsed', user_id: '7' }
      event.node.req.resume()
    })
    const { body } = await reply(await post(`${base}/telltale/api/events`, t!.keys.write, '{"ignored": true}'))
    expect(await t!.telltale.api.getEvent({ projectId: t!.project.id, id: body.event_id })).toMatchObject({
      name: 'parsed',
      userId: '7',
    })
  })

  test('on a web runtime, event.web.request is used with the prefix cut', async () => {
    t = await makeTelltale()
    const handler = toNitroHandler(t.telltale)
    const request = new Request('http://host/telltale/api/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.keys.write}` },
      body: EVENT,
    })
    const event = {
      path: '/telltale/api/events',
      method: 'POST',
      node: { req: {} as any },
      web: { request },
      context: { matchedRoute: { path: '/telltale/**' } },
    }
    expect((await handler(event)).status).toBe(201)
  })
})
