// Over a real socket: node:http + toNodeHandler, with global fetch and raw http.request.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { toNodeHandler } from 'telltale/node'
import { afterEach, describe, expect, test } from 'vitest'
import { makeTelltale, reply, type TestApp, UUID } from '../helpers/app'

let t: TestApp
let server: http.Server | undefined
afterEach(async () => {
  if (server) await stop(server)
  server = undefined
  await t.close()
})

async function listen(handler: http.RequestListener): Promise<string> {
  server = http.createServer(handler)
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function stop(s: http.Server): Promise<void> {
  s.closeAllConnections()
  return new Promise((resolve, reject) => s.close((error) => (error ? reject(error) : resolve())))
}

const post = (url: string, body: string, key: string, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body,
  })

/** Sends `total` bytes in chunks with `Transfer-Encoding: chunked` (no content-length). */
function postChunked(
  url: string,
  key: string,
  total: number,
): Promise<{ status: number; body: string; bytesWritten: number; connection?: string }> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(64 * 1024, 'x')
    let written = 0
    let answered = false
    const req = http.request(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    })
    req.on('response', (res) => {
      answered = true
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d) => (body += d))
      res.on('end', () =>
        resolve({ status: res.statusCode!, body, bytesWritten: written, connection: res.headers.connection }),
      )
      res.on('error', reject)
    })
    // The server may answer and drop the connection mid-upload; that is fine once it has answered.
    req.on('error', (error) => {
      if (!answered) reject(error)
    })
    const pump = () => {
      while (written < total && !answered) {
        written += chunk.length
        const more = req.write(
          written === chunk.length ? Buffer.concat([Buffer.from('{"event":"e","metadata":{"p":"'), chunk]) : chunk,
        )
        if (!more) return void req.once('drain', pump)
      }
      if (!answered) req.end()
    }
    pump()
  })
}

describe('toNodeHandler over node:http', () => {
  test('the documented single and batch requests over a socket', async () => {
    t = await makeTelltale()
    const base = await listen(toNodeHandler(t.telltale))
    const single = await reply(
      await post(
        `${base}/api/events`,
        JSON.stringify({
          event: 'user_signup',
          user_id: '123',
          user_email: 'john@example.com',
          metadata: { plan: 'starter', source: 'organic' },
        }),
        t.keys.write,
      ),
    )
    expect(single).toEqual({ status: 201, body: { success: true, event_id: expect.stringMatching(UUID) } })
    const batch = await reply(
      await post(
        `${base}/api/events/batch`,
        '{"events": [{"event": "user_signup", "user_id": "1"}, {"event": "user_login", "user_id": "1"}]}',
        t.keys.write,
      ),
    )
    expect(batch).toEqual({
      status: 201,
      body: { success: true, created_count: 2, event_ids: [expect.stringMatching(UUID), expect.stringMatching(UUID)] },
    })
    expect(await t.telltale.api.getEvent({ projectId: t.project.id, id: single.body.event_id })).toMatchObject({
      name: 'user_signup',
      properties: { plan: 'starter', source: 'organic' },
    })
    expect(await t.count()).toBe(3)
  })

  test('errors keep their status and JSON body over a socket', async () => {
    t = await makeTelltale()
    const base = await listen(toNodeHandler(t.telltale))
    expect(await reply(await post(`${base}/api/events`, '{}', 'nope'))).toEqual({
      status: 401,
      body: { message: 'Invalid API key.' },
    })
    expect(await reply(await post(`${base}/api/events`, '{', t.keys.write))).toEqual({
      status: 400,
      body: { message: 'The request body is not valid JSON.' },
    })
    expect((await post(`${base}/api/events`, '{}', t.keys.write, { 'content-type': 'text/plain' })).status).toBe(415)
    expect(await reply(await post(`${base}/api/events`, '{}', t.keys.write))).toEqual({
      status: 422,
      body: { message: 'The event field is required.', errors: { event: ['The event field is required.'] } },
    })
    expect(await reply(await fetch(`${base}/nowhere`))).toEqual({ status: 404, body: { message: 'Not found.' } })
  })

  test('a chunked body (no content-length) over the limit gets 413, and the server stays healthy', async () => {
    t = await makeTelltale()
    const base = await listen(toNodeHandler(t.telltale))
    const result = await postChunked(`${base}/api/events`, t.keys.write, 4 * 1024 * 1024)
    expect(result.status).toBe(413)
    expect(JSON.parse(result.body)).toEqual({ message: 'The request body must not be larger than 1048576 bytes.' })
    // The unread rest of the body is on the socket: the connection must not be reused.
    expect(result.connection).toBe('close')
    expect(await t.count()).toBe(0)

    // still serving, on new connections and in parallel
    const after = await Promise.all(
      [1, 2, 3].map((i) =>
        post(`${base}/api/events`, JSON.stringify({ event: `after-${i}` }), t.keys.write).then(reply),
      ),
    )
    for (const res of after) expect(res.status).toBe(201)
    expect(await t.count()).toBe(3)
  })

  test('a chunked body with a small limit: under it is accepted, over it is 413', async () => {
    t = await makeTelltale({ limits: { maxBodyBytes: 200 * 1024 } })
    const base = await listen(toNodeHandler(t.telltale))
    expect((await postChunked(`${base}/api/events`, t.keys.write, 1024 * 1024)).status).toBe(413)
    // a streamed (chunked) request body that fits, sent by fetch from a ReadableStream
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"event":"streamed",'))
        controller.enqueue(new TextEncoder().encode(`"metadata":{"p":"${'y'.repeat(100 * 1024)}"}}`))
        controller.close()
      },
    })
    const res = await fetch(`${base}/api/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.keys.write}`, 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit)
    expect(res.status).toBe(201)
    expect(await t.count()).toBe(1)
  })

  test('a declared content-length over the limit gets 413', async () => {
    t = await makeTelltale()
    const base = await listen(toNodeHandler(t.telltale))
    const res = await post(
      `${base}/api/events`,
      JSON.stringify({ event: 'e', metadata: { p: 'x'.repeat(1024 * 1024) } }),
      t.keys.write,
    )
    expect(await reply(res)).toEqual({
      status: 413,
      body: { message: 'The request body must not be larger than 1048576 bytes.' },
    })
  })
})

describe('basePath', () => {
  test("basePath '/telltale' serves full URLs, and the same app still works at root", async () => {
    t = await makeTelltale({ basePath: '/telltale' })
    const base = await listen(toNodeHandler(t.telltale))
    const full = await reply(await post(`${base}/telltale/api/events`, '{"event":"full"}', t.keys.write))
    const root = await reply(await post(`${base}/api/events`, '{"event":"root"}', t.keys.write))
    const batch = await reply(
      await post(`${base}/telltale/api/events/batch`, '{"events":[{"event":"b"}]}', t.keys.write),
    )
    expect(full).toEqual({ status: 201, body: { success: true, event_id: expect.stringMatching(UUID) } })
    expect(root).toEqual({ status: 201, body: { success: true, event_id: expect.stringMatching(UUID) } })
    expect(batch.status).toBe(201)
    expect(await t.count()).toBe(3)

    // errors under the base path keep the surface's shape
    expect(await reply(await post(`${base}/telltale/api/events`, '{}', t.keys.write))).toEqual({
      status: 422,
      body: { message: 'The event field is required.', errors: { event: ['The event field is required.'] } },
    })
    expect(await reply(await post(`${base}/telltale/api/events`, '{}', 'bad'))).toEqual({
      status: 401,
      body: { message: 'Invalid API key.' },
    })
    expect(await reply(await post(`${base}/telltale/api/nope`, '{}', t.keys.write))).toEqual({
      status: 404,
      body: { message: 'Not found.' },
    })
    expect(await reply(await post(`${base}/other/api/events`, '{"event":"x"}', t.keys.write))).toEqual({
      status: 404,
      body: { message: 'Not found.' },
    })
    expect(await reply(await post(`${base}/telltaleX/api/events`, '{"event":"x"}', t.keys.write))).toEqual({
      status: 404,
      body: { message: 'Not found.' },
    })
  })

  test.each(['/telltale/', 'telltale'])('basePath %j is normalised', async (basePath) => {
    t = await makeTelltale({ basePath })
    expect((await t.post('/telltale/api/events', { event: 'e' })).status).toBe(201)
    expect((await t.post('/api/events', { event: 'e' })).status).toBe(201)
  })

  test('in-process: telltale.fetch with full URLs and telltale.app.request', async () => {
    t = await makeTelltale({ basePath: '/telltale' })
    const headers = { authorization: `Bearer ${t.keys.write}`, 'content-type': 'application/json' }
    const viaApp = await reply(
      await t.telltale.app.request('/telltale/api/events', { method: 'POST', headers, body: '{"event":"app"}' }),
    )
    const viaAppRoot = await reply(
      await t.telltale.app.request('/api/events/batch', {
        method: 'POST',
        headers,
        body: '{"events":[{"event":"app"}]}',
      }),
    )
    const viaFetch = await reply(
      await t.telltale.fetch(
        new Request('https://host.example/telltale/api/events', { method: 'POST', headers, body: '{"event":"fetch"}' }),
      ),
    )
    expect(viaApp).toEqual({ status: 201, body: { success: true, event_id: expect.stringMatching(UUID) } })
    expect(viaAppRoot).toEqual({
      status: 201,
      body: { success: true, created_count: 1, event_ids: [expect.stringMatching(UUID)] },
    })
    expect(viaFetch.status).toBe(201)
    expect(await t.count()).toBe(3)
  })
})
