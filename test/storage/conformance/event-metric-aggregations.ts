// Event predicates (`EventFilter.where`) and the aggregations metric definitions need
// (countDistinctUsers, latest, sumLatestPerUser): the semantics on `EventPredicate` as tests.
import { randomUUID } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import type {
  EventField,
  EventFilter,
  EventPredicate,
  NewEvent,
  PredicateField,
  StoredEvent,
} from '../../../src/storage'
import { event, type MakeStorage, newProject, seedTwoTenants, sum, T0, useStorage } from './helpers'

const value: EventField = { kind: 'value' }
const user: PredicateField = { kind: 'userId' }
const prop = (key: string): EventField => ({ kind: 'property', key })
const p = prop('p')

/** Two ids that sort `lower` < `higher` as strings (and as Postgres uuids), unique per call. */
function tiedIds(): { lower: string; higher: string } {
  const base = randomUUID().slice(0, 35)
  return { lower: `${base}9`, higher: `${base}a` }
}

export function eventMetricAggregationTests(makeStorage: MakeStorage) {
  describe('event predicates and metric aggregations', () => {
    const store = useStorage(makeStorage)

    describe('where', () => {
      // Each event is labelled by its userEmail (no predicate reads it); event i happens at T0 + i s.
      const rows: Array<[string, Partial<NewEvent>]> = [
        ['a', { value: 5, properties: { p: 'abc' }, userId: 'u1', tags: { plan: 'pro' } }],
        ['b', { value: 5.5, properties: { p: 500 }, userId: 'u2', tags: { plan: 'pro' } }],
        ['c', { value: -3, properties: { p: '500' } }],
        ['d', { properties: { p: true }, userId: 'u1' }],
        ['e', { value: 0, properties: { p: 'true' }, userId: 'U1' }],
        ['f', { value: 500, properties: { p: null }, userId: 'u3', tags: { plan: 'pro' } }],
        ['g', { value: -0.25, properties: { p: { a: 1 } } }],
        ['h', { value: 1e6, properties: { p: [1, 2] }, tags: { plan: 'pro' }, name: 'other' }],
        ['i', { properties: null }],
        ['j', { value: 400, properties: { other: 1 }, tags: { plan: 'free' } }],
        ['k', { value: 5, properties: { p: -2.5 } }],
        ['l', { properties: { p: false } }],
        ['m', { properties: { p: 5 }, userId: '5' }],
        ['n', { properties: { p: 0 } }],
        ['o', { properties: { p: 'ABC' } }],
        ['q', { properties: { p: 'abc ' } }],
        ['r', { properties: { 'a.b': 1, 'we"ird': 'x', 'x\\y': false } }],
      ]
      const events = rows.map(([label, fields], i) => event('x', T0 + i * 1000, { userEmail: label, ...fields }))
      const labels = rows.map(([label]) => label)
      const all = labels.join('')
      const except = (out: string) => labels.filter((l) => !out.includes(l)).join('')
      let projectId = ''
      beforeAll(async () => {
        projectId = (await seedTwoTenants(store(), events)).a
      })

      /** The labels (sorted, as one string) of the events `list` returns, checked against its total and `count`. */
      async function matching(filter: EventFilter): Promise<string> {
        const { events: listed, total } = await store().events.list({ projectId, filter, limit: 1000, offset: 0 })
        expect(total).toBe(listed.length)
        expect(await store().events.count({ projectId, filter })).toBe(total)
        return listed
          .map((e) => e.userEmail)
          .sort()
          .join('')
      }
      const cases: Array<[string, EventPredicate, string]> = [
        // A property of every JSON kind.
        ['p eq "abc" (exact, case-sensitive)', { field: p, op: 'eq', value: 'abc' }, 'a'],
        ['p eq "ABC"', { field: p, op: 'eq', value: 'ABC' }, 'o'],
        ['p eq "500" (string, not number)', { field: p, op: 'eq', value: '500' }, 'c'],
        ['p eq 500 (number, not string)', { field: p, op: 'eq', value: 500 }, 'b'],
        ['p eq true (boolean, not string)', { field: p, op: 'eq', value: true }, 'd'],
        ['p eq "true" (string, not boolean)', { field: p, op: 'eq', value: 'true' }, 'e'],
        ['p eq false', { field: p, op: 'eq', value: false }, 'l'],
        ['p eq 5', { field: p, op: 'eq', value: 5 }, 'm'],
        ['p eq 5.0', { field: p, op: 'eq', value: 5.0 }, 'm'],
        ['p eq 0', { field: p, op: 'eq', value: 0 }, 'n'],
        ['p eq -2.5', { field: p, op: 'eq', value: -2.5 }, 'k'],
        [
          'p eq null (JSON null, missing key, null properties)',
          { field: p, op: 'eq', value: null },
          except('abcdeghklmnoq'),
        ],
        ['p neq null', { field: p, op: 'neq', value: null }, 'abcdeghklmnoq'],
        ['p neq "abc" (absent included)', { field: p, op: 'neq', value: 'abc' }, except('a')],
        ['p neq 500', { field: p, op: 'neq', value: 500 }, except('b')],
        ['p neq true', { field: p, op: 'neq', value: true }, except('d')],
        [
          'p in mixed scalars and null',
          { field: p, op: 'in', value: ['abc', 500, true, null] },
          `abd${except('abcdeghklmnoq')}`,
        ],
        ['p in ["500", false, 0]', { field: p, op: 'in', value: ['500', false, 0] }, 'cln'],
        ['p in [1] (inside an array: no)', { field: p, op: 'in', value: [1] }, ''],
        ['p gt 400 ("500" is not > 400)', { field: p, op: 'gt', value: 400 }, 'b'],
        ['p gte 500', { field: p, op: 'gte', value: 500 }, 'b'],
        ['p lt 0', { field: p, op: 'lt', value: 0 }, 'k'],
        ['p lte 0', { field: p, op: 'lte', value: 0 }, 'kn'],
        ['p gt -3', { field: p, op: 'gt', value: -3 }, 'bkmn'],
        ['p gte -2.5', { field: p, op: 'gte', value: -2.5 }, 'bkmn'],
        ['p lt 5', { field: p, op: 'lt', value: 5 }, 'kn'],
        ['p lte 5', { field: p, op: 'lte', value: 5 }, 'kmn'],
        ['p lt 1e300 (no boolean, string or null compares)', { field: p, op: 'lt', value: 1e300 }, 'bkmn'],
        // Keys that need quoting.
        ['a.b eq 1 (one key with a dot)', { field: prop('a.b'), op: 'eq', value: 1 }, 'r'],
        ['we"ird eq "x"', { field: prop('we"ird'), op: 'eq', value: 'x' }, 'r'],
        ['x\\y eq false', { field: prop('x\\y'), op: 'eq', value: false }, 'r'],
        ['a eq 1 (not a nested path)', { field: prop('a'), op: 'eq', value: 1 }, ''],
        // A key with NUL names nothing: the field is absent.
        ['NUL key eq null', { field: prop('p\u0000'), op: 'eq', value: null }, all],
        ['NUL key neq null', { field: prop('p\u0000'), op: 'neq', value: null }, ''],
        ['NUL key eq "abc"', { field: prop('p\u0000'), op: 'eq', value: 'abc' }, ''],
        ['NUL key neq "abc"', { field: prop('p\u0000'), op: 'neq', value: 'abc' }, all],
        ['NUL key gte 0', { field: prop('p\u0000'), op: 'gte', value: 0 }, ''],
        // The value.
        ['value eq 5', { field: value, op: 'eq', value: 5 }, 'ak'],
        ['value eq 5.5', { field: value, op: 'eq', value: 5.5 }, 'b'],
        ['value eq -0.25', { field: value, op: 'eq', value: -0.25 }, 'g'],
        ['value eq "5"', { field: value, op: 'eq', value: '5' }, ''],
        ['value eq true', { field: value, op: 'eq', value: true }, ''],
        ['value eq null', { field: value, op: 'eq', value: null }, 'dilmnoqr'],
        ['value neq null', { field: value, op: 'neq', value: null }, except('dilmnoqr')],
        ['value neq 5', { field: value, op: 'neq', value: 5 }, except('ak')],
        ['value neq "5"', { field: value, op: 'neq', value: '5' }, all],
        ['value in [5, -3, null]', { field: value, op: 'in', value: [5, -3, null] }, 'ackdilmnoqr'],
        ['value gt 400', { field: value, op: 'gt', value: 400 }, 'fh'],
        ['value gte 400', { field: value, op: 'gte', value: 400 }, 'fhj'],
        ['value lt 0', { field: value, op: 'lt', value: 0 }, 'cg'],
        ['value lte -0.25', { field: value, op: 'lte', value: -0.25 }, 'cg'],
        ['value lt -0.25', { field: value, op: 'lt', value: -0.25 }, 'c'],
        ['value gt -1', { field: value, op: 'gt', value: -1 }, 'abefghjk'],
        ['value gte 5.25', { field: value, op: 'gte', value: 5.25 }, 'bfhj'],
        // The user id.
        ['userId eq "u1" (case-sensitive)', { field: user, op: 'eq', value: 'u1' }, 'ad'],
        ['userId eq "U1"', { field: user, op: 'eq', value: 'U1' }, 'e'],
        ['userId eq "5"', { field: user, op: 'eq', value: '5' }, 'm'],
        ['userId eq 5 (a string is no number)', { field: user, op: 'eq', value: 5 }, ''],
        ['userId eq null', { field: user, op: 'eq', value: null }, except('abdefm')],
        ['userId neq "u1"', { field: user, op: 'neq', value: 'u1' }, except('ad')],
        ['userId neq null', { field: user, op: 'neq', value: null }, 'abdefm'],
        [
          'userId in ["u1", "u3", null]',
          { field: user, op: 'in', value: ['u1', 'u3', null] },
          `adf${except('abdefm')}`,
        ],
        ['userId gte 0 (never a number)', { field: user, op: 'gte', value: 0 }, ''],
      ]
      const sorted = (s: string) => [...s].sort().join('')

      it.each(cases)('%s', async (_, predicate, expected) => {
        expect(await matching({ where: [predicate] })).toBe(sorted(expected))
      })

      it('ANDs predicates, and with names, time range, user and tags', async () => {
        const gtMinus1: EventPredicate = { field: value, op: 'gt', value: -1 }
        expect(
          await matching({
            where: [
              { field: user, op: 'eq', value: 'u1' },
              { field: value, op: 'eq', value: null },
            ],
          }),
        ).toBe('d')
        expect(await matching({ where: [gtMinus1, { field: p, op: 'neq', value: null }] })).toBe('abeghk')
        expect(await matching({ names: ['x'], where: [{ field: value, op: 'gt', value: 400 }] })).toBe('f')
        expect(await matching({ tags: { plan: 'pro' }, where: [{ field: value, op: 'gt', value: 400 }] })).toBe('fh')
        expect(await matching({ names: ['x'], from: T0 + 5000, to: T0 + 10_000, where: [gtMinus1] })).toBe('fgj')
        expect(await matching({ userId: 'u1', where: [{ field: p, op: 'eq', value: true }] })).toBe('d')
        expect(await matching({ namePrefix: 'oth', where: [gtMinus1] })).toBe('h')
        expect(await matching({ where: [gtMinus1, { field: value, op: 'lt', value: -1 }] })).toBe('')
      })

      it('pages list with the predicate applied, total included', async () => {
        const filter: EventFilter = { where: [{ field: value, op: 'neq', value: null }] }
        const expected = events.filter((e) => e.value !== null).sort((x, y) => y.timestamp - x.timestamp)
        const page = await store().events.list({ projectId, filter, limit: 3, offset: 2 })
        expect(page.total).toBe(expected.length)
        expect(page.events.map((e) => e.id)).toEqual(expected.slice(2, 5).map((e) => e.id))
      })

      it('applies predicates to countSeries, countByTag and summarize', async () => {
        const where: EventPredicate[] = [{ field: value, op: 'gt', value: -1 }]
        const kept = events.filter((e) => e.value !== null && e.value > -1)
        const buckets = new Map<number, number>()
        for (const e of kept) {
          const start = Math.floor(e.timestamp / 4000) * 4000
          buckets.set(start, (buckets.get(start) ?? 0) + 1)
        }
        expect(await store().events.countSeries({ projectId, filter: { where }, bucketMs: 4000 })).toEqual(
          [...buckets].sort(([x], [y]) => x - y).map(([start, count]) => ({ start, count })),
        )
        expect(
          await store().events.countByTag({
            projectId,
            filter: { where: [{ field: value, op: 'gte', value: 400 }] },
            tagKey: 'plan',
          }),
        ).toEqual([
          { value: 'pro', count: 2 },
          { value: 'free', count: 1 },
        ])
        const noUser = events.filter((e) => e.userId === null && e.value !== null).map((e) => e.value!)
        const summary = await store().events.summarize({
          projectId,
          filter: { where: [{ field: user, op: 'eq', value: null }] },
          field: value,
          percentiles: [100],
        })
        expect(summary).toEqual({
          count: noUser.length,
          sum: sum(noUser),
          avg: sum(noUser) / noUser.length,
          min: Math.min(...noUser),
          max: Math.max(...noUser),
          percentiles: { 100: 1e6 },
        })
        const numericP = await store().events.summarize({
          projectId,
          filter: { where: [{ field: p, op: 'neq', value: 5 }] },
          field: p,
          percentiles: [],
        })
        expect(numericP).toMatchObject({ count: 3, sum: 497.5, min: -2.5, max: 500 })
      })
    })

    it('firstTimestamp: the earliest event of the project, undefined without one', async () => {
      const empty = await newProject(store())
      expect(await store().events.firstTimestamp({ projectId: empty })).toBeUndefined()
      const { a, b } = await seedTwoTenants(store(), [
        event('late', T0 + 5_000),
        event('early', T0 - 3_000, { value: 1 }),
        event('middle', T0),
      ])
      expect(await store().events.firstTimestamp({ projectId: a })).toBe(T0 - 3_000)
      // An earlier event in another project changes nothing here; one in this project does.
      await store().events.insert({ projectId: b, events: [event('older', 0)] })
      expect(await store().events.firstTimestamp({ projectId: a })).toBe(T0 - 3_000)
      expect(await store().events.firstTimestamp({ projectId: b })).toBe(0)
      await store().events.insert({ projectId: a, events: [event('imported', T0 - 86_400_000)] })
      expect(await store().events.firstTimestamp({ projectId: a })).toBe(T0 - 86_400_000)
    })

    describe('countDistinctUsers', () => {
      it('counts distinct non-null users of the matching events, per project', async () => {
        const { a } = await seedTwoTenants(store(), [
          event('login', T0, { userId: 'u1' }),
          event('login', T0 + 1, { userId: 'u1', value: 3 }),
          event('login', T0 + 2, { userId: 'U1' }),
          event('login', T0 + 3, { userId: 'u2', value: 9 }),
          event('login', T0 + 4, { userId: null, value: 9 }),
          event('login', T0 + 5, { userId: null }),
          event('logout', T0 + 6, { userId: 'u3' }),
        ])
        const count = (filter: EventFilter) => store().events.countDistinctUsers({ projectId: a, filter })
        expect(await count({})).toBe(4)
        expect(await count({ names: ['login'] })).toBe(3)
        expect(await count({ names: ['login'], where: [{ field: value, op: 'gt', value: 1 }] })).toBe(2)
        expect(await count({ from: T0 + 2, to: T0 + 6 })).toBe(2)
        expect(await count({ where: [{ field: user, op: 'eq', value: null }] })).toBe(0)
        expect(await count({ names: ['missing'] })).toBe(0)
      })

      it('with minEvents, counts only the users with at least that many matching events', async () => {
        const events = [
          event('buy', T0, { userId: 'u1', value: 10 }),
          event('buy', T0 + 1, { userId: 'u2', value: 10 }),
          event('buy', T0 + 2, { userId: 'u2', value: 20 }),
          event('buy', T0 + 3, { userId: 'u3', value: 10 }),
          event('buy', T0 + 4, { userId: 'u3', value: 20 }),
          event('buy', T0 + 5, { userId: 'u3', value: 30 }),
          event('buy', T0 + 6, { userId: null, value: 10 }),
          event('buy', T0 + 7, { userId: null, value: 20 }),
          event('buy', T0 + 8, { userId: null, value: 30 }),
          event('buy', T0 + 9, { userId: 'u4', value: 5 }),
          event('buy', T0 + 10, { userId: 'u4', value: 5 }),
          event('view', T0 + 11, { userId: 'u4' }),
          event('buy', T0 + 12, { userId: '', value: 1 }),
          event('buy', T0 + 13, { userId: '', value: 1 }),
        ]
        const a = await newProject(store())
        await store().events.insert({ projectId: a, events })
        // Another project where u1 buys twice more: leaked into a's count, u1 would reach 2 and 3.
        const b = await newProject(store())
        await store().events.insert({
          projectId: b,
          events: [event('buy', T0, { userId: 'u1', value: 10 }), event('buy', T0 + 1, { userId: 'u1', value: 10 })],
        })
        const count = (filter: EventFilter, minEvents?: number) =>
          store().events.countDistinctUsers({ projectId: a, filter, minEvents })
        // u1: 1 event, u2: 2, u3: 3, u4: 2 buys and a view, '' (a user id all the same): 2; the three without a user never count.
        expect(await count({})).toBe(5)
        expect(await count({}, 1)).toBe(5)
        expect(await count({}, 2)).toBe(4)
        expect(await count({}, 3)).toBe(2)
        expect(await count({}, 4)).toBe(0)
        expect(await count({ names: ['buy'] }, 2)).toBe(4)
        expect(await count({ names: ['buy'] }, 3)).toBe(1)
        const tenOrMore: EventPredicate = { field: value, op: 'gte', value: 10 }
        expect(await count({ names: ['buy'], where: [tenOrMore] }, 1)).toBe(3)
        expect(await count({ names: ['buy'], where: [tenOrMore] }, 2)).toBe(2)
        expect(await count({ names: ['buy'], where: [tenOrMore] }, 3)).toBe(1)
        expect(await count({ from: T0 + 2, to: T0 + 6 }, 1)).toBe(2)
        expect(await count({ from: T0 + 2, to: T0 + 6 }, 2)).toBe(1)
        expect(
          await count(
            { names: ['buy'], from: T0 + 2, to: T0 + 11, where: [{ field: value, op: 'gte', value: 20 }] },
            2,
          ),
        ).toBe(1)
        expect(await count({ where: [{ field: user, op: 'eq', value: null }] }, 1)).toBe(0)
        expect(await count({ tags: { 'plan\u0000': 'x' } }, 1)).toBe(0)
        expect(await store().events.countDistinctUsers({ projectId: b, filter: {}, minEvents: 2 })).toBe(1)
      })

      it('refuses a minEvents that is not an integer >= 1', async () => {
        const projectId = await newProject(store())
        for (const minEvents of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
          await expect(
            store().events.countDistinctUsers({ projectId, filter: {}, minEvents }),
            String(minEvents),
          ).rejects.toThrow(/minEvents/)
        }
      })
    })

    describe('countDistinctUsersInAny', () => {
      const day = 86_400_000
      const now = T0
      const period = (name: string): EventPredicate => ({ field: prop('period'), op: 'eq', value: name })
      // Paying customers: a monthly payment in the last month, a quarterly one in the last 3 months, or a yearly one in the last 12.
      const monthly: EventFilter = { names: ['payment'], from: now - 31 * day, to: now, where: [period('monthly')] }
      const quarterly: EventFilter = { names: ['payment'], from: now - 92 * day, to: now, where: [period('quarterly')] }
      const yearly: EventFilter = { names: ['payment'], from: now - 366 * day, to: now, where: [period('yearly')] }
      const pay = (userId: string | null, daysAgo: number, billing: string, fields: Partial<NewEvent> = {}) =>
        event('payment', now - daysAgo * day, { userId, value: 10, properties: { period: billing }, ...fields })
      const events = [
        pay('m1', 10, 'monthly', { tags: { plan: 'pro' } }),
        pay('m2', 40, 'monthly'), // too old for a monthly payment
        pay('q1', 40, 'quarterly'),
        pay('q2', 100, 'quarterly'), // too old for a quarterly one
        pay('y1', 200, 'yearly', { tags: { plan: 'pro' } }),
        pay('y2', 400, 'yearly'), // too old for a yearly one
        pay('both', 5, 'monthly'),
        pay('both', 100, 'yearly'),
        pay('both', 6, 'monthly'),
        pay('weekly', 1, 'weekly'),
        pay(null, 1, 'monthly'),
        pay('future', -1, 'monthly'), // `to` is exclusive: now and later are out
        event('refund', now - day, { userId: 'r1', properties: { period: 'monthly' } }),
      ]
      let a = ''
      let b = ''
      beforeAll(async () => {
        a = await newProject(store())
        await store().events.insert({ projectId: a, events })
        // Another project whose users match every filter: none of them may count for a.
        b = await newProject(store())
        await store().events.insert({
          projectId: b,
          events: [pay('b1', 1, 'monthly'), pay('b2', 1, 'quarterly'), pay('b3', 1, 'yearly'), pay('m2', 1, 'monthly')],
        })
      })
      const inAny = (filters: EventFilter[], projectId = a) =>
        store().events.countDistinctUsersInAny({ projectId, filters })

      it('counts a user matching several filters once (each filter with names, from/to and where)', async () => {
        expect(await inAny([monthly, quarterly, yearly])).toBe(4) // m1, q1, y1, both
        expect(await inAny([monthly, yearly])).toBe(3) // both matches the two: once
        expect(await inAny([monthly])).toBe(await store().events.countDistinctUsers({ projectId: a, filter: monthly }))
        expect(await inAny([monthly])).toBe(2)
        expect(await inAny([monthly, monthly])).toBe(2)
        expect(await inAny([{ names: ['payment'] }, monthly, { where: [period('yearly')] }])).toBe(9) // every user with a payment (none without a user)
      })

      it('adds up disjoint filters; the empty list and filters matching nothing count 0', async () => {
        expect(await inAny([{ userId: 'm1' }, { userId: 'q1' }, { userId: 'nobody' }])).toBe(2)
        expect(await inAny([quarterly, { namePrefix: 'ref' }])).toBe(2)
        expect(await inAny([])).toBe(0)
        expect(await inAny([{ names: [] }, { names: ['missing'] }])).toBe(0)
        expect(await inAny([{ tags: { 'plan\u0000': 'pro' } }])).toBe(0)
        expect(await inAny([{ tags: { 'plan\u0000': 'pro' } }, monthly])).toBe(2)
        expect(await inAny([{ tags: { plan: 'pro' } }, { tags: { plan: 'pro' }, userId: 'y1' }])).toBe(2)
      })

      it("never counts another project's users", async () => {
        expect(await inAny([monthly, quarterly, yearly], b)).toBe(4)
        expect(await inAny([{}], b)).toBe(4)
        expect(await inAny([monthly, quarterly, yearly], await newProject(store()))).toBe(0)
        expect(await inAny([{ userId: 'b1' }])).toBe(0)
      })
    })

    describe('latest', () => {
      /** The field's latest number computed here: greatest timestamp, then greatest id. */
      function expectedLatest(events: StoredEvent[] | NewEvent[], read: (e: NewEvent) => unknown): number | null {
        const numeric = (events as NewEvent[]).filter((e) => typeof read(e) === 'number')
        numeric.sort((x, y) => y.timestamp - x.timestamp || (x.id < y.id ? 1 : -1))
        return numeric.length === 0 ? null : (read(numeric[0]) as number)
      }

      it('answers the value of the newest numeric event, ties broken by the greatest id', async () => {
        const tie = tiedIds()
        const events = [
          event('mrr', T0, { value: 1 }),
          event('mrr', T0 + 10, { id: tie.higher, value: 20 }),
          event('mrr', T0 + 10, { id: tie.lower, value: 10 }),
          event('mrr', T0 + 5, { value: 5 }),
          event('mrr', T0 + 20, { value: null, properties: { amount: '99' } }),
          event('mrr', T0 + 3, { properties: { amount: 7.5 } }),
          event('mrr', T0 + 4, { properties: { amount: 8 }, value: -1.5 }),
          event('other', T0 + 30, { value: 1000 }),
        ]
        const { a } = await seedTwoTenants(store(), events)
        const latest = (filter: EventFilter, field: EventField = value) =>
          store().events.latest({ projectId: a, filter, field })
        expect(await latest({ names: ['mrr'] })).toBe(expectedLatest(events.slice(0, 7), (e) => e.value))
        expect(await latest({ names: ['mrr'] })).toBe(20)
        expect(await latest({})).toBe(1000)
        expect(await latest({ names: ['mrr'] }, { kind: 'property', key: 'amount' })).toBe(8)
        expect(await latest({ names: ['mrr'], to: T0 + 10 })).toBe(5)
        expect(await latest({ names: ['mrr'], where: [{ field: value, op: 'lt', value: 15 }] })).toBe(10)
        expect(await latest({ names: ['mrr'], where: [{ field: value, op: 'lt', value: 0 }] })).toBe(-1.5)
      })

      it('is null when no matching event holds a number there', async () => {
        const { a } = await seedTwoTenants(store(), [
          event('m', T0, { properties: { x: '1', y: null, z: true, w: [1], v: { n: 1 } } }),
          event('m', T0 + 1, { value: 3 }),
        ])
        for (const key of ['x', 'y', 'z', 'w', 'v', 'missing', 'x\u0000']) {
          expect(
            await store().events.latest({ projectId: a, filter: {}, field: { kind: 'property', key } }),
            key,
          ).toBeNull()
        }
        expect(await store().events.latest({ projectId: a, filter: { names: ['none'] }, field: value })).toBeNull()
        expect(
          await store().events.latest({
            projectId: a,
            filter: { where: [{ field: value, op: 'eq', value: null }] },
            field: value,
          }),
        ).toBeNull()
      })
    })

    describe('sumLatestPerUser', () => {
      /** Per user, the latest numeric value (timestamp, then id), computed here. */
      function expectedSum(events: NewEvent[], read: (e: NewEvent) => unknown) {
        const latest = new Map<string, NewEvent>()
        for (const e of events) {
          if (e.userId === null || typeof read(e) !== 'number') continue
          const current = latest.get(e.userId)
          if (!current || e.timestamp > current.timestamp || (e.timestamp === current.timestamp && e.id > current.id))
            latest.set(e.userId, e)
        }
        const values = [...latest.values()].map((e) => read(e) as number)
        return { users: values.length, sum: values.length === 0 ? null : sum(values) }
      }

      it("sums each user's latest numeric value once", async () => {
        const tie = tiedIds()
        const events = [
          event('paid', T0 + 1, { userId: 'u1', value: 10, properties: { plan: 'a', mrr: 1 } }),
          event('paid', T0 + 3, { userId: 'u1', value: 30, properties: { plan: 'b', mrr: '3' } }),
          event('paid', T0 + 2, { userId: 'u1', value: 20, properties: { plan: 'a' } }),
          event('paid', T0 + 5, { userId: 'u2', value: 7, properties: { mrr: 2.5 } }),
          event('paid', T0 + 6, { userId: 'u2', value: null }),
          event('paid', T0 + 4, { id: tie.higher, userId: 'u3', value: 100 }),
          event('paid', T0 + 4, { id: tie.lower, userId: 'u3', value: 1000 }),
          event('paid', T0 + 4, { userId: 'u4', value: null, properties: { mrr: true } }),
          event('paid', T0 + 9, { userId: null, value: 1e6, properties: { mrr: 5 } }),
          event('refund', T0 + 9, { userId: 'u1', value: -5 }),
        ]
        const { a } = await seedTwoTenants(store(), events)
        const sumLatest = (filter: EventFilter, field: EventField = value) =>
          store().events.sumLatestPerUser({ projectId: a, filter, field })
        const paid = events.filter((e) => e.name === 'paid')
        expect(await sumLatest({ names: ['paid'] })).toEqual({ users: 3, sum: 137 })
        expect(await sumLatest({ names: ['paid'] })).toEqual(expectedSum(paid, (e) => e.value))
        expect(await sumLatest({})).toEqual(expectedSum(events, (e) => e.value))
        expect(await sumLatest({ names: ['paid'] }, { kind: 'property', key: 'mrr' })).toEqual({ users: 2, sum: 3.5 })
        const under25: EventPredicate = { field: value, op: 'lt', value: 25 }
        expect(await sumLatest({ names: ['paid'], where: [under25] })).toEqual({ users: 2, sum: 27 })
        expect(
          await sumLatest({
            names: ['paid'],
            where: [
              { field: p, op: 'eq', value: null },
              { field: prop('plan'), op: 'eq', value: 'a' },
            ],
          }),
        ).toEqual({ users: 1, sum: 20 })
        expect(await sumLatest({ names: ['paid'], to: T0 + 5 })).toEqual(
          expectedSum(
            paid.filter((e) => e.timestamp < T0 + 5),
            (e) => e.value,
          ),
        )
        expect(await sumLatest({ names: ['none'] })).toEqual({ users: 0, sum: null })
        expect(await sumLatest({ names: ['paid'] }, { kind: 'property', key: 'x\u0000' })).toEqual({
          users: 0,
          sum: null,
        })
      })

      it('reports a sum beyond the double range as null, negative and float values exactly', async () => {
        const { a } = await seedTwoTenants(store(), [
          event('big', T0, { userId: 'u1', value: 1e308 }),
          event('big', T0, { userId: 'u2', value: 1e308 }),
          event('small', T0, { userId: 'u1', value: -2.25 }),
          event('small', T0 + 1, { userId: 'u2', value: 0.5 }),
          event('small', T0, { userId: 'u2', value: 1e308 }),
        ])
        expect(
          await store().events.sumLatestPerUser({ projectId: a, filter: { names: ['big'] }, field: value }),
        ).toEqual({ users: 2, sum: null })
        expect(
          await store().events.sumLatestPerUser({ projectId: a, filter: { names: ['small'] }, field: value }),
        ).toEqual({ users: 2, sum: -1.75 })
      })
    })
  })
}
