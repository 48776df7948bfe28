import type { CoreContext } from '../core/context'
import { validationError } from '../core/errors'
import { defineOperation } from '../core/operation'
import { localDayStarts } from '../core/time-zones'
import {
  countEventsInput,
  eventStatsInput,
  INTERVALS,
  type Interval,
  invalidRange,
  listEventsInput,
} from '../schemas/event-query'
import type { EventFilter, NumericSummary, StoredEvent } from '../storage'

/** Range used when a series is asked for without `from`. */
const DEFAULT_SPAN: Record<Interval, number> = {
  '1m': 3_600_000,
  '5m': 21_600_000,
  '1h': 86_400_000,
  '1d': 30 * 86_400_000,
}
/** Largest series one request may ask for. */
export const MAX_BUCKETS = 10_000
/**
 * Store-side bucket sizes for zoned days, largest first. Every UTC offset in use today is a
 * multiple of 15 minutes, so local days are unions of quarter hours; a few zones had odd offsets
 * after 1970 (Africa/Monrovia: -0:44:30 until 1972), whose days need finer buckets.
 */
const ZONED_BUCKETS = [900_000, 60_000, 1000]

export interface CountResult {
  total: number
  /** Every bucket in the range, ascending, empty ones as 0. */
  series?: Array<{ start: number; count: number }>
  groups?: Record<string, number>
}

/** Newest first, with the total matching the filter. */
export const listEvents = defineOperation({
  input: listEventsInput,
  scope: 'read',
  run: (ctx, input): Promise<{ events: StoredEvent[]; total: number }> => ctx.storage.events.list(input),
})

/** The count, optionally per time bucket (`interval`, zoned days with `timeZone`) and per tag value. */
export const countEvents = defineOperation({
  input: countEventsInput,
  scope: 'read',
  async run(ctx, query): Promise<CountResult> {
    const { projectId } = query
    if (!query.interval) {
      if (query.groupByTag === undefined)
        return { total: await ctx.storage.events.count({ projectId, filter: query.filter }) }
      // Two independent reads: concurrent where the store has several connections (Postgres).
      const [total, byTag] = await Promise.all([
        ctx.storage.events.count({ projectId, filter: query.filter }),
        groups(ctx, projectId, query.filter, query.groupByTag),
      ])
      return { total, groups: byTag }
    }
    const { from, to, buckets } = bucketBounds(ctx, query.filter, query.interval, query.timeZone)
    // Only events in [from, to) are counted: edge buckets may be partial, and `total` equals the
    // count of the same range without an interval.
    const filter = { ...query.filter, from, to }
    const size = query.timeZone
      ? (ZONED_BUCKETS.find((ms) => buckets.every((b) => b % ms === 0)) ?? 1)
      : INTERVALS[query.interval]
    const rows = await ctx.storage.events.countSeries({ projectId, filter, bucketMs: size })
    const series = buckets.slice(0, -1).map((start) => ({ start, count: 0 }))
    let day = 0
    for (const row of rows) {
      while (day < series.length - 1 && row.start >= buckets[day + 1]) day++
      series[day].count += row.count
    }
    const total = series.reduce((sum, b) => sum + b.count, 0)
    return query.groupByTag === undefined
      ? { total, series }
      : { total, series, groups: await groups(ctx, projectId, filter, query.groupByTag) }
  },
})

/** count/sum/avg/min/max and exact nearest-rank p50/p95/p99 of `value` or a numeric property. */
export const eventStats = defineOperation({
  input: eventStatsInput,
  scope: 'read',
  run: (ctx, input): Promise<NumericSummary> => ctx.storage.events.summarize({ ...input, percentiles: [50, 95, 99] }),
})

async function groups(
  ctx: CoreContext,
  projectId: string,
  filter: EventFilter,
  tagKey: string,
): Promise<Record<string, number>> {
  const rows = await ctx.storage.events.countByTag({ projectId, filter, tagKey })
  // Object.fromEntries defines own keys, so a tag value `__proto__` is a group like any other.
  return Object.fromEntries(rows.map((r) => [r.value, r.count]))
}

/**
 * Bucket boundaries covering `[from, to)`: n + 1 ascending instants for n buckets. UTC buckets
 * align to multiples of the interval; zoned day buckets start at local midnight.
 */
function bucketBounds(
  ctx: CoreContext,
  filter: EventFilter,
  interval: Interval,
  timeZone: string | undefined,
): { from: number; to: number; buckets: number[] } {
  const size = INTERVALS[interval]
  const to = filter.to ?? ctx.clock.now() + 1
  const from = filter.from ?? to - DEFAULT_SPAN[interval]
  if (from >= to) throw validationError([invalidRange()])
  if (Math.ceil((to - from) / size) + 1 > MAX_BUCKETS) {
    throw validationError([
      {
        rule: 'invalid',
        message: `The range holds more than ${MAX_BUCKETS} ${interval} buckets; narrow it or use a larger interval.`,
        path: ['range'],
      },
    ])
  }
  if (timeZone) return { from, to, buckets: localDayStarts(from, to, timeZone) }
  const bounds: number[] = []
  for (let start = Math.floor(from / size) * size; start < to; start += size) bounds.push(start)
  bounds.push(bounds[bounds.length - 1] + size)
  return { from, to, buckets: bounds }
}
