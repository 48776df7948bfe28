// Bad input never answers 500: each kind has its status and a JSON `{message}` body.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { makeTelltale, reply, type TestApp } from '../helpers/app'

let t: TestApp
beforeEach(async () => {
  t = await makeTelltale()
})
afterEach(async () => {
  await t.close()
  vi.restoreAllMocks()
})

const MiB = 1024 * 1024

describe.each(['/api/events', '/api/events/batch'])('%s', (path) => {
  test('invalid JSON → 400', async () => {
    const res = await t.post(path, '{"event": "user_signup",')
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await reply(res)).toEqual({ status: 400, body: { message: 'The request body is not valid JSON.' } })
  })

  test.each(['[1]', '"x"', '42', 'null', 'true'])('non-object body %s → 422', async (body) => {
    expect(await reply(await t.post(path, body))).toEqual({
      status: 422,
      body: {
        message: 'The request body must be a JSON object.',
        errors: { body: ['The request body must be a JSON object.'] },
      },
    })
  })

  test.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'])(
    'content type %s → 415',
    async (type) => {
      expect(await reply(await t.post(path, '{"event":"e"}', t.keys.write, { 'content-type': type }))).toEqual({
        status: 415,
        body: { message: 'The request body must be JSON (Content-Type: application/json).' },
      })
      expect(await t.count()).toBe(0)
    },
  )

  test('a body over 1 MiB (the default) → 413, and nothing is stored', async () => {
    const body = JSON.stringify({ event: 'e', events: [{ event: 'e' }], metadata: { pad: 'x'.repeat(MiB) } })
    expect(await reply(await t.post(path, body))).toEqual({
      status: 413,
      body: { message: 'The request body must not be larger than 1048576 bytes.' },
    })
    expect(await t.count()).toBe(0)
  })

  test('nesting deeper than 512 levels → 400, not a stack overflow', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {})
    const deep = (n: number) =>
      `{"event":"e","events":[{"event":"e"}],"metadata":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`
    expect(await reply(await t.post(path, deep(150_000)))).toEqual({
      status: 400,
      body: { message: 'The request body must not be nested more than 512 levels deep.' },
    })
    expect((await t.post(path, deep(512))).status).toBe(400)
    expect((await t.post(path, deep(510))).status).toBe(201)
    expect(spy).not.toHaveBeenCalled()
  })
})

describe('content type', () => {
  test.each(['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/vnd.api+json'])(
    '%s is accepted',
    async (type) => {
      expect((await t.post('/api/events', { event: 'e' }, t.keys.write, { 'content-type': type })).status).toBe(201)
    },
  )

  test('a missing content type is accepted (clients that omit it)', async () => {
    const res = await t.telltale.fetch(
      new Request('http://localhost/api/events', {
        method: 'POST',
        headers: { authorization: `Bearer ${t.keys.write}` },
        body: new TextEncoder().encode('{"event":"e"}'), // bytes: fetch adds no content type
      }),
    )
    expect(res.status).toBe(201)
  })

  test('an empty body is an empty object: the event field is required', async () => {
    const res = await t.telltale.fetch(
      new Request('http://localhost/api/events', {
        method: 'POST',
        headers: { authorization: `Bearer ${t.keys.write}`, 'content-type': 'application/json' },
      }),
    )
    expect(await reply(res)).toEqual({
      status: 422,
      body: { message: 'The event field is required.', errors: { event: ['The event field is required.'] } },
    })
  })
})

describe('body size limit', () => {
  test('limits.maxBodyBytes: exactly the limit is accepted, one byte more is 413', async () => {
    const small = await makeTelltale({ limits: { maxBodyBytes: 100 } })
    try {
      const sized = (n: number) => {
        const base = '{"event":"e","metadata":{"p":""}}'
        return `{"event":"e","metadata":{"p":"${'x'.repeat(n - base.length)}"}}`
      }
      expect(sized(100)).toHaveLength(100)
      expect((await small.post('/api/events', sized(100))).status).toBe(201)
      expect(await reply(await small.post('/api/events', sized(101)))).toEqual({
        status: 413,
        body: { message: 'The request body must not be larger than 100 bytes.' },
      })
      expect(await small.count()).toBe(1)
    } finally {
      await small.close()
    }
  })

  test('the limit counts bytes, not characters', async () => {
    const small = await makeTelltale({ limits: { maxBodyBytes: 100 } })
    try {
      const body = `{"event":"${'é'.repeat(40)}"}` // 52 characters, 92 bytes
      expect((await small.post('/api/events', body)).status).toBe(201)
      expect((await small.post('/api/events', `{"event":"${'é'.repeat(45)}"}`)).status).toBe(413) // 102 bytes
    } finally {
      await small.close()
    }
  })

  test('a declared content-length over the limit is refused before reading', async () => {
    let pulled = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++
        controller.enqueue(new TextEncoder().encode('{"event":"e"}'))
        controller.close()
      },
    })
    const res = await t.telltale.fetch(
      new Request('http://localhost/api/events', {
        method: 'POST',
        headers: {
          authorization: `Bearer ${t.keys.write}`,
          'content-type': 'application/json',
          'content-length': String(2 * MiB),
        },
        body,
        duplex: 'half',
      } as RequestInit),
    )
    expect(await reply(res)).toEqual({
      status: 413,
      body: { message: 'The request body must not be larger than 1048576 bytes.' },
    })
    expect(pulled).toBeLessThanOrEqual(1) // the stream's start may pre-pull once; it is never read to the end
  })

  test('a streamed body without content-length is cut off at the limit', async () => {
    let sent = 0
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024))
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > 8 * MiB) return controller.close()
        sent += chunk.byteLength
        controller.enqueue(chunk)
      },
    })
    const res = await t.telltale.fetch(
      new Request('http://localhost/api/events', {
        method: 'POST',
        headers: { authorization: `Bearer ${t.keys.write}`, 'content-type': 'application/json' },
        body,
        duplex: 'half',
      } as RequestInit),
    )
    expect(await reply(res)).toEqual({
      status: 413,
      body: { message: 'The request body must not be larger than 1048576 bytes.' },
    })
    expect(sent).toBeLessThan(2 * MiB) // reading stopped shortly after the limit
  })
})

describe('routes', () => {
  test.each([
    ['POST', '/api/nope'],
    ['GET', '/api/nope'],
    ['GET', '/'],
    ['POST', '/api/events/batch/extra'],
    ['POST', '/api'],
  ])('%s %s → 404 JSON', async (method, path) => {
    const res = await t.telltale.fetch(
      new Request(`http://localhost${path}`, {
        method,
        headers: { authorization: `Bearer ${t.keys.write}`, 'content-type': 'application/json' },
        body: method === 'GET' ? undefined : '{}',
      }),
    )
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await reply(res)).toEqual({ status: 404, body: { message: 'Not found.' } })
  })

  test('a method the route does not serve is not a 500', async () => {
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
      const res = await t.telltale.fetch(
        new Request('http://localhost/api/events', { method, headers: { authorization: `Bearer ${t.keys.write}` } }),
      )
      expect(res.status, method).toBe(404)
      expect(await res.json()).toEqual({ message: 'Not found.' })
    }
  })

  test('an unexpected storage failure is a bare JSON 500, logged, without internals', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {})
    vi.spyOn(t.storage.events, 'insert').mockRejectedValueOnce(new Error('SQLITE_FULL: database or disk is full'))
    expect(await reply(await t.post('/api/events', { event: 'e' }))).toEqual({
      status: 500,
      body: { message: 'Server Error' },
    })
    expect(spy).toHaveBeenCalledOnce()
  })
})
