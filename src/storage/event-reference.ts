import { matchesPredicate } from './event-predicate-match'
import { nearestRank } from './event-predicates'
import type { EventField, EventFilter, NumericSummary, StoredEvent } from './events'

/**
 * The reference answers of the event contract, computed in the process over stored events: the kv
 * adapter answers with them (a key-value store cannot aggregate), and they state in code what
 * SQL's GROUP BY and Redis' scripts must agree with. Beside `event-predicate-match.ts`, the same
 * for `where` predicates.
 */

/** The matcher of an empty filter (callers skip filtering when they get it). */
export const everything = () => true

/** The filter as one predicate (every field narrows). */
export function matcher(filter: EventFilter): (e: StoredEvent) => boolean {
  const tests: Array<(e: StoredEvent) => boolean> = []
  if (filter.names) {
    const names = new Set(filter.names)
    tests.push((e) => names.has(e.name))
  }
  // Code point order prefix = a literal, case-sensitive startsWith.
  if (filter.namePrefix) {
    const prefix = filter.namePrefix
    tests.push((e) => e.name.startsWith(prefix))
  }
  if (filter.from !== undefined) {
    const from = filter.from
    tests.push((e) => e.timestamp >= from)
  }
  if (filter.to !== undefined) {
    const to = filter.to
    tests.push((e) => e.timestamp < to)
  }
  if (filter.userId !== undefined) {
    const userId = filter.userId
    tests.push((e) => e.userId === userId)
  }
  const pairs = Object.entries(filter.tags ?? {})
  // A key containing NUL names nothing (as in SQL, where no row can have it).
  if (pairs.some(([key]) => key.includes('\u0000'))) return () => false
  if (pairs.length > 0)
    tests.push(
      (e) => e.tags !== null && pairs.every(([key, value]) => Object.hasOwn(e.tags!, key) && e.tags![key] === value),
    )
  for (const predicate of filter.where ?? []) tests.push((e) => matchesPredicate(e, predicate))
  if (tests.length === 0) return everything
  return (e) => tests.every((test) => test(e))
}

/** The field's number, or `undefined` when absent or not a JSON number. */
export function numberOf(field: EventField): (e: StoredEvent) => number | undefined {
  if (field.kind === 'value') return (e) => (typeof e.value === 'number' ? e.value : undefined)
  const key = field.key
  if (key.includes('\u0000')) return () => undefined
  return (e) => {
    const x = e.properties !== null && Object.hasOwn(e.properties, key) ? e.properties[key] : undefined
    return typeof x === 'number' ? x : undefined
  }
}

/** 2^-64: scales a sum of doubles out of the overflow range, exactly (a power of two). */
const SCALE = 2 ** -64

/**
 * The sum of `values`, `null` beyond the double range. An intermediate overflow need not mean the
 * total is out of range (1e308 + 1e308 - 1e308): then the values are added scaled down, and the
 * sum reported only if it fits once scaled back.
 */
export function exactSum(values: number[]): number | null {
  let sum = 0
  for (const x of values) sum += x
  if (Number.isFinite(sum)) return sum
  let scaled = 0
  for (const x of values) scaled += x * SCALE
  return Number.isFinite(scaled / SCALE) ? scaled / SCALE : null
}

/** The summary of no values: a count of 0 and nulls. */
export const emptySummary = (percentiles: number[]): NumericSummary => ({
  count: 0,
  sum: null,
  avg: null,
  min: null,
  max: null,
  percentiles: Object.fromEntries(percentiles.map((p) => [p, null])),
})

export function summary(values: number[], percentiles: number[]): NumericSummary {
  const n = values.length
  if (n === 0) return emptySummary(percentiles)
  let sum = 0
  let min = values[0]
  let max = values[0]
  for (const x of values) {
    sum += x
    if (x < min) min = x
    if (x > max) max = x
  }
  const total = Number.isFinite(sum) ? sum : exactSum(values)
  let avg: number | null = sum / n
  if (!Number.isFinite(sum)) {
    // The average of values whose sum is out of range still exists: the sum of each value / n.
    let mean = 0
    for (const x of values) mean += x / n
    avg = total !== null ? total / n : Number.isFinite(mean) ? mean : null
  }
  const sorted = Float64Array.from(values).sort()
  return {
    count: n,
    sum: total,
    avg,
    min,
    max,
    percentiles: Object.fromEntries(percentiles.map((p) => [p, sorted[nearestRank(p, n) - 1]])),
  }
}
