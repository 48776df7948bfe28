// The query bench's data set: deterministic, generated in chunks (never 1M objects at once), with
// the exact answers to every benchmarked query tallied on the way, so both telltale and the
// hand-written SQL are checked against an independent computation.
import type { NewEvent } from '../../../src/storage'

export const DAY = 86_400_000
/** The 30 days the data covers: [FROM, TO), whole UTC days. */
export const TO = Date.UTC(2025, 0, 31)
export const FROM = TO - 30 * DAY

export const NAMES = [
  'page.view',
  'user.login',
  'user.signup',
  'search',
  'cart.add',
  'checkout.start',
  'order.placed',
  'invoice.paid',
  'export.run',
  'api.call',
]
/** tags.plan, with fixed weights (sum 1): the list filter uses a mid-frequency plan. */
export const PLANS = [
  { plan: 'free', weight: 0.5 },
  { plan: 'starter', weight: 0.25 },
  { plan: 'pro', weight: 0.15 },
  { plan: 'team', weight: 0.08 },
  { plan: 'enterprise', weight: 0.02 },
]
/** `value` is lognormal(mu, sigma), rounded to cents: median e^mu ≈ 20.09, p95 ≈ 104, p99 ≈ 206. */
export const VALUE = { mu: 3, sigma: 1 }

/** What the bench queries: one name for counts and stats, one plan for the list. */
export const QUERY = { name: 'order.placed', plan: 'team', limit: 50, percentiles: [50, 95, 99] as const }

export const PROJECT_ID = '01940000-0000-7000-8000-000000000b3c'

/** Deterministic 32-bit PRNG (mulberry32): the same events in every run and on every backend. */
export function prng(seed: number): () => number {
  let s = seed | 0
  return () => {
    s = (s + 0x6d2b79f5) | 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const hex = (n: number, width: number) => Math.floor(n).toString(16).padStart(width, '0').slice(-width)

/** Exact answers for the benchmarked queries, computed from the generated events. */
export interface Truth {
  events: number
  /** QUERY.name per UTC day over [FROM, TO). */
  series: Array<{ start: number; count: number }>
  /** QUERY.name per plan. */
  groups: Record<string, number>
  /** QUERY.name values (sorted once generation is done) for exact nearest-rank percentiles. */
  values: Float64Array
  stats: { count: number; sum: number; min: number; max: number; percentiles: Record<number, number> }
  /** tags.plan = QUERY.plan: how many, and the ids of the newest QUERY.limit (ts desc, id desc). */
  listTotal: number
  listIds: string[]
}

/** Nearest rank: the value at 1-based rank ceil(p * n / 100) of the ascending values. */
export const nearestRank = (sorted: ArrayLike<number>, p: number) =>
  sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p * sorted.length) / 100))) - 1]

/**
 * Yields `total` events in chunks of `chunkSize`, ascending in time (as they would arrive):
 * timestamps are stratified-uniform over [FROM, TO) (event k falls at a random instant of the
 * k-th of `total` equal slices). Ids are UUIDv7-shaped from the timestamp plus PRNG bits.
 * `truth` is filled in as events are produced; it is complete once the generator returns.
 */
export function* generateEvents(
  total: number,
  chunkSize: number,
  truth: Truth,
  seed = 20250131,
): Generator<NewEvent[]> {
  const next = prng(seed)
  const span = TO - FROM
  const cumulative = PLANS.map((_, i) => PLANS.slice(0, i + 1).reduce((s, p) => s + p.weight, 0))
  const values: number[] = []
  let newest: Array<{ ts: number; id: string }> = []
  for (let start = 0; start < total; start += chunkSize) {
    const chunk: NewEvent[] = []
    for (let k = start; k < Math.min(total, start + chunkSize); k++) {
      const ts = FROM + Math.floor(((k + next()) * span) / total)
      const name = NAMES[Math.floor(next() * NAMES.length)]
      const u = next()
      const plan = PLANS[cumulative.findIndex((c) => u < c)]?.plan ?? PLANS[PLANS.length - 1].plan
      // Box-Muller: one standard normal from two uniforms (1 - u keeps log away from 0).
      const z = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next())
      const value = Math.round(Math.exp(VALUE.mu + VALUE.sigma * z) * 100) / 100
      const user = Math.floor(next() * 50_000)
      const id = `${hex(ts / 0x10000, 8)}-${hex(ts % 0x10000, 4)}-7${hex(next() * 0x1000, 3)}-${hex(0x8000 + next() * 0x4000, 4)}-${hex(next() * 0x1000000, 6)}${hex(next() * 0x1000000, 6)}`
      chunk.push({
        id,
        name,
        timestamp: ts,
        receivedAt: ts + Math.floor(next() * 2000),
        userId: `u_${user}`,
        userEmail: null,
        userName: null,
        value,
        properties: { path: `/p/${user % 100}`, source: user % 3 === 0 ? 'mobile' : 'web' },
        tags: { plan },
        clientId: null,
      })
      if (name === QUERY.name) {
        truth.series[Math.floor((ts - FROM) / DAY)].count++
        truth.groups[plan] = (truth.groups[plan] ?? 0) + 1
        values.push(value)
        truth.stats.sum += value
      }
      if (plan === QUERY.plan) {
        truth.listTotal++
        newest.push({ ts, id })
        if (newest.length > 4 * QUERY.limit) newest = newestFirst(newest).slice(0, QUERY.limit)
      }
    }
    truth.events += chunk.length
    yield chunk
  }
  truth.values = Float64Array.from(values).sort()
  const v = truth.values
  truth.stats = {
    ...truth.stats,
    count: v.length,
    min: v[0],
    max: v[v.length - 1],
    percentiles: Object.fromEntries(QUERY.percentiles.map((p) => [p, nearestRank(v, p)])),
  }
  truth.listIds = newestFirst(newest)
    .slice(0, QUERY.limit)
    .map((e) => e.id)
}

const newestFirst = (rows: Array<{ ts: number; id: string }>) =>
  [...rows].sort((a, b) => b.ts - a.ts || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))

export function emptyTruth(): Truth {
  return {
    events: 0,
    series: Array.from({ length: 30 }, (_, i) => ({ start: FROM + i * DAY, count: 0 })),
    groups: {},
    values: new Float64Array(0),
    stats: { count: 0, sum: 0, min: 0, max: 0, percentiles: {} },
    listTotal: 0,
    listIds: [],
  }
}
