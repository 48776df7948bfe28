// Events: insert (batches, idempotency by client id, concurrency), then get / list / count.
import { beforeAll, describe, expect, it } from 'vitest'
import type { EventFilter } from '../../../src/storage'
import { event, type MakeStorage, newProject, seedTwoTenants, T0, useStorage } from './helpers'

export function insertTests(makeStorage: MakeStorage) {
  describe('events.insert', () => {
    const store = useStorage(makeStorage)

    it('round-trips every field', async () => {
      const projectId = await newProject(store())
      const events = [
        event('café.ünïcödé 注文 🚀', 8_640_000_000_000_000, {
          receivedAt: 8_639_999_999_999_999,
          userId: 'user-ü-1',
          userEmail: 'ana@example.com',
          userName: 'Ana Ñúñez',
          value: 0.1 + 0.2,
          properties: {
            plan: { tier: 'pro', seats: 3, addons: ['sso', null, true, 1.5, { deep: [[]] }] },
            quote: 'a "b" \\ c',
            emoji: '🎉',
            empty: {},
          },
          tags: { plan: 'pro', 'geo.country': 'de', 'with space': 'ja ✓' },
          clientId: 'client-ü-1',
        }),
        event('nulls', T0),
        event('negative', T0 + 1, { value: -1234.5678e-9, properties: { n: -0.5 }, tags: {} }),
        event('big', T0 + 2, { value: 1e21, properties: { n: Number.MAX_SAFE_INTEGER } }),
        event('zero', 0, { receivedAt: 0, value: 0 }),
      ]
      const result = await store().events.insert({ projectId, events })
      expect(result).toEqual({ ids: events.map((e) => e.id), created: events.length })
      for (const e of events) expect(await store().events.get({ projectId, id: e.id })).toEqual({ ...e, projectId })
      const listed = await store().events.list({ projectId, filter: {}, limit: 10, offset: 0 })
      expect(listed.events.find((e) => e.name === 'nulls')).toEqual({ ...events[1], projectId })
    })

    it('returns an empty result for an empty batch', async () => {
      const projectId = await newProject(store())
      expect(await store().events.insert({ projectId, events: [] })).toEqual({ ids: [], created: 0 })
    })

    it('writes a batch atomically: a failing row leaves none of the others', async () => {
      const projectId = await newProject(store())
      const events = Array.from({ length: 700 }, (_, i) => event('bulk', T0 + i))
      // The same event id twice: the store refuses the second row, after the first chunk.
      events[650] = { ...events[650], id: events[0].id }
      await expect(store().events.insert({ projectId, events })).rejects.toThrow()
      expect(await store().events.count({ projectId, filter: {} })).toBe(0)
      expect(await store().events.get({ projectId, id: events[1].id })).toBeUndefined()
    })

    it('stores a repeated clientId once within one call and returns the first id', async () => {
      const projectId = await newProject(store())
      const first = event('order', T0, { clientId: 'c-1' })
      const anonymous = event('order', T0 + 1)
      const repeat = event('order', T0 + 2, { clientId: 'c-1' })
      const result = await store().events.insert({ projectId, events: [first, anonymous, repeat] })
      expect(result).toEqual({ ids: [first.id, anonymous.id, first.id], created: 2 })
      expect(await store().events.get({ projectId, id: repeat.id })).toBeUndefined()
      expect(await store().events.count({ projectId, filter: {} })).toBe(2)
    })

    it('stores a clientId once across calls: a retry creates nothing', async () => {
      const projectId = await newProject(store())
      const first = event('order', T0, { clientId: 'c-1', value: 1 })
      expect(await store().events.insert({ projectId, events: [first] })).toEqual({ ids: [first.id], created: 1 })

      const retry = event('order', T0 + 9, { clientId: 'c-1', value: 2 })
      const fresh = event('order', T0 + 10, { clientId: 'c-2' })
      expect(await store().events.insert({ projectId, events: [retry, fresh] })).toEqual({
        ids: [first.id, fresh.id],
        created: 1,
      })
      expect(await store().events.insert({ projectId, events: [retry, fresh] })).toEqual({
        ids: [first.id, fresh.id],
        created: 0,
      })

      expect(await store().events.get({ projectId, id: first.id })).toEqual({ ...first, projectId })
      expect(await store().events.count({ projectId, filter: {} })).toBe(2)
    })

    it('keeps the same clientId in two projects as two events', async () => {
      const a = await newProject(store())
      const b = await newProject(store())
      const inA = event('order', T0, { clientId: 'shared' })
      const inB = event('order', T0, { clientId: 'shared' })
      expect(await store().events.insert({ projectId: a, events: [inA] })).toEqual({ ids: [inA.id], created: 1 })
      expect(await store().events.insert({ projectId: b, events: [inB] })).toEqual({ ids: [inB.id], created: 1 })
      expect(await store().events.get({ projectId: a, id: inA.id })).toEqual({ ...inA, projectId: a })
      expect(await store().events.get({ projectId: b, id: inB.id })).toEqual({ ...inB, projectId: b })
    })

    it('answers concurrent calls each with their own ids, a shared clientId stored once per project', async () => {
      const [a, b] = [await newProject(store()), await newProject(store())]
      // 30 calls at once: every third repeats clientId 'same' in its project; the rest are new.
      const calls = Array.from({ length: 30 }, (_, i) => ({
        projectId: i % 2 ? a : b,
        events: [event('burst', T0 + i, { clientId: i % 3 === 0 ? 'same' : `own-${i}` }), event('burst', T0 + i)],
      }))
      const results = await Promise.all(calls.map((call) => store().events.insert(call)))
      for (const projectId of [a, b]) {
        const mine = calls
          .map((call, i) => ({ call, result: results[i] }))
          .filter(({ call }) => call.projectId === projectId)
        const sameIds = new Set(
          mine.filter(({ call }) => call.events[0].clientId === 'same').map(({ result }) => result.ids[0]),
        )
        expect(sameIds.size).toBe(1) // every call naming 'same' got the one stored id
        for (const { call, result } of mine) {
          if (call.events[0].clientId !== 'same') expect(result.ids[0]).toBe(call.events[0].id)
          expect(result.ids[1]).toBe(call.events[1].id)
        }
        const created = mine.reduce((sum, { result }) => sum + result.created, 0)
        expect(created).toBe(await store().events.count({ projectId, filter: {} }))
        expect(created).toBe(15 + 15 - mine.filter(({ call }) => call.events[0].clientId === 'same').length + 1)
      }
    })

    it('fails only the call that fails when calls arrive together', async () => {
      const projectId = await newProject(store())
      const existing = event('old', T0)
      await store().events.insert({ projectId, events: [existing] })
      const good = Array.from({ length: 5 }, (_, i) => [event('good', T0 + i)])
      const bad = [event('bad', T0), { ...event('bad', T0), id: existing.id }] // a primary-key clash
      const settled = await Promise.allSettled(
        [...good, bad, ...good.map(() => [event('good', T0)])].map((events) =>
          store().events.insert({ projectId, events }),
        ),
      )
      expect(settled.map((r) => r.status)).toEqual([
        ...Array(5).fill('fulfilled'),
        'rejected',
        ...Array(5).fill('fulfilled'),
      ])
      expect(await store().events.count({ projectId, filter: { names: ['good'] } })).toBe(10)
      expect(await store().events.count({ projectId, filter: { names: ['bad'] } })).toBe(0)
    })

    it('inserts batches larger than 500 events, with repeats across the batch', async () => {
      const projectId = await newProject(store())
      // 1200 events, 1000 client ids: events 1000..1199 repeat the client ids of 0..199.
      const events = Array.from({ length: 1200 }, (_, i) => event('bulk', T0 + i, { clientId: `c-${i % 1000}` }))
      const expectedIds = events.map((e, i) => (i < 1000 ? e.id : events[i - 1000].id))

      expect(await store().events.insert({ projectId, events })).toEqual({ ids: expectedIds, created: 1000 })
      expect(await store().events.count({ projectId, filter: {} })).toBe(1000)
      expect(await store().events.insert({ projectId, events })).toEqual({ ids: expectedIds, created: 0 })

      const anonymous = Array.from({ length: 1100 }, (_, i) => event('bulk', T0 + i))
      expect((await store().events.insert({ projectId, events: anonymous })).created).toBe(1100)
      expect(await store().events.count({ projectId, filter: {} })).toBe(2100)
    })
  })
}

export function queryTests(makeStorage: MakeStorage) {
  describe('events.get / list / count', () => {
    const store = useStorage(makeStorage)

    it('isolates tenants: project B never reads project A rows', async () => {
      const events = [event('a', T0), event('b', T0 + 1, { clientId: 'x' })]
      const { a, b } = await seedTwoTenants(store(), events)
      for (const e of events) expect(await store().events.get({ projectId: b, id: e.id })).toBeUndefined()
      const listedB = await store().events.list({ projectId: b, filter: {}, limit: 10, offset: 0 })
      expect(listedB.total).toBe(2)
      expect(listedB.events.map((e) => e.projectId)).toEqual([b, b])
      expect(listedB.events.map((e) => e.id)).not.toContain(events[0].id)
      expect(listedB.events.map((e) => e.id)).not.toContain(events[1].id)
      expect(await store().events.count({ projectId: a, filter: {} })).toBe(2)
      expect(await store().events.count({ projectId: await newProject(store()), filter: {} })).toBe(0)
    })

    it('lists newest first (ties by id, descending), with limit, offset and total', async () => {
      const [x, y] = [event('tie', T0 + 3000), event('tie', T0 + 3000)]
      const [tieHigh, tieLow] = x.id > y.id ? [x, y] : [y, x]
      const newest = event('newest', T0 + 5000)
      const middle = event('middle', T0 + 1000)
      const oldest = event('oldest', T0)
      const { a } = await seedTwoTenants(store(), [middle, tieLow, newest, oldest, tieHigh])
      const ids = async (limit: number, offset: number) => {
        const { events, total } = await store().events.list({ projectId: a, filter: {}, limit, offset })
        expect(total).toBe(5)
        return events.map((e) => e.id)
      }

      expect(await ids(10, 0)).toEqual([newest.id, tieHigh.id, tieLow.id, middle.id, oldest.id])
      expect(await ids(2, 1)).toEqual([tieHigh.id, tieLow.id])
      expect(await ids(2, 4)).toEqual([oldest.id])
      expect(await ids(5, 5)).toEqual([])
    })

    describe('filters', () => {
      let projectId = ''
      beforeAll(async () => {
        const events = [
          event('user.signup', T0, { userId: 'u1', tags: { plan: 'pro', 'geo.country': 'de' } }),
          event('user.login', T0 + 1000, { userId: 'u1', tags: { plan: 'pro', 'geo.country': 'fr' } }),
          event('user.signup', T0 + 2000, { userId: 'u2', tags: { plan: 'free', 'geo.country': 'de' } }),
          event('users', T0 + 3000, { userId: 'u2', tags: { plan: 'pro' } }),
          event('User.x', T0 + 4000, { tags: { 'geo.country': 'de' } }),
          event('user', T0 + 5000),
          event('100%_off', T0 + 6000),
          event('100%xoff', T0 + 7000),
          event('100abc', T0 + 8000),
          event('a_b', T0 + 9000),
          event('axb', T0 + 10_000),
          event('café.ouvert', T0 + 11_000),
          event('cafe.x', T0 + 12_000),
        ]
        projectId = (await seedTwoTenants(store(), events)).a
      })

      /** Names of the matching events, sorted; `list` total and `count` must agree. */
      async function matching(filter: EventFilter): Promise<string[]> {
        const { events, total } = await store().events.list({ projectId, filter, limit: 100, offset: 0 })
        expect(total).toBe(events.length)
        expect(await store().events.count({ projectId, filter })).toBe(events.length)
        return events.map((e) => e.name).sort()
      }

      it('matches exact names, one or several', async () => {
        expect(await matching({ names: ['user.signup'] })).toEqual(['user.signup', 'user.signup'])
        expect(await matching({ names: ['user.login', 'users', 'missing'] })).toEqual(['user.login', 'users'])
        expect(await matching({ names: ['user.'] })).toEqual([])
      })

      it('matches a name prefix, case-sensitively and literally', async () => {
        expect(await matching({ namePrefix: 'user.' })).toEqual(['user.login', 'user.signup', 'user.signup'])
        expect(await matching({ namePrefix: 'User.' })).toEqual(['User.x'])
        expect(await matching({ namePrefix: '100%_' })).toEqual(['100%_off'])
        expect(await matching({ namePrefix: '100%' })).toEqual(['100%_off', '100%xoff'])
        expect(await matching({ namePrefix: 'a_' })).toEqual(['a_b'])
        expect(await matching({ namePrefix: 'café.' })).toEqual(['café.ouvert'])
      })

      it('matches a time range: from inclusive, to exclusive', async () => {
        expect(await matching({ from: T0 + 1000, to: T0 + 3000 })).toEqual(['user.login', 'user.signup'])
        expect(await matching({ from: T0 + 11_000 })).toEqual(['cafe.x', 'café.ouvert'])
        expect(await matching({ to: T0 + 1000 })).toEqual(['user.signup'])
        expect(await matching({ from: T0 + 1, to: T0 + 1000 })).toEqual([])
      })

      it('matches a user id', async () => {
        expect(await matching({ userId: 'u2' })).toEqual(['user.signup', 'users'])
        expect(await matching({ userId: 'nobody' })).toEqual([])
      })

      it('matches every given tag pair (AND), tag keys with dots included', async () => {
        expect(await matching({ tags: { plan: 'pro' } })).toEqual(['user.login', 'user.signup', 'users'])
        expect(await matching({ tags: { 'geo.country': 'de' } })).toEqual(['User.x', 'user.signup', 'user.signup'])
        expect(await matching({ tags: { plan: 'pro', 'geo.country': 'de' } })).toEqual(['user.signup'])
        expect(await matching({ tags: { plan: 'enterprise' } })).toEqual([])
      })

      it('combines every filter field (AND)', async () => {
        expect(await matching({ namePrefix: 'user.', tags: { plan: 'pro' }, from: T0 + 500 })).toEqual(['user.login'])
        expect(await matching({ names: ['user.signup', 'users'], userId: 'u2', to: T0 + 3000 })).toEqual([
          'user.signup',
        ])
      })
    })
  })
}
