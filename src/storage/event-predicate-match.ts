/**
 * `EventPredicate` evaluated on one event, in JS: the reference the kv adapter filters with, and
 * the one the SQL and Redis adapters must answer like (semantics on `EventPredicate`).
 */
import type { EventPredicate, PredicateField, Scalar } from './event-predicates'
import type { StoredEvent } from './events'

/** What a predicate reads of an event (a stored or a new one). */
type Readable = Pick<StoredEvent, 'value' | 'userId' | 'properties'>

/** The field's JSON value; `undefined` when absent (null value, missing key, NUL in the key). */
export function predicateFieldValue(event: Readable, field: PredicateField): unknown {
  if (field.kind === 'value') return event.value ?? undefined
  if (field.kind === 'userId') return event.userId ?? undefined
  const key = field.key
  if (key.includes('\u0000') || event.properties === null || !Object.hasOwn(event.properties, key)) return undefined
  return event.properties[key]
}

/**
 * `x` (a field's value, `undefined` when absent) equals the scalar `v`: the same JSON type and
 * value. `null` matches absent or JSON null; a non-finite number matches nothing (no JSON value is one).
 */
export function scalarEquals(x: unknown, v: Scalar): boolean {
  if (v === null) return x === undefined || x === null
  if (typeof v === 'number') return Number.isFinite(v) && typeof x === 'number' && x === v
  return typeof x === typeof v && x === v
}

/** Whether `event` satisfies `predicate`. */
export function matchesPredicate(event: Readable, predicate: EventPredicate): boolean {
  const x = predicateFieldValue(event, predicate.field)
  switch (predicate.op) {
    case 'eq':
      return scalarEquals(x, predicate.value)
    case 'neq':
      return !scalarEquals(x, predicate.value)
    case 'in':
      return predicate.value.some((v) => scalarEquals(x, v))
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return compares(x, predicate.op, predicate.value)
    default:
      throw new Error(`telltale: unknown predicate op ${JSON.stringify((predicate as { op: unknown }).op)}`)
  }
}

/** `x` is a JSON number that compares so with `n`; a non-finite `n` matches nothing. */
function compares(x: unknown, op: 'gt' | 'gte' | 'lt' | 'lte', n: number): boolean {
  if (typeof x !== 'number' || typeof n !== 'number' || !Number.isFinite(n)) return false
  return op === 'gt' ? x > n : op === 'gte' ? x >= n : op === 'lt' ? x < n : x <= n
}
