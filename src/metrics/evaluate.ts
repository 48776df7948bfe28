/**
 * A metric's value at a moment, from the store's aggregations (never by loading events here).
 * One `Evaluator` serves one read (a values list, a history, a recalculation): it memoizes each
 * (metric, moment) so formulas share the values of the metrics they name.
 */
import type { CoreContext } from '../core/context'
import { type Turns, turnsOf } from '../core/turns'
import type { EventFilter, EventPredicate, MetricDefinition, Scalar } from '../storage'
import { coverageStart, windowStart } from './calendar'
import type { MetricFilter, MetricSpec, Window } from './definition'
import { evaluateFormula, type Formula, formulaSlugs, parseFormula } from './formula'

const DAY_MS = 86_400_000
/** A point-in-time metric's previous value is its value this long before. */
export const POINT_IN_TIME_LOOKBACK_MS = 30 * DAY_MS

export interface Metric {
  definition: MetricDefinition
  spec: MetricSpec
  /** Parsed once per read for formula metrics. */
  formula?: Formula
}

export const toMetric = (definition: MetricDefinition): Metric => {
  const spec = definition.spec as unknown as MetricSpec
  return { definition, spec, formula: spec.kind === 'formula' ? parseStored(spec.formula) : undefined }
}

/** The slugs a stored formula definition names; `undefined` for other definitions and formulas that no longer parse. */
export function storedFormulaSlugs(definition: MetricDefinition): string[] | undefined {
  const spec = definition.spec as unknown as MetricSpec
  const formula = spec.kind === 'formula' ? parseStored(spec.formula) : undefined
  return formula ? formulaSlugs(formula) : undefined
}

/** A stored formula was checked when saved; one that no longer parses reads as no value, not a 500. */
function parseStored(text: string | null): Formula | undefined {
  try {
    return text ? parseFormula(text) : undefined
  } catch {
    return undefined
  }
}

/** Which window a value is over: the one ending at the moment, or the one just before it. */
export type Period = 'current' | 'previous'

export class Evaluator {
  private readonly memo = new Map<string, Promise<number | null>>()
  private readonly bySlug: Map<string, Metric>
  /** One store read per event-loop turn on SQLite and kv, so long history holds no one up. */
  private readonly turns: Turns

  constructor(
    private readonly ctx: CoreContext,
    private readonly projectId: string,
    private readonly timeZone: string,
    metrics: Metric[],
  ) {
    this.bySlug = new Map(metrics.map((m) => [m.definition.slug, m]))
    this.turns = turnsOf(ctx.storage)
  }

  /**
   * The value of `metric` for the window ending at `end` (exclusive), or for the window of the
   * same length just before it (`previous`). Point-in-time metrics: at `end`, or 30 days earlier.
   * Formulas combine the values of their metrics for the same period.
   */
  value(
    metric: Metric,
    end: number,
    period: Period = 'current',
    path: ReadonlySet<string> = new Set(),
  ): Promise<number | null> {
    // Saves refuse cycles; two concurrent updates could still make one, which reads as no value
    // rather than a promise that waits for itself.
    if (path.has(metric.definition.id)) return Promise.resolve(null)
    const key = `${metric.definition.id}|${end}|${period}`
    let found = this.memo.get(key)
    if (!found) {
      found = this.compute(metric, end, period, new Set([...path, metric.definition.id]))
      this.memo.set(key, found)
    }
    return found
  }

  private async compute(
    metric: Metric,
    end: number,
    period: Period,
    path: ReadonlySet<string>,
  ): Promise<number | null> {
    const { spec } = metric
    if (spec.kind === 'formula' && !metric.formula) return null
    if (metric.formula) {
      const formula = metric.formula
      const names = new Map<string, number | null>()
      for (const slug of formulaSlugs(formula)) {
        const input = this.bySlug.get(slug)
        names.set(slug, input ? await this.value(input, end, period, path) : null)
      }
      return tidy(evaluateFormula(formula, (slug) => names.get(slug) ?? null))
    }
    const start = windowStart(spec.window, end, this.timeZone)
    if (start === undefined)
      return tidy(await this.aggregate(spec, undefined, period === 'current' ? end : end - POINT_IN_TIME_LOOKBACK_MS))
    if (period === 'current') return tidy(await this.aggregate(spec, start, end))
    const previous = previousWindow(spec.window, start, end, this.timeZone)
    return tidy(await this.aggregate(spec, previous.from, previous.to))
  }

  /** The aggregation over events in `[from, to)`; point-in-time ones at `to`, in a turn of its own. */
  private aggregate(spec: MetricSpec, from: number | undefined, to: number): Promise<number | null> {
    return this.turns.run(() => this.read(spec, from, to))
  }

  private async read(spec: MetricSpec, from: number | undefined, to: number): Promise<number | null> {
    const events = this.ctx.storage.events
    const projectId = this.projectId
    const filter = baseFilter(spec, from, to)
    const field =
      spec.field === null || spec.field === 'value'
        ? ({ kind: 'value' } as const)
        : ({ kind: 'property', key: spec.field.slice('metadata.'.length) } as const)
    switch (spec.aggregation) {
      case 'count':
        return events.count({ projectId, filter })
      case 'unique_users':
        return events.countDistinctUsers({ projectId, filter })
      case 'repeat_users':
        return events.countDistinctUsers({ projectId, filter, minEvents: 2 })
      case 'latest':
        return events.latest({ projectId, filter, field })
      case 'sum': {
        const s = await events.summarize({ projectId, filter, field, percentiles: [] })
        return s.count === 0 ? 0 : s.sum
      }
      case 'avg':
      case 'min':
      case 'max': {
        const s = await events.summarize({ projectId, filter, field, percentiles: [] })
        return s[spec.aggregation]
      }
      case 'p50':
      case 'p95':
      case 'p99': {
        const p = Number(spec.aggregation.slice(1))
        return (await events.summarize({ projectId, filter, field, percentiles: [p] })).percentiles[p]
      }
      case 'mrr': {
        let total = 0
        for (const period of BILLING_PERIODS) {
          const { sum } = await events.sumLatestPerUser({
            projectId,
            filter: coveringFilter(filter, period, to, this.timeZone),
            field,
          })
          if (sum !== null) total += sum / period.months
        }
        return total
      }
      case 'subscribers':
        return events.countDistinctUsersInAny({
          projectId,
          filters: BILLING_PERIODS.map((period) => coveringFilter(filter, period, to, this.timeZone)),
        })
      default:
        return null
    }
  }
}

/**
 * The window a `previous_value` is over: rolling windows (`7d`, `30d`) the same length just before;
 * calendar windows (`day`, `month`) the previous day or month from its start, for the same length
 * of time (capped at its end): at noon, yesterday from midnight to noon.
 */
export function previousWindow(
  window: Window | null,
  start: number,
  end: number,
  timeZone: string,
): { from: number; to: number } {
  if (window !== 'day' && window !== 'month') return { from: start - (end - start), to: start }
  const from = windowStart(window, start, timeZone)!
  return { from, to: Math.min(from + (end - start), start) }
}

/**
 * The billing periods a subscription payment's `metadata.period` names. A payment counts for the
 * `months` after it, divided by `months`; a payment without a period (or with any other value) is
 * monthly.
 */
const BILLING_PERIODS = [
  { months: 1, where: [neqPeriod('quarterly'), neqPeriod('yearly')] },
  { months: 3, where: [eqPeriod('quarterly')] },
  { months: 12, where: [eqPeriod('yearly')] },
]

function eqPeriod(value: string): EventPredicate {
  return { field: { kind: 'property', key: 'period' }, op: 'eq', value }
}
function neqPeriod(value: string): EventPredicate {
  return { field: { kind: 'property', key: 'period' }, op: 'neq', value }
}

/** Payments of one period made before `at` whose coverage lasts until `at` or later (see `coverageEnd`). */
function coveringFilter(
  filter: EventFilter,
  period: (typeof BILLING_PERIODS)[number],
  at: number,
  timeZone: string,
): EventFilter {
  return {
    ...filter,
    from: coverageStart(at, period.months, timeZone),
    to: at,
    where: [...(filter.where ?? []), ...period.where],
  }
}

function baseFilter(spec: MetricSpec, from: number | undefined, to: number): EventFilter {
  const filter: EventFilter = { to }
  if (from !== undefined) filter.from = from
  if (spec.event !== null) filter.names = Array.isArray(spec.event) ? spec.event : [spec.event]
  if (spec.filters && spec.filters.length > 0) filter.where = spec.filters.map(toPredicate)
  return filter
}

export function toPredicate(filter: MetricFilter): EventPredicate {
  const field =
    filter.field === 'value'
      ? ({ kind: 'value' } as const)
      : filter.field === 'user_id'
        ? ({ kind: 'userId' } as const)
        : ({ kind: 'property', key: filter.field.slice('metadata.'.length) } as const)
  return { field, op: filter.op, value: filter.value } as EventPredicate & { value: Scalar | Scalar[] }
}

/** Drops float noise (0.1 + 0.2 → 0.3) as the Flux stats do: 12 significant digits. */
export const tidy = (value: number | null): number | null =>
  value === null || !Number.isFinite(value) ? null : Number(value.toPrecision(12))
