import type { Redis } from 'ioredis'
import {
  type EventMetricAggregations,
  type EventPredicate,
  minEventsOf,
  prefixUpperBound,
  type Scalar,
} from '../event-predicates'
import { emptySummary } from '../event-reference'
import type { EventField, EventFilter, EventRepository, NewEvent, StoredEvent } from '../events'
import { kvKey } from '../kv'
import { newestFirst, readAll, SCAN_BUDGET, SCAN_MS, summaryOf, sumOfLatest } from './chunks'
import { INSERT_LUA } from './lua/insert'
import { QUERY_LUA } from './lua/query'
import { redisScript } from './script'

const insertScript = redisScript(INSERT_LUA)
const queryScript = redisScript(QUERY_LUA)

/** A key no event can have (NUL is refused at ingest): filters and fields over it answer "absent". */
const unaddressable = (key: string) => key.includes('\u0000')

/** A scalar typed for the query script: cjson would blur none of these, but the tag says it plainly. */
function packScalar(v: Scalar): string[] {
  if (v === null) return ['z']
  if (typeof v === 'string') return ['s', v]
  if (typeof v === 'boolean') return ['b', v ? '1' : '0']
  if (typeof v === 'number' && Number.isFinite(v)) return ['n', String(v)] // shortest text that reads back exactly
  throw new Error(
    `telltale: a predicate compares with a JSON scalar, not ${typeof v === 'number' ? String(v) : typeof v}`,
  )
}

/** One predicate for the query script (layout: QUERY_LUA, `passesWhere`). */
function packPredicate(p: EventPredicate): Record<string, unknown> {
  const field = p.field
  const f =
    field.kind === 'value'
      ? { f: 'v' }
      : field.kind === 'userId'
        ? { f: 'u' }
        : unaddressable(field.key)
          ? { f: 'x' }
          : { f: 'p', k: field.key }
  switch (p.op) {
    case 'eq':
    case 'neq':
      return { ...f, op: p.op, s: [packScalar(p.value)] }
    case 'in':
      if (!Array.isArray(p.value)) throw new Error('telltale: an `in` predicate takes a list of scalars')
      return { ...f, op: 'in', s: p.value.map(packScalar) }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      if (typeof p.value !== 'number' || !Number.isFinite(p.value))
        throw new Error(`telltale: a \`${p.op}\` predicate compares with a finite number`)
      return { ...f, op: p.op, n: String(p.value) }
    default:
      throw new Error(`telltale: unknown predicate op ${JSON.stringify((p as { op: unknown }).op)}`)
  }
}

/** One event of the insert script's batch (layout: INSERT_LUA). */
function packEvent(e: NewEvent): unknown[] {
  const stored: Omit<StoredEvent, 'projectId'> = {
    id: e.id,
    name: e.name,
    timestamp: e.timestamp,
    receivedAt: e.receivedAt,
    userId: e.userId,
    userEmail: e.userEmail,
    userName: e.userName,
    value: e.value,
    properties: e.properties,
    tags: e.tags,
    clientId: e.clientId,
  }
  const optional = (v: string | number | null) => (v === null ? '' : `=${v}`)
  const tags: string[] = []
  if (e.tags) for (const key in e.tags) if (Object.hasOwn(e.tags, key)) tags.push(key, e.tags[key])
  // Numeric properties get a field of their own, so summarize reads a number, not JSON; every
  // other property a typed one, so a filter (a billing period) reads a field, not JSON.
  const numbers: string[] = []
  const others: string[] = []
  if (e.properties)
    for (const key in e.properties) {
      const value = e.properties[key]
      // `undefined` is what JSON leaves out: the property is absent, as the stored JSON says.
      if (!Object.hasOwn(e.properties, key) || value === undefined) continue
      if (typeof value === 'number' && Number.isFinite(value)) numbers.push(key, String(value))
      else others.push(key, typedProperty(value))
    }
  return [
    e.id,
    String(e.timestamp),
    e.name,
    optional(e.clientId),
    optional(e.userId),
    optional(e.value),
    JSON.stringify(stored),
    tags,
    numbers,
    others,
  ]
}

/** A non-numeric property as its `s:` field holds it: `s` + a string, `b1`/`b0`, `z` (null), `o` (object or array). */
function typedProperty(value: unknown): string {
  if (typeof value === 'string') return `s${value}`
  if (typeof value === 'boolean') return value ? 'b1' : 'b0'
  if (value === null) return 'z'
  return 'o'
}

/** Events in Redis: one script call per insert, one or more per query (layout: lua/layout.ts; scripts: lua/insert.ts, lua/query.ts). */
export function redisEvents(
  client: Redis,
  prefix: string,
  /** The budget of a query script call (SCAN_BUDGET, SCAN_MS); tests make it small to cross many calls. */
  chunk = { budget: SCAN_BUDGET, ms: SCAN_MS },
): EventRepository & EventMetricAggregations {
  const base = (projectId: string) => `${prefix}e:${kvKey(projectId)}:`

  /** The names a filter reads (a prefix resolved once, so every call of a read has the same sources), or all. */
  async function namesOf(projectId: string, filter: EventFilter): Promise<string[] | undefined> {
    const names = filter.names ? [...new Set(filter.names)] : undefined
    if (!filter.namePrefix) return names
    const upper = prefixUpperBound(filter.namePrefix)
    const matching = await client.zrangebylex(
      `${base(projectId)}names`,
      `[${filter.namePrefix}`,
      upper === undefined ? '+' : `(${upper}`,
    )
    if (!names) return matching
    const wanted = new Set(names)
    return matching.filter((name) => wanted.has(name))
  }
  /** The filter as the query script reads it (QUERY_LUA). */
  async function filterSpec(projectId: string, filter: EventFilter): Promise<Record<string, unknown>> {
    const spec: Record<string, unknown> = { budget: String(chunk.budget), ms: String(chunk.ms) }
    const names = await namesOf(projectId, filter)
    if (names) spec.names = names
    if (filter.from !== undefined) spec.from = String(filter.from)
    if (filter.to !== undefined) spec.to = String(filter.to)
    if (filter.userId !== undefined) spec.userId = filter.userId
    spec.tags = Object.entries(filter.tags ?? {})
    // An empty list is sent as no list (cjson would decode [] and {} alike).
    if (filter.where && filter.where.length > 0) spec.where = filter.where.map(packPredicate)
    return spec
  }
  /** One query op over a filter, read to its end: `take` gets the partial answer of each call. */
  async function read(
    projectId: string,
    filter: EventFilter,
    op: Record<string, unknown>,
    take: (reply: string[]) => void,
  ): Promise<void> {
    const json = JSON.stringify({ ...(await filterSpec(projectId, filter)), ...op })
    const key = base(projectId)
    await readAll((cursor) => queryScript(client, [key, json, cursor]) as Promise<string[]>, take)
  }
  /** An op whose answer is one number, added up over the calls. */
  async function count(projectId: string, filter: EventFilter, op: Record<string, unknown>): Promise<number> {
    let n = 0
    await read(projectId, filter, op, (reply) => {
      n += Number(reply[1])
    })
    return n
  }
  /** Each matching event's user, with how many of the matching events it has. */
  async function userCounts(projectId: string, filter: EventFilter, into = new Map<string, number>()) {
    await read(projectId, filter, { op: 'users' }, (reply) => {
      for (let i = 1; i < reply.length; i += 2) into.set(reply[i], (into.get(reply[i]) ?? 0) + Number(reply[i + 1]))
    })
    return into
  }
  const matchesNothing = (filter: EventFilter) => Object.keys(filter.tags ?? {}).some(unaddressable)
  /** The field an aggregation reads: `{}` for value, `{ property }`, or `undefined` when no event has it. */
  const fieldSpec = (field: EventField) =>
    field.kind === 'value' ? {} : unaddressable(field.key) ? undefined : { property: field.key }
  const toEvent = (projectId: string, json: string): StoredEvent => ({
    ...(JSON.parse(json) as Omit<StoredEvent, 'projectId'>),
    projectId,
  })

  return {
    async insert({ projectId, events }) {
      if (events.length === 0) return { ids: [], created: 0 }
      const [created, ...ids] = (await insertScript(client, [
        base(projectId),
        JSON.stringify(events.map(packEvent)),
      ])) as string[]
      return { ids, created: Number(created) }
    },

    async get({ projectId, id }) {
      const json = await client.hget(`${base(projectId)}ev:${id}`, 'j')
      return json === null ? undefined : toEvent(projectId, json)
    },

    async list({ projectId, filter, limit, offset }) {
      if (matchesNothing(filter)) return { events: [], total: 0 }
      const tagCount = Object.keys(filter.tags ?? {}).length
      const perEvent = filter.userId !== undefined || (filter.where?.length ?? 0) > 0
      const names = await namesOf(projectId, filter)
      const scoped = { ...filter, names, namePrefix: undefined }
      if (!perEvent && tagCount === 0 && (!names || names.length === 1)) {
        // One index, no filter: the page by rank, in one call.
        const page = { events: [] as StoredEvent[], total: 0 }
        await read(projectId, scoped, { op: 'page', limit: String(limit), offset: String(offset) }, (reply) => {
          page.total = Number(reply[1])
          for (let i = 2; i < reply.length; i++) page.events.push(toEvent(projectId, reply[i]))
        })
        return page
      }
      // Each index newest first, merged here. Without a per-event filter (or with one tag pair) the
      // total is a count and an index is read only until it has offset + limit events; otherwise
      // every event is read, for the total.
      const countedApart = !perEvent && tagCount <= 1
      const want = offset + limit
      const candidates: Array<{ id: string; ts: number }> = []
      let matched = 0
      if (want > 0 || !countedApart)
        await read(projectId, scoped, { op: 'listScan', want: String(want), stop: countedApart }, (reply) => {
          matched += Number(reply[1])
          for (let i = 2; i < reply.length; i += 2) candidates.push({ id: reply[i], ts: Number(reply[i + 1]) })
        })
      const total = countedApart ? await count(projectId, scoped, { op: 'count' }) : matched
      const ids = candidates
        .sort(newestFirst)
        .slice(offset, want)
        .map((c) => c.id)
      if (ids.length === 0) return { events: [], total }
      const events: StoredEvent[] = []
      await read(projectId, {}, { op: 'rows', ids }, (reply) => {
        for (let i = 1; i < reply.length; i++) if (reply[i] !== '') events.push(toEvent(projectId, reply[i]))
      })
      return { events, total }
    },

    async count({ projectId, filter }) {
      if (matchesNothing(filter)) return 0
      return count(projectId, filter, { op: 'count' })
    },

    async countSeries({ projectId, filter, bucketMs }) {
      if (matchesNothing(filter)) return []
      const counts = new Map<number, number>()
      await read(projectId, filter, { op: 'countSeries', bucket: String(Math.floor(bucketMs)) }, (reply) => {
        for (let i = 1; i < reply.length; i += 2) {
          const start = Number(reply[i])
          counts.set(start, (counts.get(start) ?? 0) + Number(reply[i + 1]))
        }
      })
      return [...counts].sort(([a], [b]) => a - b).map(([start, count]) => ({ start, count }))
    },

    async countByTag({ projectId, filter, tagKey }) {
      if (matchesNothing(filter) || unaddressable(tagKey)) return []
      const counts = new Map<string, number>()
      await read(projectId, filter, { op: 'countByTag', tagKey }, (reply) => {
        for (let i = 1; i < reply.length; i += 2)
          counts.set(reply[i], (counts.get(reply[i]) ?? 0) + Number(reply[i + 1]))
      })
      return [...counts]
        .map(([value, count]) => ({ value, count }))
        .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value))
    },

    async summarize({ projectId, filter, field, percentiles }) {
      const none = emptySummary(percentiles)
      if (matchesNothing(filter) || (field.kind === 'property' && unaddressable(field.key))) return none
      const values: number[] = []
      await read(projectId, filter, { op: 'summarize', ...fieldSpec(field) }, (reply) => {
        for (let i = 1; i < reply.length; i++) values.push(Number(reply[i]))
      })
      return values.length === 0 ? none : summaryOf(values, percentiles)
    },

    async countDistinctUsers({ projectId, filter, minEvents }) {
      const min = minEventsOf(minEvents)
      if (matchesNothing(filter)) return 0
      let users = 0
      for (const n of (await userCounts(projectId, filter)).values()) if (n >= min) users++
      return users
    },

    async countDistinctUsersInAny({ projectId, filters }) {
      // The union of each filter's users: a user matching several counts once.
      const users = new Map<string, number>()
      for (const filter of filters) if (!matchesNothing(filter)) await userCounts(projectId, filter, users)
      return users.size
    },

    async latest({ projectId, filter, field }) {
      const spec = fieldSpec(field)
      if (matchesNothing(filter) || !spec) return null
      let best: { ts: number; id: string; value: number } | undefined
      await read(projectId, filter, { op: 'latest', ...spec }, (reply) => {
        for (let i = 1; i < reply.length; i += 3) {
          const found = { ts: Number(reply[i]), id: reply[i + 1], value: Number(reply[i + 2]) }
          if (!best || newestFirst(found, best) < 0) best = found
        }
      })
      return best ? best.value : null
    },

    async firstTimestamp({ projectId }) {
      // The lowest score of the project's time index.
      const [, score] = await client.zrange(`${base(projectId)}t`, 0, 0, 'WITHSCORES')
      return score === undefined ? undefined : Number(score)
    },

    async sumLatestPerUser({ projectId, filter, field }) {
      const spec = fieldSpec(field)
      if (matchesNothing(filter) || !spec) return { users: 0, sum: null }
      const latest = new Map<string, { ts: number; id: string; value: number }>()
      await read(projectId, filter, { op: 'latestPerUser', ...spec }, (reply) => {
        for (let i = 1; i < reply.length; i += 4) {
          const found = { ts: Number(reply[i + 1]), id: reply[i + 2], value: Number(reply[i + 3]) }
          const best = latest.get(reply[i])
          if (!best || newestFirst(found, best) < 0) latest.set(reply[i], found)
        }
      })
      return { users: latest.size, sum: sumOfLatest([...latest.values()].map((l) => l.value)) }
    },
  }
}
