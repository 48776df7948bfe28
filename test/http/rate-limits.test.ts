// The default rate limits of every route, per key, as the reply headers state them and as the
// store enforces them. Flux: reference 001 ("Rate Limits"); Status Blocks: telltale's choice.

import { createFakeClock, createTelltale, type Telltale } from 'telltale'
import { manualScheduler } from 'telltale/adapters/manual'
import { sqliteStorage } from 'telltale/adapters/sqlite'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { makeTelltale, type TestApp } from '../helpers/app'
import { tempSqliteFile } from '../helpers/sqlite'

let t: TestApp
beforeEach(async () => {
  t = await makeTelltale()
})
afterEach(() => t.close())

const get = (path: string) =>
  t.telltale.fetch(new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${t.keys.readWrite}` } }))

describe.each([
  { route: 'POST /api/events', limit: 6000, send: () => t.post('/api/events', { event: 'e' }) },
  { route: 'POST /api/events/batch', limit: 60, send: () => t.post('/api/events/batch', { events: [{ event: 'e' }] }) },
  { route: 'POST /api/v1/events', limit: 6000, send: () => t.post('/api/v1/events', { name: 'e' }) },
  {
    route: 'POST /api/v1/events/batch',
    limit: 10,
    send: () => t.post('/api/v1/events/batch', { events: [{ name: 'e' }] }),
  },
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
  for (let i = 0; i < 20; i++)
    for (const path of ['/api/v1/events', '/api/v1/events/count', '/api/v1/events/stats'])
      expect((await get(path)).status).toBe(200)
  expect((await get('/api/v1/events/count')).status).toBe(429)
})

test('a Status Blocks 429 is worded in its own shape', async () => {
  await t.close()
  t = await makeTelltale({ limits: { rateLimits: { statusBlocks: { event: { limit: 1, windowMs: 60_000 } } } } })
  expect((await t.post('/api/events', { event: 'e' })).status).toBe(201)
  const limited = await t.post('/api/events', { event: 'e' })
  expect(limited.status).toBe(429)
  expect(await limited.json()).toEqual({
    message: 'Rate limit exceeded: 1 requests per 60 seconds. Retry in 60 seconds.',
  })
  expect(await t.count()).toBe(1) // nothing written behind the 429
})

describe('leased counting', () => {
  test('a busy key costs one store write per 1% of its limit, not one per request', async () => {
    const hit = vi.spyOn(t.storage.rateLimits, 'hit')
    for (let i = 0; i < 300; i++) expect((await t.post('/api/v1/events', { name: 'e' })).status).toBe(201)
    expect(hit.mock.calls.length).toBe(5) // 300 requests, leases of 60 (1% of 6000)
    const last = await t.post('/api/v1/events', { name: 'e' })
    expect(last.headers.get('ratelimit-remaining')).toBe(String(6000 - 301))
  })

  test('two instances on one store never admit more than the limit together', async () => {
    const limit = 500 // leases of 5
    const db = tempSqliteFile('leases')
    const clock = createFakeClock('2024-01-15T10:30:00Z')
    const [a, b] = [0, 1].map(() =>
      createTelltale({
        storage: sqliteStorage({ file: db.file }),
        clock,
        scheduler: manualScheduler({ clock }),
        limits: { rateLimits: { flux: { event: { limit, windowMs: 60_000 } } } },
      }),
    )
    try {
      const projectId = (await a.api.createProject({ name: 'Shared' })).id
      const { key } = await a.api.createApiKey({ projectId })
      const send = (app: Telltale) =>
        app.fetch(
          new Request('http://x/api/v1/events', {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: '{"name":"e"}',
          }),
        )
      let admitted = 0
      for (let i = 0; i < 600; i++) if ((await send(i % 3 === 0 ? b : a)).status === 201) admitted++
      expect(admitted).toBeLessThanOrEqual(limit)
      expect(admitted).toBeGreaterThanOrEqual(limit - 5) // at most one unspent lease of the other instance
    } finally {
      await a.close()
      await b.close()
      db.remove()
    }
  })
})

test('a misspelt rate-limit option fails the start with one line that names the right ones', () => {
  const make = (rateLimits: unknown) => () =>
    createTelltale({
      storage: sqliteStorage({ file: ':memory:' }),
      scheduler: manualScheduler(),
      limits: { rateLimits } as never,
    })
  expect(make({ fluxEvent: false })).toThrow(
    'telltale: limits.rateLimits.fluxEvent is not a surface; use one of statusBlocks, statusBlocksMetrics, flux',
  )
  expect(make({ flux: { events: false } })).toThrow(
    'telltale: limits.rateLimits.flux.events is not a rate limit of flux; use one of event, batch, query',
  )
  expect(make({ flux: { event: { limit: 0, windowMs: 1000 } } })).toThrow(
    'must be false or { limit, windowMs } with positive whole numbers',
  )
})
