// The default rate limits of every route, per key, as the reply headers state them and as the
// store enforces them. Flux: reference 001 ("Rate Limits"); Status Blocks: telltale's choice.
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { makeTelltale, type TestApp } from '../helpers/app'

let t: TestApp
beforeEach(async () => {
  t = await makeTelltale()
})
afterEach(() => t.close())

const get = (path: string) => t.telltale.fetch(new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${t.keys.readWrite}` } }))

describe.each([
  { route: 'POST /api/events', limit: 6000, send: () => t.post('/api/events', { event: 'e' }) },
  { route: 'POST /api/events/batch', limit: 60, send: () => t.post('/api/events/batch', { events: [{ event: 'e' }] }) },
  { route: 'POST /api/v1/events', limit: 6000, send: () => t.post('/api/v1/events', { name: 'e' }) },
  { route: 'POST /api/v1/events/batch', limit: 10, send: () => t.post('/api/v1/events/batch', { events: [{ name: 'e' }] }) },
  { route: 'GET /api/v1/events', limit: 60, send: () => get('/api/v1/events') },
])('$route', ({ limit, send }) => {
  test(`allows ${limit} a minute per key`, async () => {
    const first = await send()
    expect(first.status).toBeLessThan(300)
    expect(first.headers.get('ratelimit-limit')).toBe(String(limit))
    expect(first.headers.get('ratelimit-remaining')).toBe(String(limit - 1))
    expect(first.headers.get('ratelimit-reset')).toBe('60')
    if (limit > 60) return // the 429 itself is exercised by the smaller limits
    for (let i = 1; i < limit; i++) expect((await send()).status).toBeLessThan(300)
    const limited = await send()
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('60')
  })
})

test('list, count and stats share one query budget', async () => {
  for (let i = 0; i < 20; i++) for (const path of ['/api/v1/events', '/api/v1/events/count', '/api/v1/events/stats']) expect((await get(path)).status).toBe(200)
  expect((await get('/api/v1/events/count')).status).toBe(429)
})

test('a Status Blocks 429 is worded in its own shape', async () => {
  await t.close()
  t = await makeTelltale({ limits: { rateLimits: { statusBlocks: { event: { limit: 1, windowMs: 60_000 } } } } })
  expect((await t.post('/api/events', { event: 'e' })).status).toBe(201)
  const limited = await t.post('/api/events', { event: 'e' })
  expect(limited.status).toBe(429)
  expect(await limited.json()).toEqual({ message: 'Rate limit exceeded: 1 requests per 60 seconds. Retry in 60 seconds.' })
  expect(await t.count()).toBe(1) // nothing written behind the 429
})
