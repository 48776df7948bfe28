import type { FakeClock, LimitsOption, Telltale } from 'telltale'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeTelltale, type TestApp } from '../../helpers/app'

// The Flux surface (reference 001) over HTTP, in-process, on every adapter (vitest projects).

let app: TestApp
let clock: FakeClock
let telltale: Telltale
let projectId: string
let key: string

async function setup(limits?: LimitsOption) {
  app = await makeTelltale({ limits, now: '2024-02-01T00:00:00Z' })
  ;({ clock, telltale } = app)
  projectId = app.project.id
  key = app.keys.readWrite
}

async function call(method: string, path: string, body?: unknown, bearer = key) {
  const response = await telltale.fetch(
    new Request(`http://localhost${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    }),
  )
  return { status: response.status, headers: response.headers, body: (await response.json()) as any }
}

beforeEach(() => setup())
afterEach(() => app.close())

describe('POST /api/v1/events', () => {
  it('answers the documented example with the documented shape', async () => {
    const res = await call('POST', '/api/v1/events', {
      name: 'user.signup',
      timestamp: '2024-01-15T10:30:00Z',
      user_id: 'user_123',
      value: 29.99,
      properties: { plan: 'pro', source: 'google_ads', referrer: 'blog-post-123' },
      tags: { environment: 'production', region: 'us-east' },
    })
    expect(res.status).toBe(201)
    expect(res.body).toEqual({
      data: {
        id: expect.stringMatching(/^evt_[0-9a-f]{32}$/),
        name: 'user.signup',
        timestamp: '2024-01-15T10:30:00Z',
        user_id: 'user_123',
        value: 29.99,
      },
    })
  })

  it('defaults the timestamp to now and returns exactly what was stored', async () => {
    const res = await call('POST', '/api/v1/events', { name: 'ping' })
    expect(res.body.data).toMatchObject({ timestamp: '2024-02-01T00:00:00Z', user_id: null, value: null })
    const list = await call('GET', '/api/v1/events?name=ping')
    expect(list.body.data[0]).toEqual({ ...res.body.data, properties: {}, tags: {} })
  })

  it('stores a client id once and answers with the same id', async () => {
    const first = await call('POST', '/api/v1/events', { id: 'order-42', name: 'order.placed', value: 10 })
    const again = await call('POST', '/api/v1/events', { id: 'order-42', name: 'order.placed', value: 10 })
    expect(again.body.data.id).toBe(first.body.data.id)
    expect((await call('GET', '/api/v1/events/count?name=order.placed')).body.data.total).toBe(1)
  })

  it.each([
    [{ user_id: 'x' }, 'missing_name'],
    [{ name: '' }, 'missing_name'],
    [{ name: 'a', timestamp: 'yesterday' }, 'invalid_timestamp'],
    [{ name: 'a', timestamp: '2024-02-01T02:00:00Z' }, 'invalid_timestamp'], // more than 1 h ahead
    [{ name: 'a', tags: { env: 1 } }, 'invalid_tags'],
    [{ name: 'a', tags: ['x'] }, 'invalid_tags'],
    [{ name: 'a', value: 'ten' }, 'invalid_value'],
    [{ name: 'a', properties: 'x' }, 'invalid_properties'],
  ])('rejects %j with %s', async (body, code) => {
    const res = await call('POST', '/api/v1/events', body)
    expect(res.status).toBe(422)
    expect(res.body.error.code).toBe(code)
    expect(res.body.error.message).toMatch(/^The .+\.$/)
  })

  it('answers malformed JSON and a wrong content type in the Flux error shape', async () => {
    expect(await call('POST', '/api/v1/events', '{"name":')).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_json' } },
    })
    const form = await telltale.fetch(
      new Request('http://localhost/api/v1/events', {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'name=a',
      }),
    )
    expect(form.status).toBe(415)
    expect(((await form.json()) as any).error.code).toBe('unsupported_media_type')
  })

  it('answers a bad key with 401 and a read-only key with 403', async () => {
    expect(await call('POST', '/api/v1/events', { name: 'a' }, 'tt_nope')).toMatchObject({
      status: 401,
      body: { error: { code: 'unauthorized', message: 'Invalid API key.' } },
    })
    const readOnly = (await telltale.api.createApiKey({ projectId, scopes: ['read'] })).key
    expect(await call('POST', '/api/v1/events', { name: 'a' }, readOnly)).toMatchObject({
      status: 403,
      body: { error: { code: 'forbidden' } },
    })
    const writeOnly = (await telltale.api.createApiKey({ projectId, scopes: ['write'] })).key
    expect((await call('GET', '/api/v1/events', undefined, writeOnly)).status).toBe(403)
  })
})

describe('POST /api/v1/events/batch', () => {
  it('answers the documented example', async () => {
    const res = await call('POST', '/api/v1/events/batch', {
      events: [
        { name: 'page.viewed', user_id: 'user_123', properties: { page: '/pricing' } },
        { name: 'button.clicked', user_id: 'user_123', properties: { button: 'signup_cta' } },
      ],
    })
    expect(res.status).toBe(201)
    expect(res.body.data).toMatchObject({ accepted: 2, rejected: 0, errors: [] })
  })

  it('stores valid items and reports each rejected one with its index and code', async () => {
    const res = await call('POST', '/api/v1/events/batch', {
      events: [
        { name: 'ok.1' },
        { user_id: 'u' },
        'x',
        { name: 'ok.2', tags: { a: 'b' } },
        { name: 'bad', tags: { a: 2 } },
      ],
    })
    expect(res.status).toBe(201)
    expect(res.body.data.accepted).toBe(2)
    expect(res.body.data.rejected).toBe(3)
    expect(res.body.data.events.map((e: any) => e.index)).toEqual([0, 3])
    expect(res.body.data.errors.map((e: any) => [e.index, e.code])).toEqual([
      [1, 'missing_name'],
      [2, 'invalid_request'],
      [4, 'invalid_tags'],
    ])
    expect(res.body.data.errors.map((e: any) => e.message)).toEqual([
      'The name field is required.',
      'Each event must be a JSON object.',
      'The tags.a field must be a string.',
    ])
    expect((await call('GET', '/api/v1/events/count?name=ok.*')).body.data.total).toBe(2)
    expect((await call('GET', '/api/v1/events/count')).body.data.total).toBe(2)
  })

  it('answers 422 when every item is rejected, and batch_too_large over 500', async () => {
    expect((await call('POST', '/api/v1/events/batch', { events: [{}] })).status).toBe(422)
    const big = await call('POST', '/api/v1/events/batch', {
      events: Array.from({ length: 501 }, () => ({ name: 'a' })),
    })
    expect(big).toMatchObject({ status: 422, body: { error: { code: 'batch_too_large' } } })
    expect((await call('GET', '/api/v1/events/count')).body.data.total).toBe(0)
    expect((await call('POST', '/api/v1/events/batch', {})).body.error.code).toBe('missing_events')
  })
})

describe('GET /api/v1/events', () => {
  beforeEach(async () => {
    await telltale.api.trackEvents({
      projectId,
      events: [
        {
          name: 'user.signup',
          timestamp: '2024-01-15T10:30:00Z',
          userId: 'user_123',
          value: 29.99,
          properties: { plan: 'pro' },
          tags: { environment: 'production', plan: 'pro' },
        },
        { name: 'user.signup', timestamp: '2024-01-16T10:30:00Z', userId: 'user_124', tags: { plan: 'starter' } },
        { name: 'user.login', timestamp: '2024-01-17T10:30:00Z', userId: 'user_123', tags: { plan: 'pro' } },
        { name: 'users.export', timestamp: '2024-01-18T10:30:00Z' },
        { name: 'user.signup', timestamp: '2024-02-01T00:00:00Z', tags: { plan: 'pro' } },
      ],
    })
  })

  it('answers the documented example request', async () => {
    const res = await call(
      'GET',
      '/api/v1/events?name=user.signup&from=2024-01-01T00:00:00Z&to=2024-01-31T23:59:59Z&tags[plan]=pro&limit=50',
    )
    expect(res.status).toBe(200)
    expect(res.body).toEqual({
      data: [
        {
          id: expect.stringMatching(/^evt_/),
          name: 'user.signup',
          timestamp: '2024-01-15T10:30:00Z',
          user_id: 'user_123',
          value: 29.99,
          properties: { plan: 'pro' },
          tags: { environment: 'production', plan: 'pro' },
        },
      ],
      meta: { total: 1, limit: 50, offset: 0 },
    })
  })

  it('filters by prefix, user and several tags; newest first; pages', async () => {
    const names = async (query: string) =>
      (await call('GET', `/api/v1/events?${query}`)).body.data.map((e: any) => `${e.name}@${e.timestamp.slice(5, 10)}`)
    expect(await names('name=user.*')).toEqual([
      'user.signup@02-01',
      'user.login@01-17',
      'user.signup@01-16',
      'user.signup@01-15',
    ])
    expect(await names('user_id=user_123')).toEqual(['user.login@01-17', 'user.signup@01-15'])
    expect(await names('tags[plan]=pro&tags[environment]=production')).toEqual(['user.signup@01-15'])
    expect(await names('to=2024-01-16')).toEqual(['user.signup@01-16', 'user.signup@01-15'])
    const page = await call('GET', '/api/v1/events?limit=2&offset=1')
    expect(page.body.meta).toEqual({ total: 5, limit: 2, offset: 1 })
    expect(page.body.data.map((e: any) => e.name)).toEqual(['users.export', 'user.login'])
  })

  it('matches a prefix exactly, whatever characters follow it (U+10FFFF, emoji, the next code point)', async () => {
    const events = ['a', 'ab', 'a\u{10FFFF}b', 'a😀', 'a\u{10FFFF}', 'b', '`z', 'A'].map((name) => ({ name }))
    expect((await call('POST', '/api/v1/events/batch', { events })).body.data.accepted).toBe(8)
    const names = async (prefix: string) =>
      (await call('GET', `/api/v1/events?name=${encodeURIComponent(prefix)}*&limit=50`)).body.data
        .map((e: any) => e.name)
        .sort()
    expect(await names('a')).toEqual(['a', 'a\u{10FFFF}', 'a\u{10FFFF}b', 'ab', 'a😀'].sort())
    expect(await names('a\u{10FFFF}')).toEqual(['a\u{10FFFF}', 'a\u{10FFFF}b'])
    expect(await names('`')).toEqual(['`z'])
  })

  it.each([
    ['limit=0', 'invalid_limit'],
    ['limit=1001', 'invalid_limit'],
    ['limit=abc', 'invalid_limit'],
    ['offset=-1', 'invalid_limit'],
    ['from=2024-13-01', 'invalid_timestamp'],
    ['from=2024-02-01&to=2024-01-01', 'invalid_range'],
    ['tags=pro', 'invalid_tags'],
  ])('rejects %s with %s', async (query, code) => {
    const res = await call('GET', `/api/v1/events?${query}`)
    expect(res.status).toBe(422)
    expect(res.body.error.code).toBe(code)
  })
})

describe('GET /api/v1/events/count and /stats', () => {
  it('answers the documented interval example with zero-filled UTC days', async () => {
    await telltale.api.trackEvents({
      projectId,
      events: [
        { name: 'user.signup', timestamp: '2024-01-01T00:00:00Z' },
        { name: 'user.signup', timestamp: '2024-01-01T23:59:59.999Z' },
        { name: 'user.signup', timestamp: '2024-01-03T12:00:00Z' },
        { name: 'user.signup', timestamp: '2024-02-01T00:00:00Z' }, // after `to`
      ],
    })
    const res = await call('GET', '/api/v1/events/count?name=user.signup&from=2024-01-01&to=2024-01-31&interval=1d')
    expect(res.body.data.total).toBe(3)
    expect(res.body.data.series).toHaveLength(31)
    expect(res.body.data.series.slice(0, 3)).toEqual([
      { timestamp: '2024-01-01T00:00:00Z', count: 2 },
      { timestamp: '2024-01-02T00:00:00Z', count: 0 },
      { timestamp: '2024-01-03T00:00:00Z', count: 1 },
    ])
  })

  it('groups by a tag as documented', async () => {
    await telltale.api.trackEvents({
      projectId,
      events: [
        ...Array.from({ length: 3 }, () => ({ name: 'user.signup', tags: { plan: 'pro' } })),
        ...Array.from({ length: 2 }, () => ({ name: 'user.signup', tags: { plan: 'starter' } })),
        { name: 'user.signup', tags: { plan: 'enterprise' } },
      ],
    })
    const res = await call('GET', '/api/v1/events/count?name=user.signup&group_by=tags.plan')
    expect(res.body).toEqual({ data: { total: 6, groups: { pro: 3, starter: 2, enterprise: 1 } } })
  })

  it('answers the documented stats request with nearest-rank percentiles', async () => {
    const values = Array.from({ length: 20 }, (_, i) => (i + 1) * 5) // 5, 10, ..., 100
    await telltale.api.trackEvents({
      projectId,
      events: values.map((value, i) => ({ name: 'order.placed', value, timestamp: Date.UTC(2024, 0, 1 + i) })),
    })
    const res = await call('GET', '/api/v1/events/stats?name=order.placed&field=value&from=2024-01-01&to=2024-01-31')
    // ranks: p50 → ceil(10) = 10th = 50; p95 → ceil(19) = 19th = 95; p99 → ceil(19.8) = 20th = 100
    expect(res.body).toEqual({
      data: { count: 20, sum: 1050, avg: 52.5, min: 5, max: 100, p50: 50, p95: 95, p99: 100 },
    })
  })

  it('rejects an unknown interval, group_by, field and time zone', async () => {
    expect((await call('GET', '/api/v1/events/count?interval=2h')).body.error.code).toBe('invalid_interval')
    expect((await call('GET', '/api/v1/events/count?group_by=plan')).body.error.code).toBe('invalid_group_by')
    expect((await call('GET', '/api/v1/events/stats?field=amount')).body.error.code).toBe('invalid_field')
    expect((await call('GET', '/api/v1/events/count?interval=1d&tz=Mars/Olympus')).body.error.code).toBe(
      'invalid_timezone',
    )
    expect((await call('GET', '/api/v1/events/count?interval=1h&tz=Europe/Berlin')).body.error.code).toBe(
      'invalid_interval',
    )
    expect((await call('GET', '/api/v1/events/count?interval=1m&from=2024-01-01&to=2024-03-01')).body.error.code).toBe(
      'invalid_range',
    )
  })
})

describe('one event store across surfaces', () => {
  it('shows Status Blocks events in Flux queries', async () => {
    const sb = await call('POST', '/api/events', {
      event: 'user_signup',
      user_id: '123',
      metadata: { plan: 'starter' },
    })
    expect(sb.status).toBe(201)
    const list = await call('GET', '/api/v1/events?name=user_signup')
    expect(list.body.data).toEqual([
      {
        id: `evt_${sb.body.event_id.replace(/-/g, '')}`,
        name: 'user_signup',
        timestamp: '2024-02-01T00:00:00Z',
        user_id: '123',
        value: null,
        properties: { plan: 'starter' },
        tags: {},
      },
    ])
  })
})

describe('rate limits', () => {
  it('limits batches to 10 per minute per key with Retry-After and RateLimit headers', async () => {
    for (let i = 0; i < 10; i++) {
      const ok = await call('POST', '/api/v1/events/batch', { events: [{ name: 'a' }] })
      expect(ok.status).toBe(201)
      expect(ok.headers.get('ratelimit-remaining')).toBe(String(9 - i))
    }
    clock.advance(15_000)
    const limited = await call('POST', '/api/v1/events/batch', { events: [{ name: 'a' }] })
    expect(limited.status).toBe(429)
    expect(limited.body.error.code).toBe('rate_limited')
    expect(limited.headers.get('retry-after')).toBe('45')
    expect(limited.headers.get('ratelimit-limit')).toBe('10')
    expect(limited.headers.get('ratelimit-remaining')).toBe('0')
    // Another key has its own budget; the next window starts afresh.
    const other = (await telltale.api.createApiKey({ projectId })).key
    expect((await call('POST', '/api/v1/events/batch', { events: [{ name: 'a' }] }, other)).status).toBe(201)
    clock.advance(45_000)
    expect((await call('POST', '/api/v1/events/batch', { events: [{ name: 'a' }] })).status).toBe(201)
  })

  it('limits queries to 60 per minute, configurable through limits', async () => {
    await app.close()
    await setup({ rateLimits: { flux: { query: { limit: 3, windowMs: 60_000 } } } })
    for (let i = 0; i < 3; i++) expect((await call('GET', '/api/v1/events/count')).status).toBe(200)
    expect((await call('GET', '/api/v1/events/stats')).status).toBe(429)
    expect((await call('GET', '/api/v1/events')).status).toBe(429)
  })
})
