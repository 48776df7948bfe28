import type { Redis } from 'ioredis'
import { type EventMetricAggregations, type EventPredicate, minEventsOf, type Scalar } from '../event-predicates'
import type { EventField, EventFilter, EventRepository, NewEvent, NumericSummary, StoredEvent } from '../events'
import { kvKey } from '../kv'
import { INSERT_LUA } from './lua/insert'
import { QUERY_LUA } from './lua/query'
import { redisScript } from './script'

const insertScript = redisScript(INSERT_LUA)
const queryScript = redisScript(QUERY_LUA)

/**
 * The least string greater than every string that starts with `prefix`, in code point order (the
 * byte order of UTF-8, which ZRANGEBYLEX compares by): the last code point incremented.
 * `undefined` when none exists (all U+10FFFF). The same bound the SQL adapter uses.
 */
function prefixUpperBound(prefix: string): string | undefined {
  const points = [...prefix]
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!
    if (last < 0x10ffff) return points.join('') + String.fromCodePoint(last + 1 === 0xd800 ? 0xe000 : last + 1)
  }
  return undefined
}

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

/** Events in Redis: one script call per insert and per query (layout: lua/layout.ts; scripts: lua/insert.ts, lua/query.ts). */
export function redisEvents(client: Redis, prefix: string): EventRepository & EventMetricAggregations {
  const base = (projectId: string) => `${prefix}e:${kvKey(projectId)}:`

  function query(projectId: string, filter: EventFilter, op: Record<string, unknown>): Promise<unknown> {
    return queryScript(client, [base(projectId), JSON.stringify({ ...op, ...filterSpec(filter) })])
  }
  /** The filter as the query script reads it (QUERY_LUA). */
  function filterSpec(filter: EventFilter): Record<string, unknown> {
    const spec: Record<string, unknown> = {}
    if (filter.names) spec.names = [...new Set(filter.names)]
    if (filter.namePrefix) {
      spec.prefix = filter.namePrefix
      spec.upper = prefixUpperBound(filter.namePrefix)
    }
    if (filter.from !== undefined) spec.from = String(filter.from)
    if (filter.to !== undefined) spec.to = String(filter.to)
    if (filter.userId !== undefined) spec.userId = filter.userId
    spec.tags = Object.entries(filter.tags ?? {})
    // An empty list is sent as no list (cjson would decode [] and {} alike).
    if (filter.where && filter.where.length > 0) spec.where = filter.where.map(packPredicate)
    return spec
  }
  const matchesNothing = (filter: EventFilter) => Object.keys(filter.tags ?? {}).some(unaddressable)
  /** The field an aggregation reads: `{}` for value, `{ property }`, or `undefined` when no event has it. */
  const fieldSpec = (field: EventField) =>
    field.kind === 'value' ? {} : unaddressable(field.key) ? undefined : { property: field.key }

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
      return json === null ? undefined : { ...(JSON.parse(json) as Omit<StoredEvent, 'projectId'>), projectId }
    },

    async list({ projectId, filter, limit, offset }) {
      if (matchesNothing(filter)) return { events: [], total: 0 }
      const [total, ...rows] = (await query(projectId, filter, {
        op: 'list',
        limit: String(limit),
        offset: String(offset),
      })) as string[]
      return {
        events: rows.map((json) => ({ ...(JSON.parse(json) as Omit<StoredEvent, 'projectId'>), projectId })),
        total: Number(total),
      }
    },

    async count({ projectId, filter }) {
      if (matchesNothing(filter)) return 0
      return Number(await query(projectId, filter, { op: 'count' }))
    },

    async countSeries({ projectId, filter, bucketMs }) {
      if (matchesNothing(filter)) return []
      const flat = (await query(projectId, filter, {
        op: 'countSeries',
        bucket: String(Math.floor(bucketMs)),
      })) as string[]
      const series: Array<{ start: number; count: number }> = []
      for (let i = 0; i < flat.length; i += 2) series.push({ start: Number(flat[i]), count: Number(flat[i + 1]) })
      return series
    },

    async countByTag({ projectId, filter, tagKey }) {
      if (matchesNothing(filter) || unaddressable(tagKey)) return []
      const flat = (await query(projectId, filter, { op: 'countByTag', tagKey })) as string[]
      const counts: Array<{ value: string; count: number }> = []
      for (let i = 0; i < flat.length; i += 2) counts.push({ value: flat[i], count: Number(flat[i + 1]) })
      return counts.sort((a, b) => b.count - a.count || a.value.localeCompare(b.value))
    },

    async summarize({ projectId, filter, field, percentiles }) {
      const none: NumericSummary = {
        count: 0,
        sum: null,
        avg: null,
        min: null,
        max: null,
        percentiles: Object.fromEntries(percentiles.map((p) => [p, null])),
      }
      if (matchesNothing(filter) || (field.kind === 'property' && unaddressable(field.key))) return none
      const property = field.kind === 'property' ? { property: field.key } : {}
      const out = (await query(projectId, filter, {
        op: 'summarize',
        ...property,
        percentiles: percentiles.map(String),
      })) as string[]
      if (out[0] === '0') return none
      const [count, sum, avg, min, max, ...ranked] = out
      // Lua answers every number as %.17g text (its integer replies would truncate).
      const num = (v: string) => (v === '' ? null : Number(v))
      return {
        count: Number(count),
        sum: num(sum),
        avg: num(avg),
        min: num(min),
        max: num(max),
        percentiles: Object.fromEntries(percentiles.map((p, i) => [p, num(ranked[i])])),
      }
    },

    async countDistinctUsers({ projectId, filter, minEvents }) {
      const min = minEventsOf(minEvents)
      if (matchesNothing(filter)) return 0
      return Number(await query(projectId, filter, { op: 'countDistinctUsers', minEvents: String(min) }))
    },

    async countDistinctUsersInAny({ projectId, filters }) {
      // One script call for all the filters: the union is taken in Redis, only its size comes back.
      const live = filters.filter((filter) => !matchesNothing(filter))
      if (live.length === 0) return 0
      return Number(
        await queryScript(client, [
          base(projectId),
          JSON.stringify({ op: 'countDistinctUsersInAny', filters: live.map(filterSpec) }),
        ]),
      )
    },

    async latest({ projectId, filter, field }) {
      const spec = fieldSpec(field)
      if (matchesNothing(filter) || !spec) return null
      const out = (await query(projectId, filter, { op: 'latest', ...spec })) as string
      return out === '' ? null : Number(out)
    },

    async firstTimestamp({ projectId }) {
      // The lowest score of the project's time index.
      const [, score] = await client.zrange(`${base(projectId)}t`, 0, 0, 'WITHSCORES')
      return score === undefined ? undefined : Number(score)
    },

    async sumLatestPerUser({ projectId, filter, field }) {
      const spec = fieldSpec(field)
      if (matchesNothing(filter) || !spec) return { users: 0, sum: null }
      const [users, sum] = (await query(projectId, filter, { op: 'sumLatestPerUser', ...spec })) as string[]
      return { users: Number(users), sum: sum === '' ? null : Number(sum) }
    },
  }
}
