import { type RawBuilder, sql } from 'kysely'
import type { EventPredicate, PredicateField, Scalar } from '../event-predicates'
import type { EventField } from '../events'
import type { SqlDialect } from './dialect'

// Metric predicates (`EventFilter.where`) and numeric fields as SQL, for both dialects.

const never = sql<boolean>`1 = 0`

/**
 * One `EventPredicate` as a condition that is never SQL null (so `not` is its exact complement),
 * every compared value bound. The JSON type is checked before the value: a string "500" is no
 * number, `true` no string; numbers compare as doubles (5 = 5.0), strings by their bytes.
 */
export function predicateSql(predicate: EventPredicate, dialect: SqlDialect): RawBuilder<boolean> {
  const { field } = predicate
  switch (predicate.op) {
    case 'eq':
      return equalsSql(field, predicate.value, dialect)
    case 'neq':
      return sql<boolean>`(not ${equalsSql(field, predicate.value, dialect)})`
    case 'in':
      return predicate.value.length === 0
        ? never
        : sql<boolean>`(${sql.join(
            predicate.value.map((v) => equalsSql(field, v, dialect)),
            sql` or `,
          )})`
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const n = predicate.value
      const x = numberSql(field, dialect)
      if (x === undefined || typeof n !== 'number' || !Number.isFinite(n)) return never
      const op = sql.raw({ gt: '>', gte: '>=', lt: '<', lte: '<=' }[predicate.op])
      return sql<boolean>`coalesce(${x} ${op} ${n}, false)`
    }
    default:
      throw new Error(`telltale: unknown predicate op ${JSON.stringify((predicate as { op: unknown }).op)}`)
  }
}

/** The field as a number when it holds a JSON number; `undefined` for a field that never does. */
function numberSql(field: PredicateField, dialect: SqlDialect): RawBuilder<number | null> | undefined {
  if (field.kind === 'userId') return undefined
  return fieldExpression(field, dialect)
}

/** `field eq v`, never SQL null. */
function equalsSql(field: PredicateField, v: Scalar, dialect: SqlDialect): RawBuilder<boolean> {
  if (v === null) {
    if (field.kind === 'property') return dialect.jsonIsNull('properties', field.key)
    return sql<boolean>`(${sql.ref(field.kind === 'value' ? 'value' : 'user_id')} is null)`
  }
  let x: RawBuilder<unknown> | undefined
  const bound: string | number = typeof v === 'boolean' ? String(v) : v
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return never
    x = numberSql(field, dialect)
  } else if (typeof v === 'string') {
    x =
      field.kind === 'userId'
        ? sql`${sql.ref('user_id')}`
        : field.kind === 'property'
          ? dialect.jsonString('properties', field.key)
          : undefined
  } else if (typeof v === 'boolean') {
    x = field.kind === 'property' ? dialect.jsonBoolean('properties', field.key) : undefined
  } else throw new Error(`telltale: a predicate compares with a JSON scalar, not ${typeof v}`)
  return x === undefined ? never : sql<boolean>`coalesce(${x} = ${bound}, false)`
}

export function fieldExpression(field: EventField, dialect: SqlDialect) {
  return field.kind === 'value' ? sql<number | null>`${sql.ref('value')}` : dialect.jsonNumber('properties', field.key)
}
