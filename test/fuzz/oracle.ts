// What the fuzzer expects of telltale: what a write must store, and what a query must answer given
// the events stored so far (the model). Error shapes come from the surfaces (shape.ts).
import type { SideEvent } from './child'
import { ROUTES } from './gen'

export const FLUX_ID = /^evt_[0-9a-f]{32}$/
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
/** The JS Date range: |t| ≤ 8.64e15 ms. */
export const MAX_DATE_MS = 8.64e15

export const fluxIdToUuid = (id: string) => {
  const hex = id.slice(4)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value)

// ---------------------------------------------------------------------------------------------
// Classifying values, so findings deduplicate by what triggered them

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const SPECIAL = new Set([
  '__proto__',
  'constructor',
  'toString',
  'prototype',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
  'length',
])

export function classifyString(s: string): string {
  if (s === '') return 'empty string'
  if (s.includes('\u0000')) return 'NUL'
  if (LONE_SURROGATE.test(s)) return 'lone surrogate'
  if (SPECIAL.has(s)) return s
  if (s.includes('\u{10FFFF}')) return 'U+10FFFF'
  if (s.includes('\uFFFD')) return 'U+FFFD'
  if (s.length > 255) return 'long string'
  if (/[^\x20-\x7e]/.test(s)) return 'non-ASCII'
  if (/["\\'$[\]*%_.]/.test(s)) return 'punctuation'
  return 'plain'
}

export function classifyValue(v: unknown): string {
  if (typeof v === 'string') return classifyString(v)
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return 'non-finite number'
    if (Object.is(v, -0)) return '-0'
    if (!Number.isInteger(v)) return Math.abs(v) < 1e-300 ? 'subnormal number' : 'fractional number'
    if (Math.abs(v) > MAX_DATE_MS) return 'number beyond ±8.64e15'
    if (!Number.isSafeInteger(v)) return 'integer beyond 2^53'
    return 'integer'
  }
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  return typeof v
}

// ---------------------------------------------------------------------------------------------
// Readback: what a write must have stored

export interface Diff {
  path: string[]
  kind: 'missing key' | 'added key' | 'changed'
  sent?: unknown
  stored?: unknown
}

function sameNumber(a: number, b: number): boolean {
  return Object.is(a, b) || (a === 0 && b === 0)
}

/** Structural differences of JSON values, own keys only (so `__proto__` counts as a key). */
export function diffJson(sent: unknown, stored: unknown, path: string[] = [], out: Diff[] = []): Diff[] {
  if (typeof sent === 'number' && typeof stored === 'number') {
    if (!sameNumber(sent, stored)) out.push({ path, kind: 'changed', sent, stored })
  } else if (Array.isArray(sent) && Array.isArray(stored)) {
    if (sent.length !== stored.length)
      out.push({ path, kind: 'changed', sent: `array(${sent.length})`, stored: `array(${stored.length})` })
    else for (const [i, item] of sent.entries()) diffJson(item, stored[i], [...path, String(i)], out)
  } else if (isPlainObject(sent) && isPlainObject(stored)) {
    for (const key of Object.keys(sent)) {
      if (!Object.hasOwn(stored, key)) out.push({ path: [...path, key], kind: 'missing key', sent: sent[key] })
      else diffJson(sent[key], stored[key], [...path, key], out)
    }
    for (const key of Object.keys(stored))
      if (!Object.hasOwn(sent, key)) out.push({ path: [...path, key], kind: 'added key', stored: stored[key] })
  } else if (sent !== stored) {
    out.push({ path, kind: 'changed', sent, stored })
  }
  return out
}

/** An item of a write body, as the event the server must store (wire names → stored fields). */
export function expectedEvent(item: Record<string, unknown>, surface: 'sb' | 'flux'): Record<string, unknown> {
  const v = (key: string) => (item[key] === undefined || item[key] === null ? null : item[key])
  return surface === 'sb'
    ? {
        name: v('event'),
        userId: v('user_id'),
        userEmail: v('user_email'),
        userName: v('user_name'),
        value: v('value'),
        properties: v('metadata'),
        tags: null,
        clientId: v('id'),
      }
    : {
        name: v('name'),
        userId: v('user_id'),
        userEmail: null,
        userName: null,
        value: v('value'),
        properties: v('properties'),
        tags: v('tags'),
        clientId: v('id'),
      }
}

/** ISO-8601 as telltale documents it, in epoch ms (date-only = UTC midnight). */
export function isoMs(text: string): number {
  const t = text.trim()
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) return Date.parse(`${t}T00:00:00Z`)
  return Date.parse(t.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'))
}

/**
 * Differences between an acknowledged item and the stored event. `window` bounds the default
 * timestamp (now, on the server).
 */
export function readbackDiffs(
  item: Record<string, unknown>,
  surface: 'sb' | 'flux',
  stored: SideEvent,
  window: [number, number],
): Diff[] {
  const expected = expectedEvent(item, surface)
  const actual: Record<string, unknown> = {
    name: stored.name,
    userId: stored.userId,
    userEmail: stored.userEmail,
    userName: stored.userName,
    value: stored.value,
    properties: stored.properties,
    tags: stored.tags,
    clientId: stored.clientId,
  }
  const diffs = diffJson(expected, actual)
  const ts = item.timestamp
  if (
    !(
      typeof stored.timestamp === 'number' &&
      Number.isFinite(stored.timestamp) &&
      Math.abs(stored.timestamp) <= MAX_DATE_MS
    )
  ) {
    diffs.push({ path: ['timestamp'], kind: 'changed', sent: ts, stored: stored.timestamp })
  } else if (typeof ts === 'number') {
    // The README's rule: whole milliseconds, a fraction is dropped.
    if (!sameNumber(Math.floor(ts), stored.timestamp))
      diffs.push({ path: ['timestamp'], kind: 'changed', sent: ts, stored: stored.timestamp })
  } else if (typeof ts === 'string') {
    const ms = isoMs(ts)
    if (!sameNumber(ms, stored.timestamp))
      diffs.push({ path: ['timestamp'], kind: 'changed', sent: ts, stored: stored.timestamp })
  } else if (stored.timestamp < window[0] - 5000 || stored.timestamp > window[1] + 5000) {
    diffs.push({ path: ['timestamp'], kind: 'changed', sent: 'now (default)', stored: stored.timestamp })
  }
  return diffs
}

/** A short, dedupable description of a readback difference. */
export function describeDiff(d: Diff): { key: string; text: string } {
  const field = d.path[0] ?? 'event'
  const show = (v: unknown) => {
    const s = typeof v === 'string' ? JSON.stringify(v) : typeof v === 'number' ? String(v) : JSON.stringify(v)
    return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 80)}…` : s
  }
  if (field === 'timestamp' && typeof d.stored === 'number' && !(Math.abs(d.stored) <= MAX_DATE_MS)) {
    return {
      key: `acknowledged timestamp outside the JS Date range (sent ${classifyValue(d.sent)})`,
      text: `timestamp ${show(d.sent)} stored as ${d.stored} (outside ±8.64e15 ms: cannot be formatted)`,
    }
  }
  if (d.kind === 'missing key' || d.kind === 'added key') {
    const key = d.path[d.path.length - 1]
    return {
      key: `${field}: key ${d.kind === 'missing key' ? 'dropped' : 'added'} (${classifyString(key)})`,
      text: `${d.path.join('.')}: key ${JSON.stringify(key)} ${d.kind === 'missing key' ? `sent (${show(d.sent)}) but not stored` : `stored (${show(d.stored)}) but not sent`}`,
    }
  }
  const cls = classifyValue(d.sent)
  const text = `${d.path.join('.') || field}: sent ${show(d.sent)}, stored ${show(d.stored)}`
  // Strings altered for what they contain: one finding whatever field they were in.
  if (typeof d.sent === 'string' && typeof d.stored === 'string' && cls !== 'plain' && cls !== 'non-ASCII')
    return { key: `string changed (${cls})`, text }
  return { key: `${field}${d.path.length > 1 ? '.*' : ''} changed (${cls})`, text }
}

// ---------------------------------------------------------------------------------------------
// Queries against the model

export interface ModelQuery {
  name?: string
  prefix?: string
  userId?: string
  tags: Map<string, string>
  limit: number
  offset: number
  groupBy?: string
  field: { kind: 'value' } | { kind: 'property'; key: string }
}

const KNOWN_PARAMS = new Set([
  'name',
  'user_id',
  'limit',
  'offset',
  'group_by',
  'field',
  'from',
  'to',
  'interval',
  'tz',
])

/**
 * The query as the model evaluates it, or undefined when the model cannot answer it exactly
 * (time ranges, intervals and zones are checked structurally only).
 */
export function modelQuery(params: URLSearchParams): ModelQuery | undefined {
  if (params.has('from') || params.has('to') || params.has('interval') || params.has('tz')) return undefined
  const q: ModelQuery = { tags: new Map(), limit: 100, offset: 0, field: { kind: 'value' } }
  const name = params.get('name')
  if (name !== null) {
    if (name.endsWith('*')) q.prefix = name.slice(0, -1)
    else q.name = name
  }
  const userId = params.get('user_id')
  if (userId !== null) q.userId = userId
  for (const [key, value] of params) {
    const tag = /^tags\[(.+)\]$/.exec(key)
    if (tag) q.tags.set(tag[1], value)
    else if (!KNOWN_PARAMS.has(key) && key.startsWith('tags')) return undefined
  }
  const limit = params.get('limit')
  if (limit !== null) q.limit = Number(limit)
  const offset = params.get('offset')
  if (offset !== null) q.offset = Number(offset)
  const groupBy = params.get('group_by')
  if (groupBy !== null) q.groupBy = groupBy.slice('tags.'.length)
  const field = params.get('field')
  if (field !== null && field !== 'value') q.field = { kind: 'property', key: field.slice('properties.'.length) }
  return q
}

export function matches(e: SideEvent, q: ModelQuery): boolean {
  if (q.name !== undefined && e.name !== q.name) return false
  if (q.prefix && !e.name.startsWith(q.prefix)) return false
  if (q.userId !== undefined && e.userId !== q.userId) return false
  for (const [key, value] of q.tags) if (!e.tags || !Object.hasOwn(e.tags, key) || e.tags[key] !== value) return false
  return true
}

const REPLACEMENT = /\uFFFD/
/**
 * Whether the store altered one of the event's indexed strings (U+FFFD where a lone surrogate
 * was sent). Such events are reported by readback; queries about them are only checked loosely,
 * since what the store compares is not what it reads back.
 */
export function tainted(e: SideEvent): boolean {
  if (REPLACEMENT.test(e.name) || (e.userId !== null && REPLACEMENT.test(e.userId))) return true
  return !!e.tags && Object.entries(e.tags).some(([k, v]) => REPLACEMENT.test(k) || REPLACEMENT.test(String(v)))
}

/** Newest first: timestamp, then id, both descending. */
export function newestFirst(a: SideEvent, b: SideEvent): number {
  return b.timestamp - a.timestamp || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)
}

export function modelGroups(events: SideEvent[], key: string): Map<string, number> {
  const groups = new Map<string, number>()
  for (const e of events)
    if (e.tags && Object.hasOwn(e.tags, key))
      groups.set(String(e.tags[key]), (groups.get(String(e.tags[key])) ?? 0) + 1)
  return groups
}

export function modelNumbers(events: SideEvent[], field: ModelQuery['field']): number[] {
  const out: number[] = []
  for (const e of events) {
    if (field.kind === 'value') {
      if (e.value !== null) out.push(e.value)
    } else if (e.properties && Object.hasOwn(e.properties, field.key) && typeof e.properties[field.key] === 'number') {
      out.push(e.properties[field.key] as number)
    }
  }
  return out
}

export function nearestRank(sorted: number[], p: number): number | null {
  const n = sorted.length
  if (n === 0) return null
  return sorted[Math.min(n, Math.max(1, Math.ceil((p * n) / 100))) - 1]
}

/** The event as a Flux list item shows it. */
export function fluxView(e: SideEvent): Record<string, unknown> {
  return {
    id: `evt_${e.id.replace(/-/g, '')}`,
    name: e.name,
    timestamp:
      Math.abs(e.timestamp) <= MAX_DATE_MS
        ? new Date(e.timestamp).toISOString().replace('.000Z', 'Z')
        : `<invalid ${e.timestamp}>`,
    user_id: e.userId,
    value: e.value,
    properties: e.properties ?? {},
    tags: e.tags ?? {},
  }
}

/** Checks a 200 query reply's structure (any query); returns problems. */
export function queryShapeProblems(route: string, body: unknown): string[] {
  const problems: string[] = []
  if (!isPlainObject(body)) return ['reply is not a JSON object']
  if (route === ROUTES.list) {
    if (!Array.isArray(body.data)) problems.push('list: `data` is not an array')
    const meta = body.meta
    if (
      !isPlainObject(meta) ||
      typeof meta.total !== 'number' ||
      typeof meta.limit !== 'number' ||
      typeof meta.offset !== 'number'
    )
      problems.push('list: `meta` is not {total, limit, offset}')
    else if (Array.isArray(body.data) && body.data.length > meta.limit) problems.push('list: more items than `limit`')
    return problems
  }
  const data = body.data
  if (!isPlainObject(data)) return ['`data` is not an object']
  if (route === ROUTES.count) {
    if (typeof data.total !== 'number' || !Number.isInteger(data.total) || data.total < 0)
      problems.push('count: `total` is not a count')
    if (data.series !== undefined) {
      if (!Array.isArray(data.series)) problems.push('count: `series` is not an array')
      else {
        const series = data.series as Array<{ timestamp: unknown; count: unknown }>
        if (series.length > 10_000) problems.push('count: more than 10,000 buckets')
        let sum = 0
        let last = -Infinity
        for (const b of series) {
          if (typeof b.count !== 'number' || typeof b.timestamp !== 'string') {
            problems.push('count: a bucket is not {timestamp, count}')
            break
          }
          sum += b.count
          const t = Date.parse(b.timestamp)
          if (!(t > last)) {
            problems.push('count: series timestamps not strictly increasing')
            break
          }
          last = t
        }
        if (sum !== data.total) problems.push('count: series counts do not add up to `total`')
      }
    }
    if (data.groups !== undefined) {
      if (!isPlainObject(data.groups) || !Object.values(data.groups).every((n) => typeof n === 'number'))
        problems.push('count: `groups` is not {value: count}')
      else if (Object.values(data.groups as Record<string, number>).reduce((a, b) => a + b, 0) > (data.total as number))
        problems.push('count: groups add up to more than `total`')
    }
    return problems
  }
  // stats
  const keys = ['count', 'sum', 'avg', 'min', 'max', 'p50', 'p95', 'p99']
  for (const key of keys) if (!(key in data)) problems.push(`stats: \`${key}\` missing`)
  if (typeof data.count !== 'number') return [...problems, 'stats: `count` is not a number']
  if (data.count === 0) {
    if (keys.slice(1).some((k) => data[k] !== null)) problems.push('stats: values for count 0')
  } else {
    for (const k of ['min', 'max', 'p50', 'p95', 'p99'])
      if (typeof data[k] !== 'number') problems.push(`stats: \`${k}\` is not a number with count > 0`)
    // `sum`/`avg` may be null with count > 0: the README's rule for sums that are not a finite double.
    if ((data.sum !== null && typeof data.sum !== 'number') || (data.avg !== null && typeof data.avg !== 'number'))
      problems.push('stats: `sum`/`avg` neither a number nor null')
    const order = ['min', 'p50', 'p95', 'p99', 'max'].map((k) => data[k])
    if (
      order.every((x) => typeof x === 'number') &&
      !order.every((x, i) => i === 0 || (order[i - 1] as number) <= (x as number))
    )
      problems.push('stats: not min ≤ p50 ≤ p95 ≤ p99 ≤ max')
  }
  return problems
}
