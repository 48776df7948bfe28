import type { EventField, EventFilter, NumericSummary, StoredEvent } from '../storage'
import type { CoreContext } from './context'
import { TelltaleError } from './errors'
import { nextLocalDay, startOfLocalDay } from './time-zones'

export const INTERVALS = { '1m': 60_000, '5m': 300_000, '1h': 3_600_000, '1d': 86_400_000 } as const
export type Interval = keyof typeof INTERVALS

/** Range used when a series is asked for without `from`. */
const DEFAULT_SPAN: Record<Interval, number> = { '1m': 3_600_000, '5m': 21_600_000, '1h': 86_400_000, '1d': 30 * 86_400_000 }
/** Largest series one request may ask for. */
export const MAX_BUCKETS = 10_000
/** Every current UTC offset is a multiple of 15 minutes, so local days are unions of these. */
const QUARTER_HOUR = 900_000

export interface CountQuery {
  projectId: string
  filter: EventFilter
  interval?: Interval
  /** IANA zone: day buckets start at local midnight (only with `interval: '1d'`). */
  timeZone?: string
  /** Count per value of this tag. */
  groupByTag?: string
}

export interface CountResult {
  total: number
  /** Every bucket in the range, ascending, empty ones as 0. */
  series?: Array<{ start: number; count: number }>
  groups?: Record<string, number>
}

export async function listEvents(ctx: CoreContext, input: { projectId: string; filter: EventFilter; limit: number; offset: number }): Promise<{ events: StoredEvent[]; total: number }> {
  return ctx.storage.events.list(input)
}

export async function countEvents(ctx: CoreContext, query: CountQuery): Promise<CountResult> {
  const { projectId } = query
  if (!query.interval) {
    if (query.groupByTag === undefined) return { total: await ctx.storage.events.count({ projectId, filter: query.filter }) }
    // Two independent reads: concurrent where the store has several connections (Postgres).
    const [total, byTag] = await Promise.all([ctx.storage.events.count({ projectId, filter: query.filter }), groups(ctx, query, query.filter)])
    return { total, groups: byTag }
  }
  const { from, to, buckets } = bucketBounds(ctx, query)
  // Only events in [from, to) are counted: edge buckets may be partial, and `total` equals the
  // count of the same range without an interval.
  const filter = { ...query.filter, from, to }
  const size = query.timeZone ? QUARTER_HOUR : INTERVALS[query.interval]
  const rows = await ctx.storage.events.countSeries({ projectId, filter, bucketMs: size })
  const series = buckets.slice(0, -1).map((start) => ({ start, count: 0 }))
  let day = 0
  for (const row of rows) {
    while (day < series.length - 1 && row.start >= buckets[day + 1]) day++
    series[day].count += row.count
  }
  const total = series.reduce((sum, b) => sum + b.count, 0)
  return query.groupByTag === undefined ? { total, series } : { total, series, groups: await groups(ctx, query, filter) }
}

export async function eventStats(ctx: CoreContext, input: { projectId: string; filter: EventFilter; field: EventField }): Promise<NumericSummary> {
  return ctx.storage.events.summarize({ ...input, percentiles: [50, 95, 99] })
}

async function groups(ctx: CoreContext, query: CountQuery, filter: EventFilter): Promise<Record<string, number>> {
  const rows = await ctx.storage.events.countByTag({ projectId: query.projectId, filter, tagKey: query.groupByTag! })
  return Object.fromEntries(rows.map((r) => [r.value, r.count]))
}

/**
 * Bucket boundaries covering `[from, to)`: n + 1 ascending instants for n buckets. UTC buckets
 * align to multiples of the interval; zoned day buckets start at local midnight.
 */
function bucketBounds(ctx: CoreContext, query: CountQuery): { from: number; to: number; buckets: number[] } {
  const interval = query.interval!
  const size = INTERVALS[interval]
  const to = query.filter.to ?? ctx.clock.now() + 1
  const from = query.filter.from ?? to - DEFAULT_SPAN[interval]
  if (from >= to) throw new TelltaleError('validation', 'from must be before to', { issues: [{ rule: 'invalid', message: 'The from timestamp must be before the to timestamp.', path: ['range'] }] })
  if (Math.ceil((to - from) / size) + 1 > MAX_BUCKETS) {
    throw new TelltaleError('validation', 'range too large', { issues: [{ rule: 'invalid', message: `The range holds more than ${MAX_BUCKETS} ${interval} buckets; narrow it or use a larger interval.`, path: ['range'] }] })
  }
  const bounds: number[] = []
  if (query.timeZone) {
    for (let start = startOfLocalDay(from, query.timeZone); start < to; start = nextLocalDay(start, query.timeZone)) bounds.push(start)
    bounds.push(nextLocalDay(bounds[bounds.length - 1], query.timeZone))
  } else {
    for (let start = Math.floor(from / size) * size; start < to; start += size) bounds.push(start)
    bounds.push(bounds[bounds.length - 1] + size)
  }
  return { from, to, buckets: bounds }
}
