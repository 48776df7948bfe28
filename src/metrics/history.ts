/**
 * Daily history: one stored snapshot per metric and completed local day, each the metric's value
 * for the window ending at the end of that day. Snapshots are written by the history job (each
 * completed day, and days a late event made dirty), by a recalculation, and by a read that finds
 * a day missing; today is always computed live (its window has not ended).
 */
import type { CoreContext } from '../core/context'
import type { MetricSnapshot, Project } from '../storage'
import { addDays, dayEnd, dayRange, localDay, windowReachDays } from './calendar'
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

  /** How many days after a changed day the metric's value can change (`Infinity`: every later day). */
  reachDays(metric: Metric): number {
    return Math.max(
      ...this.closure(metric)
        .filter((m) => !m.formula)
        .map((m) => (m.spec.aggregation && POINT_IN_TIME.has(m.spec.aggregation) ? HISTORY_MAX_DAYS : windowReachDays(m.spec.window))),
      0,
    )
  }
}

/** Computes and stores the snapshots of each metric for its days (completed days only); returns them. */
export async function computeSnapshots(ctx: CoreContext, set: MetricSet, work: Array<{ metric: Metric; days: string[] }>): Promise<MetricSnapshot[]> {
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
      for (const [k, day] of chunk.entries()) snapshots.push({ metricId: metric.definition.id, day, value: values[k], computedAt })
    }
    if (snapshots.length > 0) await ctx.storage.metrics.putSnapshots({ projectId: set.project.id, snapshots })
    written.push(...snapshots)
  }
  return written
}

/**
 * One point per local day from `fromDay` to `toDay` (days after today are left out): stored
 * snapshots where they are current, the missing or outdated completed days computed and stored,
 * today computed live.
 */
export async function readHistory(ctx: CoreContext, set: MetricSet, metric: Metric, fromDay: string, toDay: string): Promise<HistoryPoint[]> {
  const tz = set.project.timezone
  const now = ctx.clock.now()
  const todayDay = localDay(now, tz)
  const lastDay = toDay < todayDay ? toDay : todayDay
  if (fromDay > lastDay) return []
  const lastStored = lastDay < todayDay ? lastDay : addDays(todayDay, -1)
  const values = new Map<string, number | null>()
  if (fromDay <= lastStored) {
    const changedAt = set.changedAt(metric)
    const stored = await ctx.storage.metrics.listSnapshots({ projectId: set.project.id, metricId: metric.definition.id, fromDay, toDay: lastStored })
    for (const s of stored) if (s.computedAt >= changedAt) values.set(s.day, s.value)
    const missing = dayRange(fromDay, lastStored).filter((day) => !values.has(day))
    if (missing.length > 0) for (const s of await computeSnapshots(ctx, set, [{ metric, days: missing }])) values.set(s.day, s.value)
  }
  if (lastDay === todayDay) values.set(todayDay, await set.evaluator(ctx).value(metric, now + 1))
  return dayRange(fromDay, lastDay).map((date) => ({ date, value: values.get(date) ?? null }))
}
