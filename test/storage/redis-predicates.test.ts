// Redis: `where` predicates and the metric aggregations (countDistinctUsers with minEvents,
// countDistinctUsersInAny, latest, sumLatestPerUser) against the JS reference of the contract
// (src/storage/event-predicate-match.ts).
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EventField, EventFilter, NewEvent } from '../../src/storage'
import { matchesPredicate, predicateFieldValue } from '../../src/storage/event-predicate-match'
import type { EventPredicate, PredicateField, Scalar } from '../../src/storage/event-predicates'
import { redisEvents } from '../../src/storage/redis/events'
import { mulberry32 as random } from '../helpers/prng'
import { dropRedisPrefix, redisSkipReason, redisTestUrl, testRedisPrefix } from '../helpers/redis'
import { event } from './conformance'

const url = redisTestUrl()

// ---- The oracle: the documented semantics, in JS (matchesPredicate is the reference kv filters with) ----

const matches = (e: NewEvent, f: EventFilter) =>
  (!f.names || f.names.includes(e.name)) &&
  (!f.namePrefix || e.name.startsWith(f.namePrefix)) &&
  (f.from === undefined || e.timestamp >= f.from) &&
  (f.to === undefined || e.timestamp < f.to) &&
  (f.userId === undefined || e.userId === f.userId) &&
  Object.entries(f.tags ?? {}).every(([k, v]) => e.tags?.[k] === v) &&
  (f.where ?? []).every((p) => matchesPredicate(e, p))

const newestFirst = (x: NewEvent, y: NewEvent) => y.timestamp - x.timestamp || (y.id > x.id ? 1 : y.id < x.id ? -1 : 0)

const numberOf = (e: NewEvent, field: EventField): number | undefined => {
  const x = predicateFieldValue(e, field)
  return typeof x === 'number' ? x : undefined
}

function sumAscending(values: number[]): number | null {
  const sorted = [...values].sort((a, b) => a - b)
  let sum = 0
  for (const v of sorted) sum += v
  return Number.isFinite(sum) ? sum : null
}

const oracle = {
  latest(mine: NewEvent[], field: EventField): number | null {
    const hit = [...mine].sort(newestFirst).find((e) => numberOf(e, field) !== undefined)
    return hit ? numberOf(hit, field)! : null
  },
  sumLatestPerUser(mine: NewEvent[], field: EventField): { users: number; sum: number | null } {
    const latest = new Map<string, number>()
    for (const e of [...mine].sort(newestFirst)) {
      const x = numberOf(e, field)
      if (e.userId !== null && x !== undefined && !latest.has(e.userId)) latest.set(e.userId, x)
    }
    return { users: latest.size, sum: latest.size === 0 ? null : sumAscending([...latest.values()]) }
  },
  countDistinctUsers(mine: NewEvent[], minEvents = 1): number {
    const counts = new Map<string, number>()
    for (const e of mine) if (e.userId !== null) counts.set(e.userId, (counts.get(e.userId) ?? 0) + 1)
    return [...counts.values()].filter((n) => n >= minEvents).length
  },
  countDistinctUsersInAny: (all: NewEvent[], filters: EventFilter[]) =>
    new Set(all.filter((e) => e.userId !== null && filters.some((f) => matches(e, f))).map((e) => e.userId)).size,
}

const ev = event

const T0 = Date.UTC(2024, 5, 3, 9, 0)

if (!url) {
  it.skip(`redis predicates: ${redisSkipReason}`)
} else {
  const prefix = testRedisPrefix()
  const client = new Redis(url)
  const events = redisEvents(client, prefix)
  afterAll(async () => {
    await client.quit()
    await dropRedisPrefix(url, prefix)
  })

  /** A fresh project holding `list`; returns its id. */
  async function seed(list: NewEvent[]): Promise<string> {
    const projectId = `p-${randomUUID()}`
    for (let i = 0; i < list.length; i += 300) await events.insert({ projectId, events: list.slice(i, i + 300) })
    return projectId
  }
  const ids = async (projectId: string, where: EventPredicate[], filter: EventFilter = {}) =>
    (await events.list({ projectId, filter: { ...filter, where }, limit: 1000, offset: 0 })).events
      .map((e) => e.name)
      .sort()

  describe('redis where predicates: each rule of the contract', () => {
    let projectId = ''
    // The name says what each event holds; the assertions read names.
    const fixtures = [
      ev('num500', T0, { properties: { p: 500 }, value: 500, userId: 'u1' }),
      ev('str500', T0 + 1, { properties: { p: '500' }, value: 5, userId: '500' }),
      ev('null', T0 + 2, { properties: { p: null }, userId: 'u2' }),
      ev('missing', T0 + 3, { properties: { other: 1 } }),
      ev('noprops', T0 + 4, { properties: null, value: -1 }),
      ev('true', T0 + 5, { properties: { p: true } }),
      ev('strtrue', T0 + 6, { properties: { p: 'true' } }),
      ev('object', T0 + 7, { properties: { p: { a: 500 } } }),
      ev('array', T0 + 8, { properties: { p: [500] } }),
      ev('emptyobj', T0 + 9, { properties: { p: {} } }),
      ev('Pro', T0 + 10, { properties: { p: 'Pro' } }),
      ev('float', T0 + 11, { properties: { p: 5.5 }, value: 5.5 }),
      ev('zero', T0 + 12, { properties: { p: 0 }, value: 0 }),
      ev('false', T0 + 13, { properties: { p: false } }),
    ]
    const all = fixtures.map((e) => e.name).sort()
    const prop = { kind: 'property', key: 'p' } as const
    beforeAll(async () => {
      projectId = await seed(fixtures)
    })

    it('eq is JSON-type-strict: "500" never equals 500, "true" never equals true', async () => {
      expect(await ids(projectId, [{ field: prop, op: 'eq', value: 500 }])).toEqual(['num500'])
      expect(await ids(projectId, [{ field: prop, op: 'eq', value: '500' }])).toEqual(['str500'])
      expect(await ids(projectId, [{ field: prop, op: 'eq', value: true }])).toEqual(['true'])
      expect(await ids(projectId, [{ field: prop, op: 'eq', value: 'true' }])).toEqual(['strtrue'])
      expect(await ids(projectId, [{ field: prop, op: 'eq', value: false }])).toEqual(['false'])
      expect(await ids(projectId, [{ field: prop, op: 'eq', value: 0 }])).toEqual(['zero'])
      expect(await ids(projectId, [{ field: { kind: 'userId' }, op: 'eq', value: 500 }])).toEqual([])
      expect(await ids(projectId, [{ field: { kind: 'userId' }, op: 'eq', value: '500' }])).toEqual(['str500'])
    })

    it('numbers compare by numeric value, whatever their text (5e2 finds 500)', async () => {
      expect(await ids(projectId, [{ field: prop, op: 'eq', value: 5e2 }])).toEqual(['num500'])
      expect(await ids(projectId, [{ field: { kind: 'value' }, op: 'eq', value: 5.5 }])).toEqual(['float'])
      expect(await ids(projectId, [{ field: { kind: 'value' }, op: 'in', value: [5, 500] }])).toEqual([
        'num500',
        'str500',
      ])
    })

    it('strings compare exactly, case-sensitively', async () => {
      expect(await ids(projectId, [{ field: prop, op: 'eq', value: 'pro' }])).toEqual([])
      expect(await ids(projectId, [{ field: prop, op: 'eq', value: 'Pro' }])).toEqual(['Pro'])
    })

    it('eq null matches absent and JSON null; neq null the rest', async () => {
      expect(await ids(projectId, [{ field: prop, op: 'eq', value: null }])).toEqual(['missing', 'noprops', 'null'])
      expect(await ids(projectId, [{ field: prop, op: 'neq', value: null }])).toEqual(
        all.filter((n) => !['missing', 'noprops', 'null'].includes(n)),
      )
      expect(await ids(projectId, [{ field: { kind: 'userId' }, op: 'eq', value: null }])).toEqual(
        all.filter((n) => !['num500', 'str500', 'null'].includes(n)),
      )
      expect(await ids(projectId, [{ field: { kind: 'value' }, op: 'eq', value: null }])).toEqual(
        all.filter((n) => !['num500', 'str500', 'noprops', 'float', 'zero'].includes(n)),
      )
    })

    it('neq is exactly what eq does not match, absent fields included', async () => {
      expect(await ids(projectId, [{ field: prop, op: 'neq', value: 500 }])).toEqual(all.filter((n) => n !== 'num500'))
      expect(await ids(projectId, [{ field: { kind: 'userId' }, op: 'neq', value: 'u1' }])).toEqual(
        all.filter((n) => n !== 'num500'),
      )
    })

    it('objects and arrays (empty ones too) equal nothing', async () => {
      for (const value of [500, null, '500', true] as Scalar[]) {
        const got = await ids(projectId, [{ field: prop, op: 'eq', value }])
        for (const name of ['object', 'array', 'emptyobj']) expect(got).not.toContain(name)
      }
      expect(await ids(projectId, [{ field: prop, op: 'neq', value: null }])).toEqual(
        expect.arrayContaining(['object', 'array', 'emptyobj']),
      )
      expect(await ids(projectId, [{ field: prop, op: 'gte', value: -1e308 }])).toEqual(['float', 'num500', 'zero'])
    })

    it('in matches any of its scalars, each compared as eq', async () => {
      expect(await ids(projectId, [{ field: prop, op: 'in', value: ['500', true, null] }])).toEqual([
        'missing',
        'noprops',
        'null',
        'str500',
        'true',
      ])
    })

    it('gt/gte/lt/lte only match JSON numbers ("500" is not > 400)', async () => {
      expect(await ids(projectId, [{ field: prop, op: 'gt', value: 400 }])).toEqual(['num500'])
      expect(await ids(projectId, [{ field: prop, op: 'gte', value: 500 }])).toEqual(['num500'])
      expect(await ids(projectId, [{ field: prop, op: 'lt', value: 5.5 }])).toEqual(['zero'])
      expect(await ids(projectId, [{ field: prop, op: 'lte', value: 5.5 }])).toEqual(['float', 'zero'])
      expect(await ids(projectId, [{ field: { kind: 'value' }, op: 'lt', value: 0 }])).toEqual(['noprops'])
      expect(await ids(projectId, [{ field: { kind: 'userId' }, op: 'gt', value: 0 }])).toEqual([])
    })

    it('a property key containing NUL names nothing: absent', async () => {
      const nul = { kind: 'property', key: 'p\u0000' } as const
      expect(await ids(projectId, [{ field: nul, op: 'eq', value: null }])).toEqual(all)
      expect(await ids(projectId, [{ field: nul, op: 'neq', value: null }])).toEqual([])
      expect(await ids(projectId, [{ field: nul, op: 'neq', value: 500 }])).toEqual(all)
      expect(await ids(projectId, [{ field: nul, op: 'gte', value: -1e308 }])).toEqual([])
      expect(await events.latest({ projectId, filter: {}, field: nul })).toBeNull()
      expect(await events.sumLatestPerUser({ projectId, filter: {}, field: nul })).toEqual({ users: 0, sum: null })
    })

    it('a where list is ANDed, and with the other filter fields', async () => {
      const where: EventPredicate[] = [
        { field: { kind: 'value' }, op: 'gte', value: 0 },
        { field: prop, op: 'neq', value: 0 },
      ]
      expect(await ids(projectId, where)).toEqual(['float', 'num500', 'str500'])
      expect(await ids(projectId, where, { from: T0 + 1, to: T0 + 12 })).toEqual(['float', 'str500'])
      expect(await events.count({ projectId, filter: { where, names: ['num500', 'float'] } })).toBe(2)
      expect(await events.count({ projectId, filter: { where: [] } })).toBe(fixtures.length)
    })
  })

  describe('redis where predicates: rollup paths give way to the scan', () => {
    it('count, countSeries, countByTag and list totals with one tag pair over whole hours', async () => {
      const list = Array.from({ length: 240 }, (_, i) =>
        ev('m', T0 + i * 60_000, { tags: { plan: i % 2 ? 'pro' : 'free' }, value: i }),
      )
      const projectId = await seed(list)
      const filter: EventFilter = {
        tags: { plan: 'pro' },
        from: T0,
        to: T0 + 4 * 3_600_000,
        where: [{ field: { kind: 'value' }, op: 'lt', value: 100 }],
      }
      expect(await events.count({ projectId, filter })).toBe(50)
      expect(await events.list({ projectId, filter, limit: 2, offset: 0 })).toMatchObject({ total: 50 })
      expect(await events.countSeries({ projectId, filter, bucketMs: 3_600_000 })).toEqual([
        { start: T0, count: 30 },
        { start: T0 + 3_600_000, count: 20 },
      ])
      expect(await events.countByTag({ projectId, filter: { where: filter.where }, tagKey: 'plan' })).toEqual([
        { value: 'free', count: 50 },
        { value: 'pro', count: 50 },
      ])
      expect((await events.summarize({ projectId, filter, field: { kind: 'value' }, percentiles: [] })).count).toBe(50)
    })
  })

  describe('redis metric aggregations', () => {
    it('latest: greatest timestamp, then greatest id; only numeric fields', async () => {
      const [low, high] = [randomUUID(), randomUUID()].sort()
      const list = [
        ev('x', T0, { value: 1, properties: { mrr: 10 } }),
        ev('x', T0 + 5, { id: low, value: 2, properties: { mrr: 20 } }),
        ev('x', T0 + 5, { id: high, value: 3, properties: { mrr: '30' } }),
        ev('x', T0 + 9, { properties: { mrr: null } }),
      ]
      const projectId = await seed(list)
      expect(await events.latest({ projectId, filter: {}, field: { kind: 'value' } })).toBe(3)
      expect(await events.latest({ projectId, filter: {}, field: { kind: 'property', key: 'mrr' } })).toBe(20)
      expect(await events.latest({ projectId, filter: { to: T0 + 5 }, field: { kind: 'value' } })).toBe(1)
      expect(await events.latest({ projectId, filter: { names: ['y'] }, field: { kind: 'value' } })).toBeNull()
      expect(
        await events.latest({
          projectId,
          filter: { where: [{ field: { kind: 'value' }, op: 'lt', value: 3 }] },
          field: { kind: 'value' },
        }),
      ).toBe(2)
    })

    it('sumLatestPerUser: each user once, their latest numeric event; no userId skipped; overflow is null', async () => {
      const list = [
        ev('pay', T0, { userId: 'a', value: 10 }),
        ev('pay', T0 + 1, { userId: 'a', value: 15 }),
        ev('pay', T0 + 2, { userId: 'a', properties: { note: 'no value' } }),
        ev('pay', T0 + 1, { userId: 'b', value: 7 }),
        ev('pay', T0 + 3, { value: 1000 }),
        ev('big', T0, { userId: 'c', value: 1e308 }),
        ev('big', T0, { userId: 'd', value: 1e308 }),
      ]
      const projectId = await seed(list)
      expect(
        await events.sumLatestPerUser({ projectId, filter: { names: ['pay'] }, field: { kind: 'value' } }),
      ).toEqual({ users: 2, sum: 22 })
      expect(
        await events.sumLatestPerUser({ projectId, filter: { names: ['big'] }, field: { kind: 'value' } }),
      ).toEqual({ users: 2, sum: null })
      expect(
        await events.sumLatestPerUser({ projectId, filter: { names: ['nothing'] }, field: { kind: 'value' } }),
      ).toEqual({ users: 0, sum: null })
      expect(await events.countDistinctUsers({ projectId, filter: {} })).toBe(4)
      expect(
        await events.countDistinctUsers({
          projectId,
          filter: { names: ['pay'], where: [{ field: { kind: 'value' }, op: 'gt', value: 10 }] },
        }),
      ).toBe(1)
    })
  })

  describe('redis where predicates: against the oracle', () => {
    const next = random(909)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]
    const names = ['signup', 'pay', 'page.view', 'page.leave']
    const day = 86_400_000
    const start = Date.UTC(2024, 4, 1, 22, 17, 3, 9)
    const anyJson = (): unknown =>
      pick([
        () => pick(['500', 'pro', 'Pro', 'true', '', 'a b']),
        () => pick([500, 0, -3, 1.5, 1e21, 499.99]),
        () => next() < 0.5,
        () => null,
        () => ({ a: 500 }),
        () => [500],
        () => ({}),
      ])()
    const list: NewEvent[] = Array.from({ length: 1000 }, () => {
      const properties: Record<string, unknown> | null = next() < 0.1 ? null : {}
      if (properties) {
        for (const key of ['plan', 'amount', 'flag', 'meta', 'a:b ü']) if (next() < 0.75) properties[key] = anyJson()
        if (next() < 0.5) properties.amount = Math.round(next() * 20000 - 5000) / 100
      }
      return ev(pick(names), start + Math.floor(next() * 3 * 24 * 60) * 60_000, {
        userId: next() < 0.2 ? null : pick(['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7', '500', '']),
        value: next() < 0.25 ? null : pick([500, 0, -2.5, Math.round(next() * 1000) / 10, Math.floor(next() * 100)]),
        properties,
        tags:
          next() < 0.3
            ? null
            : { tier: pick(['gold', 'silver']), ...(next() < 0.5 ? { geo: pick(['de', 'fr']) } : {}) },
      })
    })
    const scalars: Scalar[] = ['500', 500, 'pro', 'Pro', 'true', true, false, null, 0, 1.5, '', 'u3', -3, 1e21, 499.99]
    const numbers = [500, 0, -3, 1.5, 499.99, 10, -2.5, 1e21]
    const fields: PredicateField[] = [
      { kind: 'value' },
      { kind: 'userId' },
      ...['plan', 'amount', 'flag', 'meta', 'a:b ü', 'missing', 'amount\u0000'].map(
        (key) => ({ kind: 'property', key }) as const,
      ),
    ]
    const predicate = (): EventPredicate => {
      const field = pick(fields)
      const op = pick(['eq', 'neq', 'in', 'gt', 'gte', 'lt', 'lte'] as const)
      if (op === 'eq' || op === 'neq') return { field, op, value: pick(scalars) }
      if (op === 'in')
        return { field, op, value: Array.from({ length: 1 + Math.floor(next() * 4) }, () => pick(scalars)) }
      return { field, op, value: pick(numbers) }
    }
    const filters: EventFilter[] = []
    for (let i = 0; i < 80; i++) {
      const f: EventFilter = { where: Array.from({ length: next() < 0.7 ? 1 : 2 }, predicate) }
      const [a, b] = [start - day / 2 + next() * 4 * day, start - day / 2 + next() * 4 * day]
        .map(Math.floor)
        .sort((x, y) => x - y)
      if (next() < 0.6) f.from = a
      if (next() < 0.6) f.to = b
      const kind = Math.floor(next() * 4)
      if (kind === 1) f.names = [pick(names), pick(names)]
      if (kind === 2) f.namePrefix = 'page.'
      if (next() < 0.3) f.tags = { tier: 'gold' }
      if (next() < 0.1) f.tags = { ...f.tags, geo: 'de' }
      if (next() < 0.05) f.userId = pick(['u1', '500'])
      filters.push(f)
    }
    let projectId = ''
    beforeAll(async () => {
      projectId = await seed(list)
    })

    it('answers every op as the documented semantics do, over 80 random predicate lists', async () => {
      let nonEmpty = 0
      for (const [i, filter] of filters.entries()) {
        const label = JSON.stringify(filter)
        const mine = list.filter((e) => matches(e, filter))
        if (mine.length > 0) nonEmpty++
        expect(await events.count({ projectId, filter }), label).toBe(mine.length)
        const listed = await events.list({ projectId, filter, limit: 15, offset: 3 })
        expect(listed.total, label).toBe(mine.length)
        expect(
          listed.events.map((e) => e.id),
          label,
        ).toEqual(
          [...mine]
            .sort(newestFirst)
            .slice(3, 18)
            .map((e) => e.id),
        )
        for (const bucketMs of [3_600_000, 7 * 60_000]) {
          const counts = new Map<number, number>()
          for (const e of mine)
            counts.set(
              e.timestamp - (e.timestamp % bucketMs),
              (counts.get(e.timestamp - (e.timestamp % bucketMs)) ?? 0) + 1,
            )
          const expected = [...counts].sort(([x], [y]) => x - y).map(([start, count]) => ({ start, count }))
          expect(await events.countSeries({ projectId, filter, bucketMs }), label).toEqual(expected)
        }
        const byTier = new Map<string, number>()
        for (const e of mine)
          if (e.tags?.tier !== undefined) byTier.set(e.tags.tier, (byTier.get(e.tags.tier) ?? 0) + 1)
        const expectedTiers = [...byTier]
          .map(([value, count]) => ({ value, count }))
          .sort((x, y) => y.count - x.count || x.value.localeCompare(y.value))
        expect(await events.countByTag({ projectId, filter, tagKey: 'tier' }), label).toEqual(expectedTiers)
        expect(await events.countDistinctUsers({ projectId, filter }), label).toBe(oracle.countDistinctUsers(mine))
        for (const minEvents of [2, 3])
          expect(await events.countDistinctUsers({ projectId, filter, minEvents }), label).toBe(
            oracle.countDistinctUsers(mine, minEvents),
          )
        const any = [filter, filters[(i + 1) % filters.length], filters[(i + 7) % filters.length]]
        expect(await events.countDistinctUsersInAny({ projectId, filters: any }), label).toBe(
          oracle.countDistinctUsersInAny(list, any),
        )
        for (const field of [{ kind: 'value' }, { kind: 'property', key: 'amount' }] as EventField[]) {
          const values = mine.map((e) => numberOf(e, field)).filter((x): x is number => x !== undefined)
          const summary = await events.summarize({ projectId, filter, field, percentiles: [50] })
          expect(summary.count, label).toBe(values.length)
          if (values.length > 0) expect(summary.sum, label).toBe(sumAscending(values))
          expect(await events.latest({ projectId, filter, field }), label).toBe(oracle.latest(mine, field))
          expect(await events.sumLatestPerUser({ projectId, filter, field }), label).toEqual(
            oracle.sumLatestPerUser(mine, field),
          )
        }
      }
      // The random lists must not all be trivially empty.
      expect(nonEmpty).toBeGreaterThan(30)
    })
  })
}
