import { createFakeClock, createTelltale, type EventInput, type Telltale } from 'telltale'
import { manualScheduler } from 'telltale/adapters/manual'
import { postgresStorage } from 'telltale/adapters/postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testAdapters } from '../helpers/adapters'
import { createSchema, dropSchema, postgresTestUrl, testSchemaName } from '../helpers/postgres'
import { mulberry32 as random } from '../helpers/prng'

// Counts, groups and percentiles from the store, checked against answers computed here from the
// inserted data, on every adapter.

const adapters = testAdapters()
const pgUrl = postgresTestUrl()

const NAMES = ['user.signup', 'user.login', 'users.export', 'order.placed', 'User.signup']
const PLANS = ['free', 'starter', 'pro', 'team', 'enterprise']
const START = Date.UTC(2024, 2, 28) // spans the Europe/Berlin DST change on 2024-03-31
const HOUR = 3_600_000

type Row = { name: string; timestamp: number; value?: number; plan?: string; amount?: unknown }

function fixture(): Row[] {
  const next = random(42)
  const rows: Row[] = []
  for (let i = 0; i < 1500; i++) {
    const onEdge = i % 50 === 0 // exactly on an hour (and sometimes a day) boundary
    const timestamp = onEdge ? START + Math.floor(next() * 7 * 24) * HOUR : START + Math.floor(next() * 7 * 24 * HOUR)
    const row: Row = { name: NAMES[Math.floor(next() * NAMES.length)], timestamp }
    if (i % 3 !== 0) row.value = Math.round(next() * 100_000) / 100
    if (i % 7 !== 0) row.plan = PLANS[Math.floor(next() * PLANS.length)]
    row.amount = i % 5 === 0 ? 'n/a' : Math.floor(next() * 1000)
    rows.push(row)
  }
  // Local midnight in Berlin on both sides of the DST change, and one instant before each.
  for (const t of [
    Date.UTC(2024, 2, 30, 23),
    Date.UTC(2024, 2, 30, 23) - 1,
    Date.UTC(2024, 2, 31, 22),
    Date.UTC(2024, 2, 31, 22) - 1,
  ])
    rows.push({ name: 'user.signup', timestamp: t, value: 1 })
  return rows
}

const toInput = (r: Row): EventInput => ({
  name: r.name,
  timestamp: r.timestamp,
  value: r.value,
  tags: r.plan ? { plan: r.plan } : undefined,
  properties: { amount: r.amount },
})

function nearestRank(values: number[], p: number): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]
}

const berlinDate = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' })

for (const adapter of adapters) {
  describe(`flux queries on ${adapter.name}`, () => {
    const rows = fixture()
    let telltale: Telltale
    let projectId: string
    let otherProject: string
    let cleanup: () => Promise<void>

    beforeAll(async () => {
      const opened = adapter.open()
      cleanup = opened.cleanup
      const clock = createFakeClock('2024-04-10T00:00:00Z')
      telltale = createTelltale({ storage: opened.storage, clock, scheduler: manualScheduler({ clock }) })
      projectId = (await telltale.api.createProject({ name: 'Queries' })).id
      otherProject = (await telltale.api.createProject({ name: 'Noise' })).id
      for (let i = 0; i < rows.length; i += 100)
        await telltale.api.trackEvents({ projectId, events: rows.slice(i, i + 100).map(toInput) })
      // Another tenant's events must never be counted.
      await telltale.api.trackEvents({ projectId: otherProject, events: rows.slice(0, 100).map(toInput) })
    })
    afterAll(async () => {
      await telltale?.close()
      await cleanup?.()
    })

    const from = START + 13 * HOUR + 1234 // mid-hour: edge buckets are partial
    const to = START + 5 * 24 * HOUR

    it('counts per hour in UTC, zero-filled, edges partial', async () => {
      const result = await telltale.api.countEvents({
        projectId,
        filter: { names: ['user.signup'], from, to },
        interval: '1h',
      })
      const expected = new Map<number, number>()
      for (let b = Math.floor(from / HOUR) * HOUR; b < to; b += HOUR) expected.set(b, 0)
      for (const r of rows)
        if (r.name === 'user.signup' && r.timestamp >= from && r.timestamp < to)
          expected.set(Math.floor(r.timestamp / HOUR) * HOUR, expected.get(Math.floor(r.timestamp / HOUR) * HOUR)! + 1)
      expect(result.series).toEqual([...expected].map(([start, count]) => ({ start, count })))
      expect(result.total).toBe([...expected.values()].reduce((a, b) => a + b, 0))
      expect(result.total).toBe(
        await telltale.api
          .countEvents({ projectId, filter: { names: ['user.signup'], from, to } })
          .then((r) => r.total),
      )
    })

    it('counts per local day in Europe/Berlin across the DST change', async () => {
      const result = await telltale.api.countEvents({
        projectId,
        filter: { from: Date.UTC(2024, 2, 29, 23), to: Date.UTC(2024, 3, 2, 22) },
        interval: '1d',
        timeZone: 'Europe/Berlin',
      })
      const expected = new Map<string, number>([
        ['2024-03-30', 0],
        ['2024-03-31', 0],
        ['2024-04-01', 0],
        ['2024-04-02', 0],
      ])
      for (const r of rows)
        if (r.timestamp >= Date.UTC(2024, 2, 29, 23) && r.timestamp < Date.UTC(2024, 3, 2, 22))
          expected.set(berlinDate.format(r.timestamp), expected.get(berlinDate.format(r.timestamp))! + 1)
      // 2024-03-31 is 23 hours long: it starts at 23:00Z on the 30th and ends at 22:00Z on the 31st.
      expect(result.series!.map((b) => b.start)).toEqual([
        Date.UTC(2024, 2, 29, 23),
        Date.UTC(2024, 2, 30, 23),
        Date.UTC(2024, 2, 31, 22),
        Date.UTC(2024, 3, 1, 22),
      ])
      expect(result.series!.map((b) => b.count)).toEqual([...expected.values()])
    })

    it('groups by tag, excluding events without it', async () => {
      const result = await telltale.api.countEvents({ projectId, filter: { namePrefix: 'user.' }, groupByTag: 'plan' })
      const expected: Record<string, number> = {}
      for (const r of rows) if (r.name.startsWith('user.') && r.plan) expected[r.plan] = (expected[r.plan] ?? 0) + 1
      expect(result.groups).toEqual(expected)
      expect(result.total).toBe(rows.filter((r) => r.name.startsWith('user.')).length)
    })

    it('matches a name prefix literally and case-sensitively', async () => {
      const total = (await telltale.api.countEvents({ projectId, filter: { namePrefix: 'user.' } })).total
      expect(total).toBe(rows.filter((r) => r.name === 'user.signup' || r.name === 'user.login').length)
      expect((await telltale.api.countEvents({ projectId, filter: { namePrefix: 'user_' } })).total).toBe(0)
    })

    it('computes count/sum/avg/min/max and nearest-rank p50/p95/p99 of value', async () => {
      const values = rows
        .filter((r) => r.name === 'order.placed' && r.value !== undefined && r.timestamp >= from && r.timestamp < to)
        .map((r) => r.value!)
      const s = await telltale.api.eventStats({
        projectId,
        filter: { names: ['order.placed'], from, to },
        field: { kind: 'value' },
      })
      expect(s.count).toBe(values.length)
      expect(s.sum).toBeCloseTo(
        values.reduce((a, b) => a + b, 0),
        6,
      )
      expect(s.avg).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 6)
      expect(s.min).toBe(Math.min(...values))
      expect(s.max).toBe(Math.max(...values))
      expect(s.percentiles).toEqual({
        50: nearestRank(values, 50),
        95: nearestRank(values, 95),
        99: nearestRank(values, 99),
      })
    })

    it('aggregates a numeric property, skipping non-numeric values', async () => {
      const amounts = rows.filter((r) => typeof r.amount === 'number').map((r) => r.amount as number)
      const s = await telltale.api.eventStats({ projectId, filter: {}, field: { kind: 'property', key: 'amount' } })
      expect(s.count).toBe(amounts.length)
      expect(s.percentiles[95]).toBe(nearestRank(amounts, 95))
    })

    it('answers empty ranges with zeros and nulls', async () => {
      const empty = { from: Date.UTC(2023, 0, 1), to: Date.UTC(2023, 0, 3) }
      const count = await telltale.api.countEvents({ projectId, filter: empty, interval: '1d' })
      expect(count).toEqual({
        total: 0,
        series: [
          { start: Date.UTC(2023, 0, 1), count: 0 },
          { start: Date.UTC(2023, 0, 2), count: 0 },
        ],
      })
      const s = await telltale.api.eventStats({ projectId, filter: empty, field: { kind: 'value' } })
      expect(s).toEqual({
        count: 0,
        sum: null,
        avg: null,
        min: null,
        max: null,
        percentiles: { 50: null, 95: null, 99: null },
      })
    })

    it('keeps tenants apart', async () => {
      expect((await telltale.api.countEvents({ projectId: otherProject, filter: {} })).total).toBe(100)
    })
  })
}

if (pgUrl) {
  describe('rate limits across instances on one Postgres', () => {
    it('counts requests of two instances against one limit', async () => {
      const schema = testSchemaName()
      await createSchema(pgUrl, schema)
      const clock = createFakeClock('2024-04-10T00:00:00Z')
      const make = () =>
        createTelltale({
          storage: postgresStorage({ connectionString: pgUrl, schema }),
          clock,
          scheduler: manualScheduler({ clock }),
          limits: { rateLimits: { flux: { batch: { limit: 4, windowMs: 60_000 } } } },
        })
      const [a, b] = [make(), make()]
      try {
        await a.ready()
        await b.ready()
        const projectId = (await a.api.createProject({ name: 'Shared' })).id
        const { key } = await a.api.createApiKey({ projectId })
        const post = (t: Telltale) =>
          t.fetch(
            new Request('http://x/api/v1/events/batch', {
              method: 'POST',
              headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
              body: '{"events":[{"name":"a"}]}',
            }),
          )
        const statuses = []
        for (const t of [a, b, a, b, a, b]) statuses.push((await post(t)).status)
        expect(statuses).toEqual([201, 201, 201, 201, 429, 429])
      } finally {
        await a.close()
        await b.close()
        await dropSchema(pgUrl, schema)
      }
    })
  })
}
