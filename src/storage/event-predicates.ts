/**
 * Conditions on event fields and the aggregations business metrics need (issue 9). Every adapter
 * answers them in the store, with the same answers: these semantics are the contract.
 */
import type { EventField, EventFilter } from './events'

/** A JSON scalar an event field is compared with. */
export type Scalar = string | number | boolean | null

/** The field a predicate reads: the event's `value`, one property (`metadata.<key>`), or its `userId`. */
export type PredicateField = EventField | { kind: 'userId' }

/**
 * One condition (metric definition `filters`); a filter's `where` list is ANDed.
 *
 * The field's value is: `value` → the event's value (a number, or absent when null);
 * `property` → the own key of `properties` (any JSON: string, number, boolean, null, object,
 * array; absent when the key is missing or properties is null); `userId` → a string, or absent.
 *
 * - `eq v` (v a scalar): the field holds a scalar of the same JSON type equal to v (numbers by
 *   numeric value: 5 and 5.0 are equal; strings exactly, case-sensitively). `eq null` matches a
 *   field that is absent or JSON null. Objects and arrays equal nothing.
 * - `neq v`: exactly the events `eq v` does not match (absent fields included).
 * - `in [v, ...]` (1 to 100 scalars): `eq` any of them.
 * - `gt`, `gte`, `lt`, `lte` n (n a finite number): the field holds a JSON number that compares so.
 *   A string, boolean, null or absent field never matches ("500" is not > 400).
 * - A property key containing NUL names nothing: the field is absent.
 */
export type EventPredicate =
  | { field: PredicateField; op: 'eq' | 'neq'; value: Scalar }
  | { field: PredicateField; op: 'in'; value: Scalar[] }
  | { field: PredicateField; op: 'gt' | 'gte' | 'lt' | 'lte'; value: number }

/** The aggregations metric definitions add to the event store (`unique_users`, `latest`, MRR). */
export interface EventMetricAggregations {
  /**
   * How many distinct non-null `userId`s the matching events have; with `minEvents` (an integer
   * >= 1, default 1), only users with at least that many matching events count (repeat buyers:
   * `minEvents: 2`).
   */
  countDistinctUsers(input: { projectId: string; filter: EventFilter; minEvents?: number }): Promise<number>
  /**
   * How many distinct non-null `userId`s the events matching any of `filters` have (a user
   * matching several filters counts once; no filters: 0). Paying customers are the users with a
   * payment covering now, where each billing period covers a different time range.
   */
  countDistinctUsersInAny(input: { projectId: string; filters: EventFilter[] }): Promise<number>
  /**
   * The latest value of `field` among matching events where it is a number: the event with the
   * greatest timestamp, ties broken by the greatest id (string order). `null` when none.
   */
  latest(input: { projectId: string; filter: EventFilter; field: EventField }): Promise<number | null>
  /**
   * Per user: among that user's matching events where `field` is a number (events without a
   * userId are skipped), the latest one (greatest timestamp, then greatest id). Returns how many
   * users have one and the sum of those latest values (`null` when no user has one, and when the
   * sum is beyond the double range). MRR counts each subscriber's latest covering payment this way.
   */
  sumLatestPerUser(input: {
    projectId: string
    filter: EventFilter
    field: EventField
  }): Promise<{ users: number; sum: number | null }>
  /**
   * The timestamp of the project's earliest event, `undefined` without events. Metric history
   * counts the days before it as computed: they hold the value over no events.
   */
  firstTimestamp(input: { projectId: string }): Promise<number | undefined>
}

/**
 * `countDistinctUsers`' `minEvents`, checked (absent: 1). Every adapter calls this first, so each
 * refuses the same values (a fraction or Infinity would otherwise mean something different in
 * SQL, Lua and JS).
 */
export function minEventsOf(minEvents: number | undefined): number {
  const n = minEvents ?? 1
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`telltale: minEvents is an integer >= 1, not ${String(n)}`)
  return n
}

/** Nearest rank: ceil(p / 100 * n) within [1, n], `p * n` first. Every adapter's percentiles use it. */
export const nearestRank = (p: number, n: number): number => Math.min(n, Math.max(1, Math.ceil((p * n) / 100)))

/**
 * The least string greater than every string that starts with `prefix`, in code point order (the
 * byte order of UTF-8, which SQLite, `collate "C"` and ZRANGEBYLEX compare by): the prefix with its
 * last code point incremented (`user.` → `user/`). `undefined` when none exists (all U+10FFFF).
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = [...prefix]
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!
    if (last < 0x10ffff) {
      // Skip the surrogate range: those code points have no UTF-8 form.
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1
      return points.join('') + String.fromCodePoint(next)
    }
  }
  return undefined
}
