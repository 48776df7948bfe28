/**
 * Daily history: one stored snapshot per metric and completed local day, each the metric's value
 * for the window ending at the end of that day. Snapshots are written by the history job (each
 * completed day, and days a late event made dirty), by a recalculation, and by a read that finds
 * a day missing; today is always computed live (its window has not ended).
 */
import type { CoreContext } from '../core/context'
import type { MetricSnapshot, Project } from '../storage'
import { addDays, dayEnd, dayRange, localDay, minDay, windowReachDays } from './calendar'
import { POINT_IN_TIME } from './definition'
import { Evaluator, type Metric } from './evaluate'
import { formulaSlugs } from './formula'

/** The longest history a read or a recalculation covers. */
export const HISTORY_MAX_DAYS = 366
/** Days computed at once: concurrent reads where the store has several connections (Postgres). */
const CONCURRENCY = 8

export interface HistoryPoint {
  date: string
  value: number | null
}

/** Everything a history computation needs about the project's metrics. */
export class MetricSet {
  readonly bySlug: Map<string, Metric>
  constructor(
    readonly project: Project,
    readonly metrics: Metric[],
  ) {
    this.bySlug = new Map(metrics.map((m) => [m.definition.slug, m]))
  }

  evaluator(ctx: CoreContext): Evaluator {
    return new Evaluator(ctx, this.project.id, this.project.timezone, this.metrics)
  }

  /** The metric and every metric its formula reaches, transitively (each once). */
  closure(metric: Metric): Metric[] {
    const seen = new Map<string, Metric>()
    const visit = (m: Metric) => {
      if (seen.has(m.definition.id)) return
      seen.set(m.definition.id, m)
      for (const slug of m.formula ? formulaSlugs(m.formula) : []) {
        const input = this.bySlug.get(slug)
        if (input) visit(input)
      }
    }
    visit(metric)
    return [...seen.values()]
  }

  /** Formulas that use `metric`, directly or through other formulas. */
  dependents(metric: Metric): Metric[] {
    return this.metrics.filter((m) => m !== metric && this.closure(m).includes(metric))
  }

  /** A snapshot computed before this moment predates the definition (or one it reads): recompute it. */
  changedAt(metric: Metric): number {
    return Math.max(...this.closure(metric).map((m) => m.definition.updatedAt))
  }

  /**
   * The cost of one day of these metrics: the aggregate metrics they reach, each read once per
   * day (the evaluator computes a metric once per moment, however many formulas use it).
   */
  readsPerDay(metrics: Metric[]): number {
    const aggregates = new Set<string>()
    for (const metric of metrics)
      for (const m of this.closure(metric)) if (!m.formula && m.spec.kind !== 'formula') aggregates.add(m.definition.id)
    return Math.max(aggregates.size, 1)
  }

  /** How many days after a changed day the metric's value can change (`Infinity`: every later day). */
  reachDays(metric: Metric): number {
    return Math.max(
      ...this.closure(metric)
        .filter((m) => !m.formula)
        .map((m) =>
          m.spec.aggregation && POINT_IN_TIME.has(m.spec.aggregation)
            ? HISTORY_MAX_DAYS
            : windowReachDays(m.spec.window),
        ),
      0,
    )
  }
}

/** Computes and stores the snapshots of each metric for its days (completed days only); returns them. */
export async function computeSnapshots(
  ctx: CoreContext,
  set: MetricSet,
  work: Array<{ metric: Metric; days: string[] }>,
): Promise<MetricSnapshot[]> {
  const evaluator = set.evaluator(ctx)
  const tz = set.project.timezone
  // When the reads begin, not when they end: a late event stored meanwhile is marked dirty later
  // than this, so the recomputation that sees it writes a later `computedAt` and wins.
  const computedAt = ctx.clock.now()
  const written: MetricSnapshot[] = []
  for (const { metric, days } of work) {
    const snapshots: MetricSnapshot[] = []
    for (let i = 0; i < days.length; i += CONCURRENCY) {
      const chunk = days.slice(i, i + CONCURRENCY)
      const values = await Promise.all(chunk.map((day) => evaluator.value(metric, dayEnd(day, tz))))
      for (const [k, day] of chunk.entries())
        snapshots.push({ metricId: metric.definition.id, day, value: values[k], computedAt })
    }
    if (snapshots.length > 0) await ctx.storage.metrics.putSnapshots({ projectId: set.project.id, snapshots })
    written.push(...snapshots)
  }
  return written
}

/**
 * Uncomputed metric-days (days × the aggregates they read) a request computes itself. More is
 * queued for the history job (`queueHistoryWork`) and answered 202: a year of one metric, and
 * every default range, still answer at once.
 */
export const INLINE_METRIC_DAYS = 400

/** Work a request left to the history job: the days, and what they cost. */
export interface PendingHistory {
  from: string
  to: string
  metricDays: number
}

/**
 * One point per local day from `fromDay` to `toDay` (days after today are left out): stored
 * snapshots where they are current, the missing or outdated completed days computed and stored,
 * today computed live. When the missing days cost more than `INLINE_METRIC_DAYS`, nothing is
 * computed: the work is queued for the history job and `pending` says so (no points).
 */
export async function readHistory(
  ctx: CoreContext,
  set: MetricSet,
  metric: Metric,
  fromDay: string,
  toDay: string,
): Promise<{ points: HistoryPoint[]; pending?: PendingHistory }> {
  const tz = set.project.timezone
  const now = ctx.clock.now()
  const todayDay = localDay(now, tz)
  const lastDay = toDay < todayDay ? toDay : todayDay
  if (fromDay > lastDay) return { points: [] }
  const lastStored = lastDay < todayDay ? lastDay : addDays(todayDay, -1)
  const values = new Map<string, number | null>()
  if (fromDay <= lastStored) {
    // Days before the project's first event hold the value over no events: computed once, not stored.
    const firstDay = await firstEventDay(ctx, set)
    const lastEmpty = firstDay === undefined ? lastStored : minDay(addDays(firstDay, -1), lastStored)
    if (fromDay <= lastEmpty) {
      const empty = await set.evaluator(ctx).value(metric, dayEnd(lastEmpty, tz))
      for (const day of dayRange(fromDay, lastEmpty)) values.set(day, empty)
    }
    const changedAt = set.changedAt(metric)
    const storedFrom = fromDay > lastEmpty ? fromDay : addDays(lastEmpty, 1)
    const stored =
      storedFrom > lastStored
        ? []
        : await ctx.storage.metrics.listSnapshots({
            projectId: set.project.id,
            metricId: metric.definition.id,
            fromDay: storedFrom,
            toDay: lastStored,
          })
    for (const s of stored) if (s.computedAt >= changedAt) values.set(s.day, s.value)
    const missing = dayRange(fromDay, lastStored).filter((day) => !values.has(day))
    const metricDays = missing.length * set.readsPerDay([metric])
    if (metricDays > INLINE_METRIC_DAYS) {
      await queueHistoryWork(ctx, set.project.id, {
        kind: 'fill',
        metricId: metric.definition.id,
        from: missing[0],
        to: missing[missing.length - 1],
        requestedAt: 0,
      })
      return { points: [], pending: { from: missing[0], to: missing[missing.length - 1], metricDays } }
    }
    if (missing.length > 0)
      for (const s of await computeSnapshots(ctx, set, [{ metric, days: missing }])) values.set(s.day, s.value)
  }
  if (lastDay === todayDay) values.set(todayDay, await set.evaluator(ctx).value(metric, now + 1))
  return { points: dayRange(fromDay, lastDay).map((date) => ({ date, value: values.get(date) ?? null })) }
}

/**
 * The local day of the project's first event, `undefined` without events. Days before it hold the
 * value over no events: they need no computing per day, and no snapshots.
 */
export async function firstEventDay(ctx: CoreContext, set: MetricSet): Promise<string | undefined> {
  const first = await ctx.storage.events.firstTimestamp({ projectId: set.project.id })
  return first === undefined ? undefined : localDay(first, set.project.timezone)
}

/** The days of `days` from the project's first event on (none without events). */
export function daysWithEvents(days: string[], firstDay: string | undefined): string[] {
  return firstDay === undefined ? [] : days.filter((day) => day >= firstDay)
}

/**
 * Work queued for the history job, one job per request in the store (`jobs`, so every instance
 * sees it): `fill` computes the metric's days that have no current snapshot; `recalc` recomputes
 * the metric's and its formulas' days stored before `requestedAt`.
 */
export interface HistoryWork {
  kind: 'fill' | 'recalc'
  metricId: string
  from: string
  to: string
  requestedAt: number
}

/** Keys of queued history work: `metrics:pending:{kind}:{metricId}:{from}:{to}:{requestedAt}`. */
export const HISTORY_WORK_PREFIX = 'metrics:pending:'

export async function queueHistoryWork(ctx: CoreContext, projectId: string, work: HistoryWork): Promise<void> {
  const key = `${HISTORY_WORK_PREFIX}${work.kind}:${work.metricId}:${work.from}:${work.to}:${work.requestedAt}`
  await ctx.storage.jobs.ensure({ projectId, key, runAt: ctx.clock.now() })
}

export function parseHistoryWork(key: string): HistoryWork | undefined {
  const [kind, metricId, from, to, requestedAt] = key.slice(HISTORY_WORK_PREFIX.length).split(':')
  if ((kind !== 'fill' && kind !== 'recalc') || !metricId || !from || !to || !/^\d+$/.test(requestedAt ?? ''))
    return undefined
  return { kind, metricId, from, to, requestedAt: Number(requestedAt) }
}

/**
 * Runs queued work of the project, up to `budget` metric-days; returns the days computed. A
 * request's job is removed once none of its days is left; snapshots written count as progress,
 * so a large request spreads over several ticks.
 */
export async function runQueuedHistoryWork(
  ctx: CoreContext,
  set: MetricSet,
  days: { yesterday: string; firstDay: string | undefined },
  budget: number,
): Promise<number> {
  const projectId = set.project.id
  const { yesterday, firstDay } = days
  let computed = 0
  for (const job of await ctx.storage.jobs.list({ projectId, keyPrefix: HISTORY_WORK_PREFIX })) {
    if (budget <= 0) break
    const work = parseHistoryWork(job.key)
    const metric = work && set.metrics.find((m) => m.definition.id === work.metricId)
    const last = work && (work.to < yesterday ? work.to : yesterday)
    if (!work || !metric || !last || work.from > last) {
      await ctx.storage.jobs.delete({ projectId, key: job.key })
      continue
    }
    const batch: Array<{ metric: Metric; days: string[] }> = []
    let left = 0
    for (const target of work.kind === 'recalc' ? [metric, ...set.dependents(metric)] : [metric]) {
      const since = Math.max(set.changedAt(target), work.requestedAt)
      const stored = await ctx.storage.metrics.listSnapshots({
        projectId,
        metricId: target.definition.id,
        fromDay: work.from,
        toDay: last,
      })
      const current = new Set(stored.filter((s) => s.computedAt >= since).map((s) => s.day))
      const days = daysWithEvents(dayRange(work.from, last), firstDay).filter((day) => !current.has(day))
      const cost = set.readsPerDay([target])
      const take = Math.max(0, Math.min(days.length, Math.floor(budget / cost)))
      if (take > 0) batch.push({ metric: target, days: days.slice(0, take) })
      budget -= take * cost
      left += days.length - take
    }
    computed += (await computeSnapshots(ctx, set, batch)).length
    if (left === 0) await ctx.storage.jobs.delete({ projectId, key: job.key })
  }
  return computed
}
