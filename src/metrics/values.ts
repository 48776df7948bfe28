/**
 * Current values: each metric over the window ending now, the window before it, and the change.
 * Served from a per-process cache at most `VALUE_CACHE_MS` old, dropped when the project's
 * definitions change or this process stores an event of the project (another instance's events
 * show within the cache's age).
 */
import type { CoreContext } from '../core/context'
import { perStore } from '../core/per-store'
import type { Storage } from '../storage'
import type { Format, Window } from './definition'
import type { Metric } from './evaluate'
import type { MetricSet } from './history'

export const VALUE_CACHE_MS = 60_000

export interface MetricValue {
  slug: string
  name: string
  format: Format
  window: Window | null
  value: number | null
  previousValue: number | null
  /** Percent change from `previousValue`, 2 decimals; `null` when the previous value is 0 or missing. */
  change: number | null
  computedAt: number
}

const caches = perStore(() => new Map<string, Map<string, MetricValue>>())

/** Forgets the project's cached values (its events or definitions changed). */
export function invalidateValues(storage: Storage, projectId: string): void {
  caches(storage).delete(projectId)
}

/** The values of `metrics` (all of the project's, or one), from the cache where fresh enough. */
export async function currentValues(
  ctx: CoreContext,
  set: MetricSet,
  metrics: Metric[],
  options: { fresh?: boolean } = {},
): Promise<MetricValue[]> {
  const cache = caches(ctx.storage)
  let project = cache.get(set.project.id)
  if (!project) {
    project = new Map()
    cache.set(set.project.id, project)
  }
  const now = ctx.clock.now()
  const isFresh = (v: MetricValue | undefined, m: Metric): v is MetricValue =>
    v !== undefined && now - v.computedAt < VALUE_CACHE_MS && v.computedAt >= set.changedAt(m)
  const evaluator = set.evaluator(ctx)
  return Promise.all(
    metrics.map(async (metric) => {
      const cached = project.get(metric.definition.id)
      if (!options.fresh && isFresh(cached, metric)) return cached
      // Events at this very millisecond count: the window ends just after now.
      const end = now + 1
      const [value, previousValue] = await Promise.all([
        evaluator.value(metric, end),
        evaluator.value(metric, end, 'previous'),
      ])
      const computed: MetricValue = {
        slug: metric.definition.slug,
        name: metric.definition.name,
        format: metric.spec.format,
        window: metric.spec.window,
        value,
        previousValue,
        change: percentChange(value, previousValue),
        computedAt: now,
      }
      project.set(metric.definition.id, computed)
      return computed
    }),
  )
}

export function percentChange(value: number | null, previous: number | null): number | null {
  if (value === null || previous === null || previous === 0) return null
  const change = ((value - previous) / Math.abs(previous)) * 100
  return Number.isFinite(change) ? Math.round(change * 100) / 100 : null
}
