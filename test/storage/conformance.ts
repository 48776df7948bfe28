// The Storage contract as tests. Every adapter runs this one suite (see sqlite.test.ts and
// postgres.test.ts); it talks to the contract only, never to SQL, so a Redis or key-value adapter
// can run it unchanged.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mulberry32 as random } from '../fuzz/prng'
import { type ApiKey, ConflictError, type EventFilter, type NewEvent, type NumericSummary, type Project, type Storage, SYSTEM_PROJECT } from '../../src/storage'

export interface StorageHandle {
  storage: Storage
  /** Closes this instance (and whatever the runner opened for it). */
  cleanup: () => Promise<void>
}

/**
 * Opens a new instance on the suite's backing store. Every call shares the same store (as app
 * instances share one database), which is empty and not migrated before the first test. Tests
 * never reset it: each one creates its own projects, job keys and buckets.
 */
export type MakeStorage = () => Promise<StorageHandle>

export function storageConformance(name: string, makeStorage: MakeStorage): void {
  describe(`storage conformance: ${name}`, () => {
    migrateTests(makeStorage)
    projectTests(makeStorage)
    keyTests(makeStorage)
    insertTests(makeStorage)
    queryTests(makeStorage)
    aggregationTests(makeStorage)
    rateLimitTests(makeStorage)
    jobTests(makeStorage)
  })
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** An instance for the enclosing `describe`: opened and migrated before its tests, closed after. */
function useStorage(makeStorage: MakeStorage): () => Storage {
  let handle: StorageHandle | undefined
  beforeAll(async () => {
    handle = await makeStorage()
    await handle.storage.migrate()
  })
  afterAll(async () => {
    await handle?.cleanup()
  })
  return () => {
    if (!handle) throw new Error('storage is not open')
    return handle.storage
  }
}

/** 2024-01-15T10:30:00.000Z */
const T0 = Date.UTC(2024, 0, 15, 10, 30)

function project(fields: Partial<Project> = {}): Project {
  const id = randomUUID()
  return { id, name: 'Acme', slug: `acme-${id}`, timezone: 'Europe/Berlin', createdAt: T0, ...fields }
}

async function newProject(storage: Storage): Promise<string> {
  const { id } = await storage.projects.create({ project: project() })
  return id
}

function apiKey(projectId: string, fields: Partial<ApiKey> = {}): ApiKey {
  const id = randomUUID()
  const prefix = `tt_${id.replace(/-/g, '').slice(0, 12)}`
  return { id, projectId, name: 'ci', prefix, hash: 'ab'.repeat(32), scopes: ['read', 'write'], createdAt: T0, lastUsedAt: null, revokedAt: null, ...fields }
}

/** A stored-shape event: nothing set but what `fields` gives (a fresh random id by default). */
export function event(name: string, timestamp: number, fields: Partial<NewEvent> = {}): NewEvent {
  return {
    id: randomUUID(),
    name,
    timestamp,
    receivedAt: timestamp + 5,
    userId: null,
    userEmail: null,
    userName: null,
    value: null,
    properties: null,
    tags: null,
    clientId: null,
    ...fields,
  }
}

/**
 * Two projects holding the same events (B's copies get fresh ids). A query for A that leaked B's
 * rows would count them twice, so every count below also checks tenant isolation.
 */
async function seedTwoTenants(storage: Storage, events: NewEvent[]): Promise<{ a: string; b: string }> {
  const a = await newProject(storage)
  const b = await newProject(storage)
  await storage.events.insert({ projectId: a, events })
  await storage.events.insert({ projectId: b, events: events.map((e) => ({ ...e, id: randomUUID() })) })
  return { a, b }
}

function shuffle<T>(items: T[], next = random(7)): T[] {
  const copy = [...items]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1))
    ;[copy[i], copy[j]] = [copy[j], copy[i]]
  }
  return copy
}

/** Nearest rank, in exact integer arithmetic: the value at 1-based rank ceil(p * n / 100). */
function nearestRank(values: number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y)
  const hundredths = BigInt(Math.round(p * 100)) * BigInt(sorted.length)
  const rank = Number((hundredths + 9999n) / 10000n)
  return sorted[rank - 1]
}

const sum = (values: number[]) => values.reduce((total, v) => total + v, 0)

// ---------------------------------------------------------------------------------------------

function migrateTests(makeStorage: MakeStorage) {
  describe('migrate', () => {
    // First test of the suite: the store is still empty, so this races the real first migration.
    it('runs concurrently on a fresh store, from one instance and from two', async () => {
      const handles = [await makeStorage(), await makeStorage()]
      try {
        const [a, b] = handles.map((h) => h.storage)
        await Promise.all([a.migrate(), a.migrate(), b.migrate(), b.migrate()])
        const p = project()
        await a.projects.create({ project: p })
        expect(await b.projects.get({ projectId: p.id })).toEqual(p)
      } finally {
        for (const handle of handles) await handle.cleanup()
      }
    })

    it('is idempotent: running it again keeps the data', async () => {
      const { storage, cleanup } = await makeStorage()
      try {
        await storage.migrate()
        const p = project()
        await storage.projects.create({ project: p })
        await storage.migrate()
        await storage.migrate()
        expect(await storage.projects.get({ projectId: p.id })).toEqual(p)
      } finally {
        await cleanup()
      }
    })
  })
}

function projectTests(makeStorage: MakeStorage) {
  describe('projects', () => {
    const store = useStorage(makeStorage)

    it('creates a project and reads it by id and by slug', async () => {
      const p = project({ name: 'Ünïcode 🚀', timezone: 'America/New_York' })
      expect(await store().projects.create({ project: p })).toEqual(p)
      expect(await store().projects.get({ projectId: p.id })).toEqual(p)
      expect(await store().projects.getBySlug({ slug: p.slug })).toEqual(p)
    })

    it('returns undefined for an unknown id or slug', async () => {
      expect(await store().projects.get({ projectId: randomUUID() })).toBeUndefined()
      expect(await store().projects.getBySlug({ slug: `missing-${randomUUID()}` })).toBeUndefined()
    })

    it('rejects a taken slug with ConflictError and keeps the first project', async () => {
      const first = project()
      await store().projects.create({ project: first })
      const second = project({ slug: first.slug, name: 'Other' })
      const error = await store()
        .projects.create({ project: second })
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ConflictError)
      expect((error as ConflictError).field).toBe('slug')
      expect(await store().projects.get({ projectId: second.id })).toBeUndefined()
      expect(await store().projects.getBySlug({ slug: first.slug })).toEqual(first)
    })
  })
}

function keyTests(makeStorage: MakeStorage) {
  describe('keys', () => {
    const store = useStorage(makeStorage)
    const byId = (keys: ApiKey[]) => [...keys].sort((x, y) => x.id.localeCompare(y.id))

    it('creates a key and lists it with every field', async () => {
      const projectId = await newProject(store())
      const key = apiKey(projectId, { name: null, scopes: ['admin'], lastUsedAt: T0 + 1, revokedAt: null })
      expect(await store().keys.create({ key })).toEqual(key)
      expect(await store().keys.list({ projectId })).toEqual([key])
    })

    it('finds keys by prefix across projects, revoked ones too', async () => {
      const a = await newProject(store())
      const b = await newProject(store())
      const first = apiKey(a)
      const second = apiKey(b, { prefix: first.prefix, revokedAt: T0 })
      const unrelated = apiKey(a)
      for (const key of [first, second, unrelated]) await store().keys.create({ key })
      expect(byId(await store().keys.findByPrefix({ prefix: first.prefix }))).toEqual(byId([first, second]))
      expect(await store().keys.findByPrefix({ prefix: 'tt_000000000000' })).toEqual([])
    })

    it('lists only the keys of the given project', async () => {
      const a = await newProject(store())
      const b = await newProject(store())
      const keysA = [apiKey(a), apiKey(a, { createdAt: T0 + 1 })]
      const keyB = apiKey(b)
      for (const key of [...keysA, keyB]) await store().keys.create({ key })
      expect(byId(await store().keys.list({ projectId: a }))).toEqual(byId(keysA))
      expect(await store().keys.list({ projectId: b })).toEqual([keyB])
      expect(await store().keys.list({ projectId: await newProject(store()) })).toEqual([])
    })

    it('revokes once: revoking again keeps the first time', async () => {
      const projectId = await newProject(store())
      const key = apiKey(projectId)
      await store().keys.create({ key })
      expect(await store().keys.revoke({ projectId, keyId: key.id, at: T0 + 100 })).toBe(true)
      expect(await store().keys.revoke({ projectId, keyId: key.id, at: T0 + 200 })).toBe(true)
      const [stored] = await store().keys.list({ projectId })
      expect(stored.revokedAt).toBe(T0 + 100)
    })

    it('does not revoke an unknown key or a key of another project', async () => {
      const a = await newProject(store())
      const b = await newProject(store())
      const key = apiKey(a)
      await store().keys.create({ key })
      expect(await store().keys.revoke({ projectId: a, keyId: randomUUID(), at: T0 })).toBe(false)
      expect(await store().keys.revoke({ projectId: b, keyId: key.id, at: T0 })).toBe(false)
      expect((await store().keys.list({ projectId: a }))[0].revokedAt).toBeNull()
    })

    it('touch writes lastUsedAt only when the stored value is stale', async () => {
      const projectId = await newProject(store())
      const key = apiKey(projectId)
      await store().keys.create({ key })
      const lastUsed = async () => (await store().keys.list({ projectId }))[0].lastUsedAt
      const staleMs = 60_000

      await store().keys.touch({ projectId, keyId: key.id, at: T0, staleMs })
      expect(await lastUsed()).toBe(T0) // never used: written
      await store().keys.touch({ projectId, keyId: key.id, at: T0 + 30_000, staleMs })
      expect(await lastUsed()).toBe(T0) // fresh: not written
      await store().keys.touch({ projectId, keyId: key.id, at: T0 + 90_000, staleMs })
      expect(await lastUsed()).toBe(T0 + 90_000) // stale: written
    })

    it('touch does not write through another project', async () => {
      const a = await newProject(store())
      const b = await newProject(store())
      const key = apiKey(a)
      await store().keys.create({ key })
      await store().keys.touch({ projectId: b, keyId: key.id, at: T0, staleMs: 0 })
      expect((await store().keys.list({ projectId: a }))[0].lastUsedAt).toBeNull()
    })
  })
}

function insertTests(makeStorage: MakeStorage) {
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
          properties: { plan: { tier: 'pro', seats: 3, addons: ['sso', null, true, 1.5, { deep: [[]] }] }, quote: 'a "b" \\ c', emoji: '🎉', empty: {} },
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
      expect(await store().events.insert({ projectId, events: [retry, fresh] })).toEqual({ ids: [first.id, fresh.id], created: 1 })
      expect(await store().events.insert({ projectId, events: [retry, fresh] })).toEqual({ ids: [first.id, fresh.id], created: 0 })

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
        const mine = calls.map((call, i) => ({ call, result: results[i] })).filter(({ call }) => call.projectId === projectId)
        const sameIds = new Set(mine.filter(({ call }) => call.events[0].clientId === 'same').map(({ result }) => result.ids[0]))
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
      const settled = await Promise.allSettled([...good, bad, ...good.map(() => [event('good', T0)])].map((events) => store().events.insert({ projectId, events })))
      expect(settled.map((r) => r.status)).toEqual([...Array(5).fill('fulfilled'), 'rejected', ...Array(5).fill('fulfilled')])
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

function queryTests(makeStorage: MakeStorage) {
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
        expect(await matching({ names: ['user.signup', 'users'], userId: 'u2', to: T0 + 3000 })).toEqual(['user.signup'])
      })
    })
  })
}

function aggregationTests(makeStorage: MakeStorage) {
  describe('events aggregations', () => {
    const store = useStorage(makeStorage)

    describe('countSeries', () => {
      /** Expected series, computed from the inserted timestamps. */
      function series(timestamps: number[], bucketMs: number) {
        const counts = new Map<number, number>()
        for (const ts of timestamps) {
          const start = Math.floor(ts / bucketMs) * bucketMs
          counts.set(start, (counts.get(start) ?? 0) + 1)
        }
        return [...counts].sort(([x], [y]) => x - y).map(([start, count]) => ({ start, count }))
      }

      const next = random(42)
      const base = Date.UTC(2024, 2, 10, 13, 2, 17, 123) // deliberately not aligned to any bucket
      const events = Array.from({ length: 80 }, (_, i) => event(i % 3 === 0 ? 'page.view' : 'click', base + Math.floor(next() * 86_400_000)))
      let projectId = ''
      beforeAll(async () => {
        projectId = (await seedTwoTenants(store(), events)).a
      })

      it('counts per bucket aligned to multiples of bucketMs since the epoch, non-empty only, ascending', async () => {
        for (const bucketMs of [7 * 60_000, 3_600_000, 86_400_000]) {
          const result = await store().events.countSeries({ projectId, filter: {}, bucketMs })
          expect(result).toEqual(
            series(
              events.map((e) => e.timestamp),
              bucketMs,
            ),
          )
          for (const { start } of result) expect(start % bucketMs).toBe(0)
        }
      })

      it('applies the filter, and a range start does not shift the buckets', async () => {
        const from = base + 5 * 3_600_000 + 1234
        const filter = { names: ['page.view'], from }
        const expected = series(
          events.filter((e) => e.name === 'page.view' && e.timestamp >= from).map((e) => e.timestamp),
          3_600_000,
        )
        expect(expected.length).toBeGreaterThan(1)
        expect(await store().events.countSeries({ projectId, filter, bucketMs: 3_600_000 })).toEqual(expected)
      })

      it('returns no buckets for no events', async () => {
        expect(await store().events.countSeries({ projectId, filter: { names: ['missing'] }, bucketMs: 60_000 })).toEqual([])
      })
    })

    describe('countByTag', () => {
      let projectId = ''
      beforeAll(async () => {
        const checkout = (tags: Record<string, string> | null) => event('checkout', T0, { tags })
        projectId = (
          await seedTwoTenants(store(), [
            checkout({ plan: 'pro', 'geo.country': 'de' }),
            checkout({ plan: 'free', 'geo.country': 'de' }),
            checkout({ plan: 'enterprise' }),
            checkout({ plan: 'pro', 'geo.country': 'fr' }),
            checkout({ plan: 'free' }),
            checkout({ plan: 'pro', 'geo.country': 'de' }),
            checkout({ plan: 'pro' }),
            checkout({ other: 'x' }),
            checkout(null),
            event('signup', T0, { tags: { plan: 'free' } }),
          ])
        ).a
      })

      it('counts per tag value, largest first, skipping events without the tag', async () => {
        expect(await store().events.countByTag({ projectId, filter: {}, tagKey: 'plan' })).toEqual([
          { value: 'pro', count: 4 },
          { value: 'free', count: 3 },
          { value: 'enterprise', count: 1 },
        ])
        expect(await store().events.countByTag({ projectId, filter: {}, tagKey: 'geo.country' })).toEqual([
          { value: 'de', count: 3 },
          { value: 'fr', count: 1 },
        ])
      })

      it('applies the filter', async () => {
        expect(await store().events.countByTag({ projectId, filter: { names: ['checkout'], tags: { 'geo.country': 'de' } }, tagKey: 'plan' })).toEqual([
          { value: 'pro', count: 2 },
          { value: 'free', count: 1 },
        ])
        expect(await store().events.countByTag({ projectId, filter: {}, tagKey: 'missing' })).toEqual([])
      })
    })

    describe('summarize', () => {
      const percentiles = [0.1, 1, 7, 14, 25, 28, 50, 55, 56, 90, 95, 99, 99.9, 100]

      /** The summary computed here from the values themselves. */
      function expectSummaryOf(summary: NumericSummary, values: number[]) {
        expect(summary.count).toBe(values.length)
        expect(summary.sum).toBeCloseTo(sum(values), 6)
        expect(summary.avg).toBeCloseTo(sum(values) / values.length, 6)
        expect(summary.min).toBe(Math.min(...values))
        expect(summary.max).toBe(Math.max(...values))
        expect(summary.percentiles).toEqual(Object.fromEntries(percentiles.map((p) => [p, nearestRank(values, p)])))
      }

      async function summarizeValues(values: Array<number | null>) {
        const { a } = await seedTwoTenants(
          store(),
          values.map((value, i) => event('measure', T0 + i, { value })),
        )
        return store().events.summarize({ projectId: a, filter: {}, field: { kind: 'value' }, percentiles })
      }

      it('summarizes the values 1..100 (nearest rank)', async () => {
        const values = Array.from({ length: 100 }, (_, i) => i + 1)
        const summary = await summarizeValues(shuffle(values))
        expect(summary).toMatchObject({ count: 100, sum: 5050, avg: 50.5, min: 1, max: 100 })
        expect(summary.percentiles).toMatchObject({ 1: 1, 7: 7, 14: 14, 50: 50, 55: 55, 95: 95, 99: 99, 100: 100 })
        expectSummaryOf(summary, values)
      })

      it('summarizes a random set of floats, skipping events without a value', async () => {
        const next = random(1234)
        const values = Array.from({ length: 173 }, () => Math.round((next() * 2000 - 500) * 1000) / 1000)
        const withGaps = values.flatMap((v, i) => (i % 10 === 0 ? [v, null] : [v]))
        expectSummaryOf(await summarizeValues(withGaps), values)
      })

      it('summarizes 1000 values with repeats', async () => {
        const next = random(99)
        const values = Array.from({ length: 1000 }, () => Math.floor(next() * 50))
        expectSummaryOf(await summarizeValues(values), values)
      })

      it('reads a numeric property, skipping rows where it is not a number', async () => {
        const withProps = (properties: Record<string, unknown> | null) => event('request', T0, { properties, value: 1000 })
        const { a } = await seedTwoTenants(store(), [
          withProps({ ms: 12 }),
          withProps({ ms: 7.5, 'load.ms': 3 }),
          withProps({ ms: 30.25 }),
          withProps({ ms: '13' }),
          withProps({ ms: null }),
          withProps({ ms: true }),
          withProps({ ms: { value: 1 } }),
          withProps({ ms: [1] }),
          withProps({ other: 1 }),
          withProps(null),
          withProps({ 'load.ms': 5 }),
        ])
        const summarize = (key: string) => store().events.summarize({ projectId: a, filter: {}, field: { kind: 'property', key }, percentiles: [50, 100] })
        expect(await summarize('ms')).toEqual({ count: 3, sum: 49.75, avg: 49.75 / 3, min: 7.5, max: 30.25, percentiles: { 50: 12, 100: 30.25 } })
        expect(await summarize('load.ms')).toEqual({ count: 2, sum: 8, avg: 4, min: 3, max: 5, percentiles: { 50: 3, 100: 5 } })
      })

      it('applies the filter', async () => {
        const { a } = await seedTwoTenants(store(), [
          event('latency', T0, { value: 10, tags: { region: 'eu' } }),
          event('latency', T0 + 1, { value: 20, tags: { region: 'us' } }),
          event('latency', T0 + 2, { value: 40, tags: { region: 'eu' } }),
          event('other', T0 + 3, { value: 1000, tags: { region: 'eu' } }),
        ])
        const summary = await store().events.summarize({ projectId: a, filter: { names: ['latency'], tags: { region: 'eu' } }, field: { kind: 'value' }, percentiles: [50] })
        expect(summary).toEqual({ count: 2, sum: 50, avg: 25, min: 10, max: 40, percentiles: { 50: 10 } })
      })

      it('reports sums beyond the double range as null, everything else exactly', async () => {
        for (const [values, expected] of [
          [[1e308, 1e308], { sum: null, avg: 1e308 }],
          [[-1e308, -1e308, 5], { sum: null }],
          [[1e308, -1e308, 1e308], { sum: 1e308 }],
          [[1e200, 1e200, 1e200], { sum: 3e200, avg: 1e200 }],
        ] as Array<[number[], Partial<NumericSummary>]>) {
          const summary = await summarizeValues(values)
          expect(summary).toMatchObject({ count: values.length, min: Math.min(...values), max: Math.max(...values), ...expected })
          expect(summary.percentiles[50]).toBe(nearestRank(values, 50))
          if (expected.avg === undefined && summary.avg !== null) expect(Number.isFinite(summary.avg)).toBe(true)
          if (expected.sum !== null) expect(summary.sum).toBeCloseTo(expected.sum!, -190)
        }
      })

      it('sums 64-bit integer properties without overflowing', async () => {
        const big = 4611686018427387904 // 2^62: two of them overflow a signed 64-bit integer
        const { a } = await seedTwoTenants(store(), [
          event('n', T0, { properties: { n: big } }),
          event('n', T0, { properties: { n: big } }),
          event('n', T0, { properties: { n: 9007199254740993 } }),
        ])
        const summary = await store().events.summarize({ projectId: a, filter: {}, field: { kind: 'property', key: 'n' }, percentiles: [100] })
        expect(summary).toMatchObject({ count: 3, min: 9007199254740992, max: big, percentiles: { 100: big } })
        expect(summary.sum).toBeCloseTo(2 * big + 9007199254740992, -4)
      })

      it('reads property and tag keys with any characters, and answers "absent" for keys no row can have', async () => {
        const keys = ['a.b', 'with space', 'quote"d', 'back\\slash', "it's", '__proto__', '$', '[0]', 'ü😀', 'tab\there', 'line\nbreak', '']
        const properties = Object.fromEntries(keys.map((key, i) => [key, i + 1]))
        const tags = Object.fromEntries(keys.map((key, i) => [key, `v${i}`]))
        const { a } = await seedTwoTenants(store(), [event('k', T0, { properties, tags }), event('k', T0 + 1, { properties: { other: 1 }, tags: { other: 'x' } })])
        for (const [i, key] of keys.entries()) {
          const summary = await store().events.summarize({ projectId: a, filter: {}, field: { kind: 'property', key }, percentiles: [50] })
          expect(summary, key).toMatchObject({ count: 1, sum: i + 1 })
          expect(await store().events.count({ projectId: a, filter: { tags: { [key]: `v${i}` } } }), key).toBe(1)
          expect(await store().events.countByTag({ projectId: a, filter: {}, tagKey: key }), key).toEqual([{ value: `v${i}`, count: 1 }])
        }
        const nul = 'a\u0000b'
        expect(await store().events.summarize({ projectId: a, filter: {}, field: { kind: 'property', key: nul }, percentiles: [50] })).toMatchObject({ count: 0, sum: null })
        expect(await store().events.count({ projectId: a, filter: { tags: { [nul]: 'x' } } })).toBe(0)
        expect(await store().events.countByTag({ projectId: a, filter: {}, tagKey: nul })).toEqual([])
      })

      it('gives count 0 and nulls for an empty set', async () => {
        const { a } = await seedTwoTenants(store(), [event('measure', T0)])
        const summary = await store().events.summarize({ projectId: a, filter: {}, field: { kind: 'value' }, percentiles: [50, 95] })
        expect(summary).toEqual({ count: 0, sum: null, avg: null, min: null, max: null, percentiles: { 50: null, 95: null } })
        const none = await store().events.summarize({ projectId: a, filter: { names: ['missing'] }, field: { kind: 'property', key: 'ms' }, percentiles: [] })
        expect(none).toEqual({ count: 0, sum: null, avg: null, min: null, max: null, percentiles: {} })
      })
    })
  })
}

/**
 * The aggregations alone: for a second SQL strategy of the same adapter (percentiles by window
 * function where the engine has no percentile_disc), which must answer exactly the same.
 */
export function aggregationConformance(name: string, makeStorage: MakeStorage): void {
  describe(`storage conformance, aggregations: ${name}`, () => aggregationTests(makeStorage))
}

function rateLimitTests(makeStorage: MakeStorage) {
  describe('rateLimits', () => {
    const store = useStorage(makeStorage)
    const other = useStorage(makeStorage)
    const windowMs = 60_000
    /** Start of a window, far from the tiny times the purge test uses. */
    const W = 28_000_000 * windowMs

    it('counts up within a window and restarts in the next one', async () => {
      const projectId = randomUUID()
      const hit = (now: number) => store().rateLimits.hit({ projectId, bucket: 'ingest', windowMs, now })
      expect(await hit(W + 5)).toEqual({ count: 1, resetAt: W + windowMs })
      expect(await hit(W + 30_000)).toEqual({ count: 2, resetAt: W + windowMs })
      expect(await hit(W + windowMs - 1)).toEqual({ count: 3, resetAt: W + windowMs })
      expect(await hit(W + windowMs)).toEqual({ count: 1, resetAt: W + 2 * windowMs })
      expect(await hit(W + windowMs + 1)).toEqual({ count: 2, resetAt: W + 2 * windowMs })
      expect(await hit(W + 5 * windowMs + 7)).toEqual({ count: 1, resetAt: W + 6 * windowMs })
    })

    it('adds a count of several at once (a lease), atomically, and a new window starts from it', async () => {
      const projectId = randomUUID()
      const hit = (now: number, count: number) => store().rateLimits.hit({ projectId, bucket: 'lease', windowMs, now, count })
      expect(await hit(W + 1, 60)).toEqual({ count: 60, resetAt: W + windowMs })
      const concurrent = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? store() : other()).rateLimits.hit({ projectId, bucket: 'lease', windowMs, now: W + 2, count: 5 })),
      )
      expect(concurrent.map((h) => h.count).sort((x, y) => x - y)).toEqual([65, 70, 75, 80, 85, 90, 95, 100, 105, 110])
      expect(await hit(W + windowMs, 7)).toEqual({ count: 7, resetAt: W + 2 * windowMs })
    })

    it('counts each project and bucket separately', async () => {
      const [a, b] = [randomUUID(), randomUUID()]
      const hit = (projectId: string, bucket: string) => store().rateLimits.hit({ projectId, bucket, windowMs, now: W + 10 })
      expect((await hit(a, 'ingest')).count).toBe(1)
      expect((await hit(a, 'ingest')).count).toBe(2)
      expect((await hit(a, 'query')).count).toBe(1)
      expect((await hit(b, 'ingest')).count).toBe(1)
      expect((await hit(a, 'ingest')).count).toBe(3)
    })

    it('never loses or repeats a count under 20 concurrent hits from two instances', async () => {
      const projectId = randomUUID()
      const hits = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? store() : other()).rateLimits.hit({ projectId, bucket: 'ingest', windowMs, now: W + i })))
      expect(hits.map((h) => h.count).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
      for (const h of hits) expect(h.resetAt).toBe(W + windowMs)
    })

    // Uses times near the epoch that no other test uses, so the purge count is exact.
    it('purges windows that ended, and only those', async () => {
      const projectId = randomUUID()
      const hit = (bucket: string, now: number) => store().rateLimits.hit({ projectId, bucket, windowMs: 1000, now })
      await hit('ended', 1500) // window [1000, 2000)
      await hit('ended', 1600)
      await hit('current', 5500) // window [5000, 6000)
      expect(await store().rateLimits.purge({ before: 3000 })).toBe(1)
      expect(await store().rateLimits.purge({ before: 3000 })).toBe(0)
      expect((await hit('current', 5600)).count).toBe(2)
      expect((await hit('ended', 1700)).count).toBe(1)
    })
  })
}

function jobTests(makeStorage: MakeStorage) {
  describe('jobs', () => {
    const store = useStorage(makeStorage)
    const other = useStorage(makeStorage)
    const leaseMs = 30_000
    const newJob = async (runAt = T0, projectId: string = SYSTEM_PROJECT) => {
      const key = `test:${randomUUID()}`
      await store().jobs.ensure({ projectId, key, runAt })
      return { projectId, key }
    }

    it('ensure creates a job once and keeps its schedule', async () => {
      const job = await newJob(T0)
      expect(await store().jobs.get(job)).toEqual({ ...job, runAt: T0, owner: null, leaseUntil: null, attempts: 0 })
      await store().jobs.ensure({ ...job, runAt: T0 + 99_000 })
      await other().jobs.ensure({ ...job, runAt: T0 - 99_000 })
      expect((await store().jobs.get(job))?.runAt).toBe(T0)
      expect(await store().jobs.get({ projectId: SYSTEM_PROJECT, key: `missing:${randomUUID()}` })).toBeUndefined()
    })

    it('scopes jobs by project: the same key in two projects is two jobs', async () => {
      const tenant = randomUUID()
      const job = await newJob(T0, tenant)
      const system = { projectId: SYSTEM_PROJECT, key: job.key }
      await store().jobs.ensure({ ...system, runAt: T0 })
      expect(await store().jobs.claim({ ...job, owner: 'a', now: T0, leaseMs })).toMatchObject({ projectId: tenant, owner: 'a' })
      expect(await store().jobs.claim({ ...system, owner: 'b', now: T0, leaseMs })).toMatchObject({ projectId: SYSTEM_PROJECT, owner: 'b' })
      expect(await store().jobs.complete({ ...system, owner: 'a', nextRunAt: T0 + 1 })).toBe(false)
      expect((await store().jobs.get(job))?.owner).toBe('a')
    })

    it('claims only when due', async () => {
      const job = await newJob(T0)
      expect(await store().jobs.claim({ ...job, owner: 'a', now: T0 - 1, leaseMs })).toBeUndefined()
      expect(await store().jobs.claim({ ...job, owner: 'a', now: T0, leaseMs })).toEqual({ ...job, runAt: T0, owner: 'a', leaseUntil: T0 + leaseMs, attempts: 1 })
      expect(await store().jobs.claim({ projectId: SYSTEM_PROJECT, key: `missing:${randomUUID()}`, owner: 'a', now: T0, leaseMs })).toBeUndefined()
    })

    it('lets exactly one of 10 concurrent claims win', async () => {
      const job = await newJob(T0)
      const owners = Array.from({ length: 10 }, (_, i) => `instance-${i}`)
      const claims = await Promise.all(owners.map((owner, i) => (i % 2 ? other() : store()).jobs.claim({ ...job, owner, now: T0 + 10, leaseMs })))
      const winners = claims.filter((c) => c !== undefined)
      expect(winners).toHaveLength(1)
      expect(owners).toContain(winners[0]?.owner)
      expect(await store().jobs.get(job)).toEqual(winners[0])
    })

    it('refuses a claim while the lease is live, and allows it once the lease expired', async () => {
      const job = await newJob(T0)
      await store().jobs.claim({ ...job, owner: 'a', now: T0, leaseMs })
      expect(await other().jobs.claim({ ...job, owner: 'b', now: T0 + 1, leaseMs })).toBeUndefined()
      expect(await other().jobs.claim({ ...job, owner: 'b', now: T0 + leaseMs, leaseMs })).toBeUndefined()
      // Instance `a` died: its lease ran out, `b` takes the job over.
      const takeover = await other().jobs.claim({ ...job, owner: 'b', now: T0 + leaseMs + 1, leaseMs })
      expect(takeover).toMatchObject({ owner: 'b', leaseUntil: T0 + 2 * leaseMs + 1 })
      expect((await store().jobs.get(job))?.owner).toBe('b')
    })

    it('complete by the owner releases the job and schedules the next run', async () => {
      const job = await newJob(T0)
      await store().jobs.claim({ ...job, owner: 'a', now: T0, leaseMs })
      expect(await store().jobs.complete({ ...job, owner: 'a', nextRunAt: T0 + 60_000 })).toBe(true)
      expect(await store().jobs.get(job)).toMatchObject({ runAt: T0 + 60_000, owner: null, leaseUntil: null })
      expect(await other().jobs.claim({ ...job, owner: 'b', now: T0 + 59_999, leaseMs })).toBeUndefined()
      expect(await other().jobs.claim({ ...job, owner: 'b', now: T0 + 60_000, leaseMs })).toMatchObject({ owner: 'b' })
    })

    it('complete by a stale owner after a takeover returns false and changes nothing', async () => {
      const job = await newJob(T0)
      await store().jobs.claim({ ...job, owner: 'a', now: T0, leaseMs })
      const takeover = await other().jobs.claim({ ...job, owner: 'b', now: T0 + leaseMs + 1, leaseMs })
      expect(await store().jobs.complete({ ...job, owner: 'a', nextRunAt: T0 + 999_000 })).toBe(false)
      expect(await store().jobs.get(job)).toEqual(takeover)
      expect(await other().jobs.complete({ ...job, owner: 'b', nextRunAt: T0 + 120_000 })).toBe(true)
      expect(await store().jobs.get(job)).toMatchObject({ runAt: T0 + 120_000, owner: null })
    })
  })
}
