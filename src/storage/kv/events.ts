import { createHash } from 'node:crypto'
import { minEventsOf } from '../event-predicates'
import { everything, exactSum, matcher, numberOf, summary } from '../event-reference'
import type { EventFilter, EventInsertResult, EventRepository, NewEvent, StoredEvent } from '../events'
import { claimUnique, readClaims } from './claims'
import { KeyedLock, sharedBy } from './lock'
import { type KvStore, kvKey } from './store'

/**
 * Events over the key-value primitives alone, so any `KvStore` can hold them.
 *
 * Layout, per project `p`:
 * - `event:{p}:{id}` → the event (JSON, without `projectId`);
 * - `event-client:{p}:{sha256(clientId)}` → the claim of that client id (`claims.ts`), owned by
 *   the id of the event stored for it and written before the event (hashed: a client id is up to
 *   255 characters of anything, which encoded could pass a file name's length, and could differ
 *   only in case on a case-insensitive file system);
 * - `event-gen:{p}` → a counter incremented after every write to the project's events.
 *
 * A key-value store cannot index, so queries read every event of the project and filter and
 * aggregate here. What was read is cached in this process (shared by every instance over the same
 * `KvStore` object) with the counter it was read at: a query reads the counter (one get) and uses
 * the cache while it is unchanged. Every insert, from any process, increments the counter after
 * writing. When the increment returns exactly the cache's counter + 1, no other write happened in
 * between, and the insert adds its own events to the cache; otherwise the next query lists the
 * keys again (reusing the events it already parsed: events never change once written). Where the
 * increment is not atomic across processes (unstorage), two processes' writes can yield one
 * number, and a cache may then miss the other's events until the next write to the project.
 * The cache holds every queried project's events in memory.
 *
 * Inserts to one project take turns in this process (a per-project lock shared like the cache),
 * so client-id claims, the duplicate-id check, the writes and an undo never interleave with
 * another insert of this process. Across processes the claims are set-if-absent or compare-and-set:
 * exact where the store's are atomic, best-effort where they are not (unstorage).
 */
export function kvEvents(kv: KvStore): EventRepository {
  const shared = sharedEventState(kv)
  const eventKey = (projectId: string, id: string) => kvKey('event', projectId, id)
  const clientKey = (projectId: string, clientId: string) =>
    kvKey('event-client', projectId, createHash('sha256').update(clientId).digest('hex'))
  const genKey = (projectId: string) => kvKey('event-gen', projectId)
  /** A client id's event holds it once written: events never change. */
  const holdsEvent = (projectId: string) => async (id: string) => isStored(await kv.get(eventKey(projectId, id)))

  /** Every event of the project: from the cache while the project's token is unchanged. */
  async function load(projectId: string): Promise<StoredEvent[]> {
    const gen = Number((await kv.get(genKey(projectId))) ?? 0)
    const cached = shared.caches.get(projectId)
    if (cached && cached.gen === gen) return cached.events
    const keys = await kv.scan(`${kvKey('event', projectId)}:`)
    const byKey = new Map<string, StoredEvent>()
    const missing: string[] = []
    for (const key of keys) {
      const known = cached?.byKey.get(key)
      if (known) byKey.set(key, known)
      else missing.push(key)
    }
    const values = await kv.getMany(missing)
    for (const [i, key] of missing.entries()) {
      const json = values[i]
      if (json !== undefined) byKey.set(key, parseEvent(projectId, json))
    }
    const events = [...byKey.values()]
    // A concurrent insert may have moved the cache past what this read saw: keep the newer one.
    const current = shared.caches.get(projectId)
    if (!current || current.gen <= gen) shared.caches.set(projectId, { gen, byKey, events })
    return events
  }

  const select = async (projectId: string, filter: EventFilter, order?: 'newestFirst') => {
    let events = await load(projectId)
    if (order) {
      // Sorted once per read of the project, not once per list.
      const cache = shared.caches.get(projectId)
      if (cache?.events === events) events = cache.newestFirst ??= [...events].sort(newestFirst)
      else events = [...events].sort(newestFirst)
    }
    const matches = matcher(filter)
    return matches === everything ? events : events.filter(matches)
  }

  return {
    insert: ({ projectId, events }) =>
      events.length === 0
        ? Promise.resolve({ ids: [], created: 0 })
        : shared.inserts.run(projectId, () => insert(projectId, events)),

    async get({ projectId, id }) {
      const json = await kv.get(eventKey(projectId, id))
      return json === undefined ? undefined : parseEvent(projectId, json)
    },

    async list({ projectId, filter, limit, offset }) {
      const events = await select(projectId, filter, 'newestFirst')
      // Copies: the cached objects must not be changed by a caller.
      return { events: events.slice(offset, offset + limit).map((e) => structuredClone(e)), total: events.length }
    },

    count: async ({ projectId, filter }) => (await select(projectId, filter)).length,

    async countSeries({ projectId, filter, bucketMs }) {
      const size = Math.floor(bucketMs)
      const counts = new Map<number, number>()
      for (const e of await select(projectId, filter)) {
        // `ts - ts % size` is exact; `Math.floor(ts / size) * size` rounds near 8.64e15.
        const start = e.timestamp - (e.timestamp % size)
        counts.set(start, (counts.get(start) ?? 0) + 1)
      }
      return [...counts].sort(([a], [b]) => a - b).map(([start, count]) => ({ start, count }))
    },

    async countByTag({ projectId, filter, tagKey }) {
      if (tagKey.includes('\u0000')) return []
      const counts = new Map<string, number>()
      for (const e of await select(projectId, filter)) {
        if (e.tags === null || !Object.hasOwn(e.tags, tagKey)) continue
        const value = e.tags[tagKey]
        counts.set(value, (counts.get(value) ?? 0) + 1)
      }
      // The SQL adapters' order: largest first, then value (localeCompare).
      return [...counts]
        .map(([value, count]) => ({ value, count }))
        .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value))
    },

    async summarize({ projectId, filter, field, percentiles }) {
      const read = numberOf(field)
      const values: number[] = []
      for (const e of await select(projectId, filter)) {
        const x = read(e)
        if (x !== undefined) values.push(x)
      }
      return summary(values, percentiles)
    },

    async countDistinctUsers({ projectId, filter, minEvents }) {
      const min = minEventsOf(minEvents)
      const counts = new Map<string, number>()
      for (const e of await select(projectId, filter))
        if (e.userId !== null) counts.set(e.userId, (counts.get(e.userId) ?? 0) + 1)
      let users = 0
      for (const n of counts.values()) if (n >= min) users++
      return users
    },

    async countDistinctUsersInAny({ projectId, filters }) {
      if (filters.length === 0) return 0
      // The project is read once (cached); each event is tested against the filters until one matches.
      const matchers = filters.map(matcher)
      const users = new Set<string>()
      for (const e of await load(projectId))
        if (e.userId !== null && !users.has(e.userId) && matchers.some((matches) => matches(e))) users.add(e.userId)
      return users.size
    },

    async firstTimestamp({ projectId }) {
      let first: number | undefined
      for (const e of await load(projectId)) if (first === undefined || e.timestamp < first) first = e.timestamp
      return first
    },

    async latest({ projectId, filter, field }) {
      const read = numberOf(field)
      let best: StoredEvent | undefined
      let value: number | null = null
      for (const e of await select(projectId, filter)) {
        const x = read(e)
        if (x === undefined || (best !== undefined && newestFirst(e, best) >= 0)) continue
        best = e
        value = x
      }
      return value
    },

    async sumLatestPerUser({ projectId, filter, field }) {
      const read = numberOf(field)
      const latest = new Map<string, { event: StoredEvent; x: number }>()
      for (const e of await select(projectId, filter)) {
        if (e.userId === null) continue
        const x = read(e)
        if (x === undefined) continue
        const current = latest.get(e.userId)
        if (current === undefined || newestFirst(e, current.event) < 0) latest.set(e.userId, { event: e, x })
      }
      const values = [...latest.values()].map((l) => l.x)
      return { users: values.length, sum: values.length === 0 ? null : exactSum(values) }
    },
  }

  async function insert(projectId: string, events: NewEvent[]): Promise<EventInsertResult> {
    // The first event of each client id in this call; later ones answer with its id.
    const firstOfClient = new Map<string, number>()
    const repeatOf = new Map<number, number>()
    for (const [i, e] of events.entries()) {
      if (e.clientId === null || e.clientId === undefined) continue
      const first = firstOfClient.get(e.clientId)
      if (first === undefined) firstOfClient.set(e.clientId, i)
      else repeatOf.set(i, first)
    }

    // Client ids stored before: their event's id answers. A claim whose event is missing is
    // another process's batch still being written (its id answers, as the first), or, once past
    // the claims' grace period, the leftover of a crash between the claim and the event: taken over.
    const clientIds = [...firstOfClient.keys()]
    const claims = await readClaims(
      kv,
      clientIds.map((c) => clientKey(projectId, c)),
      { holdsMany: async (ids) => (await kv.getMany(ids.map((id) => eventKey(projectId, id)))).map(isStored) },
    )
    const ids = events.map((e) => e.id)
    const stored = new Set<number>() // indexes answered by an earlier event
    const claimable = new Map<number, { value: string | undefined }>() // index → the claim's value, as read
    for (const [j, clientId] of clientIds.entries()) {
      const i = firstOfClient.get(clientId)!
      const claim = claims[j]
      if (claim.holder === undefined) claimable.set(i, claim.current)
      else {
        ids[i] = claim.holder
        stored.add(i)
      }
    }

    const fresh = events.flatMap((_, i) => (stored.has(i) || repeatOf.has(i) ? [] : [i]))
    const seen = new Set<string>()
    for (const i of fresh) {
      if (seen.has(events[i].id)) throw new Error(`telltale: event id ${events[i].id} appears twice in one insert`)
      seen.add(events[i].id)
    }
    const clashes = await kv.getMany(fresh.map((i) => eventKey(projectId, events[i].id)))
    const clash = clashes.findIndex((json) => json !== undefined)
    if (clash >= 0) throw new Error(`telltale: event id ${events[fresh[clash]].id} is already stored`)

    // Claims first, then events: a crash in between leaves claims without events (taken over by
    // the retry), never events without their claim (which a retry would store twice).
    const written: string[] = []
    const holds = holdsEvent(projectId)
    try {
      const toWrite: number[] = []
      await inChunks(fresh, async (i) => {
        const e = events[i]
        if (e.clientId === null || e.clientId === undefined) return void toWrite.push(i)
        const key = clientKey(projectId, e.clientId)
        const outcome = await claimUnique(kv, key, e.id, { holds, current: claimable.get(i) })
        if (outcome.claimed) {
          written.push(key)
          toWrite.push(i)
        } else ids[i] = outcome.holder // another process claimed it in the meantime: its id answers
      })
      await inChunks(toWrite, async (i) => {
        const key = eventKey(projectId, events[i].id)
        if (!(await kv.setIfAbsent(key, JSON.stringify(storedFields(events[i])))))
          throw new Error(`telltale: event id ${events[i].id} is already stored`)
        written.push(key)
      })
      for (const [i, first] of repeatOf) ids[i] = ids[first]
      const gen = await kv.increment(genKey(projectId), 1)
      addToCache(
        projectId,
        gen,
        toWrite.map((i) => events[i]),
      )
      return { ids, created: toWrite.length }
    } catch (error) {
      // Undo: the batch is written whole or not at all (a process that dies here leaves part).
      await inChunks(written, (key) => kv.delete(key).then(() => {})).catch((undoError: unknown) => {
        throw new AggregateError(
          [error, undoError],
          'telltale: an event batch failed and could not be fully undone (part of it may be stored)',
        )
      })
      // After the undo: a query that read part of the batch must read again.
      if (written.length > 0) await kv.increment(genKey(projectId), 1)
      throw error
    }
  }

  /** The events this process just wrote, added to the cache when nothing else was written since. */
  function addToCache(projectId: string, gen: number, written: NewEvent[]) {
    const cache = shared.caches.get(projectId)
    if (!cache || cache.gen !== gen - 1) return
    const added: StoredEvent[] = []
    for (const e of written) {
      const key = eventKey(projectId, e.id)
      // A query that ran during the batch may have read some of these already.
      if (cache.byKey.has(key)) continue
      const stored = parseEvent(projectId, JSON.stringify(storedFields(e)))
      cache.byKey.set(key, stored)
      added.push(stored)
    }
    // New arrays: a query may be iterating the old ones. The sorted order is merged, not redone.
    const sorted = cache.newestFirst && mergeNewestFirst(cache.newestFirst, added.sort(newestFirst))
    shared.caches.set(projectId, {
      gen,
      byKey: cache.byKey,
      events: added.length === 0 ? cache.events : [...cache.events, ...added],
      newestFirst: sorted,
    })
  }
}

interface ProjectCache {
  gen: number
  byKey: Map<string, StoredEvent>
  events: StoredEvent[]
  newestFirst?: StoredEvent[]
}

const sharedEventState = sharedBy<KvStore, { inserts: KeyedLock; caches: Map<string, ProjectCache> }>(() => ({
  inserts: new KeyedLock(),
  caches: new Map(),
}))

const isStored = (json: string | undefined) => json !== undefined

/** Writes spread over this many concurrent primitive calls at most. */
const WRITE_CHUNK = 100

async function inChunks<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += WRITE_CHUNK) {
    // Every write of the chunk settles before a failure is reported: an undo must see them all.
    const settled = await Promise.allSettled(items.slice(i, i + WRITE_CHUNK).map(work))
    const failed = settled.find((r) => r.status === 'rejected')
    if (failed) throw failed.reason
  }
}

function storedFields(e: NewEvent): NewEvent {
  return {
    id: e.id,
    name: e.name,
    timestamp: e.timestamp,
    receivedAt: e.receivedAt,
    userId: e.userId ?? null,
    userEmail: e.userEmail ?? null,
    userName: e.userName ?? null,
    value: e.value ?? null,
    properties: e.properties ?? null,
    tags: e.tags ?? null,
    clientId: e.clientId ?? null,
  }
}

function parseEvent(projectId: string, json: string): StoredEvent {
  const e = JSON.parse(json) as NewEvent
  return { ...e, projectId }
}

const newestFirst = (a: StoredEvent, b: StoredEvent) =>
  b.timestamp - a.timestamp || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)

/** Two lists sorted newest first, as one. */
function mergeNewestFirst(a: StoredEvent[], b: StoredEvent[]): StoredEvent[] {
  if (b.length === 0) return a
  const out: StoredEvent[] = new Array(a.length + b.length)
  let i = 0
  let j = 0
  for (let k = 0; k < out.length; k++)
    out[k] = j >= b.length || (i < a.length && newestFirst(a[i], b[j]) <= 0) ? a[i++] : b[j++]
  return out
}
