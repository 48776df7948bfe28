import { type RawBuilder, sql } from 'kysely'

export type DialectName = 'sqlite' | 'postgres'

/** JSON path for one object key, quoted (JSON escapes, which SQLite decodes) so any key stays one key. */
const jsonKeyPath = (key: string) => `$.${JSON.stringify(key)}`

/**
 * The few expressions that differ between SQLite and Postgres. Everything else is one kysely
 * query shared by both.
 */
export interface SqlDialect {
  name: DialectName
  /** Column type names for migrations. */
  types: { id: string; text: string; int: string; float: string; json: string; name: string }
  /** The text value at `column.key`, or null. */
  jsonText(column: string, key: string): RawBuilder<string | null>
  /** The numeric value at `column.key`; null when missing or not a JSON number. */
  jsonNumber(column: string, key: string): RawBuilder<number | null>
  /** The string at `column.key` when it is a JSON string; null otherwise (numbers, booleans, null, objects, arrays, absent). */
  jsonString(column: string, key: string): RawBuilder<string | null>
  /** `'true'` or `'false'` when `column.key` is a JSON boolean; null otherwise. */
  jsonBoolean(column: string, key: string): RawBuilder<string | null>
  /** True when `column.key` is absent (or `column` is null) or JSON null. Never null itself. */
  jsonIsNull(column: string, key: string): RawBuilder<boolean>
  /** True when the JSON object in `column` has every `pairs` entry. */
  jsonContains(column: string, pairs: Record<string, string>): RawBuilder<boolean>
  /**
   * The engine's `percentile_disc` aggregate, asked for the value at 1-based `rank` of the `n`
   * non-null `x` in ascending order. The fraction passed is the middle of that rank, so the
   * engine's own rounding of fraction to rank cannot leave it.
   */
  percentileDisc?(x: RawBuilder<number | null>, rank: number, n: number): RawBuilder<number | null>
  /**
   * `x` as a type whose sum cannot fail (Postgres `numeric`; SQLite `real`, whose sum overflows to
   * infinity instead of raising). Used only after a sum raised `isOverflow`, being slower.
   */
  wide(x: RawBuilder<number | null>): RawBuilder<unknown>
  /** Whether an error is a numeric overflow of an aggregate. */
  isOverflow(error: unknown): boolean
  /** Whether unique-violation errors come from this driver. */
  isUniqueViolation(error: unknown): boolean
  /**
   * Whether `SELECT … FOR UPDATE SKIP LOCKED` exists (Postgres): concurrent claims lock the rows
   * they pick and pass over each other's. SQLite has one writer, so one statement needs no row locks.
   */
  skipLocked: boolean
}

/**
 * A JSON key no row can have (NUL: refused at ingest, and neither engine can even name it in a
 * query). Expressions over it answer "absent" rather than raise.
 */
const unaddressable = (key: string) => key.includes('\u0000')
// Typed, so aggregates over them resolve (Postgres: `sum(unknown)` is ambiguous).
const absentText = sql<null>`cast(null as text)`
const absentNumber = sql<null>`cast(null as double precision)`
const noRow = sql<boolean>`1 = 0`
const everyRow = sql<boolean>`1 = 1`

export const sqliteDialect: SqlDialect = {
  name: 'sqlite',
  types: { id: 'text', text: 'text', int: 'integer', float: 'real', json: 'text', name: 'text' },
  jsonText: (column, key) =>
    unaddressable(key) ? absentText : sql<string | null>`json_extract(${sql.ref(column)}, ${jsonKeyPath(key)})`,
  // As real: a sum of 64-bit integer properties would raise `integer overflow`; a real one cannot.
  jsonNumber: (column, key) =>
    unaddressable(key)
      ? absentNumber
      : sql<
          number | null
        >`(case when json_type(${sql.ref(column)}, ${jsonKeyPath(key)}) in ('integer', 'real') then cast(json_extract(${sql.ref(column)}, ${jsonKeyPath(key)}) as real) end)`,
  // json_type: 'null', 'true', 'false', 'integer', 'real', 'text', 'array', 'object'; SQL null when absent.
  jsonString: (column, key) =>
    unaddressable(key)
      ? absentText
      : sql<
          string | null
        >`(case when json_type(${sql.ref(column)}, ${jsonKeyPath(key)}) = 'text' then json_extract(${sql.ref(column)}, ${jsonKeyPath(key)}) end)`,
  jsonBoolean: (column, key) =>
    unaddressable(key)
      ? absentText
      : sql<
          string | null
        >`(case when json_type(${sql.ref(column)}, ${jsonKeyPath(key)}) in ('true', 'false') then json_type(${sql.ref(column)}, ${jsonKeyPath(key)}) end)`,
  jsonIsNull: (column, key) =>
    unaddressable(key)
      ? everyRow
      : sql<boolean>`(coalesce(json_type(${sql.ref(column)}, ${jsonKeyPath(key)}), 'null') = 'null')`,
  jsonContains: (column, pairs) =>
    Object.keys(pairs).some(unaddressable)
      ? noRow
      : (sql.join(
          Object.entries(pairs).map(
            ([key, value]) => sql`json_extract(${sql.ref(column)}, ${jsonKeyPath(key)}) = ${value}`,
          ),
          sql` and `,
        ) as RawBuilder<boolean>),
  // The percentile extension (SQLite 3.51+ built with SQLITE_ENABLE_PERCENTILE, as better-sqlite3
  // 12.x is): the element at 0-based index floor(f * (n - 1)). Callers fall back when it is missing.
  percentileDisc: (x, rank, n) =>
    sql<number | null>`percentile_disc(${x}, ${n <= 1 ? 0 : rank >= n ? 1 : (rank - 0.5) / (n - 1)})`,
  wide: (x) => sql`cast(${x} as real)`,
  isOverflow: (error) => /integer overflow/i.test(String((error as Error)?.message)),
  isUniqueViolation: (error) => String((error as { code?: unknown })?.code ?? '').startsWith('SQLITE_CONSTRAINT'),
  skipLocked: false,
}

export const postgresDialect: SqlDialect = {
  name: 'postgres',
  // `collate "C"` on names: byte order, so name-prefix ranges are index scans.
  types: {
    id: 'uuid',
    text: 'text',
    int: 'bigint',
    float: 'double precision',
    json: 'jsonb',
    name: 'text collate "C"',
  },
  jsonText: (column, key) => (unaddressable(key) ? absentText : sql<string | null>`(${sql.ref(column)} ->> ${key})`),
  jsonNumber: (column, key) =>
    unaddressable(key)
      ? absentNumber
      : sql<
          number | null
        >`(case when jsonb_typeof(${sql.ref(column)} -> ${key}) = 'number' then (${sql.ref(column)} ->> ${key})::double precision end)`,
  // jsonb_typeof: 'object', 'array', 'string', 'number', 'boolean', 'null'; SQL null when absent.
  jsonString: (column, key) =>
    unaddressable(key)
      ? absentText
      : sql<
          string | null
        >`(case when jsonb_typeof(${sql.ref(column)} -> ${key}) = 'string' then ${sql.ref(column)} ->> ${key} end)`,
  jsonBoolean: (column, key) =>
    unaddressable(key)
      ? absentText
      : sql<
          string | null
        >`(case when jsonb_typeof(${sql.ref(column)} -> ${key}) = 'boolean' then ${sql.ref(column)} ->> ${key} end)`,
  jsonIsNull: (column, key) =>
    unaddressable(key)
      ? everyRow
      : sql<boolean>`(coalesce(jsonb_typeof(${sql.ref(column)} -> ${key}), 'null') = 'null')`,
  // `->> key = value` per pair rather than `@> '{...}'`: the same rows for string values (tags
  // are strings) and 15-25% cheaper per row, which is what a scan pays (a list's total over a tag
  // filter is one: test/bench/queries.ts). `@>` only pays with a GIN index; with few distinct tag
  // values a GIN bitmap scan over most of the table measured slower than the parallel seq scan.
  jsonContains: (column, pairs) =>
    Object.keys(pairs).some(unaddressable)
      ? noRow
      : (sql.join(
          Object.entries(pairs).map(([key, value]) => sql`(${sql.ref(column)} ->> ${key}) = ${value}`),
          sql` and `,
        ) as RawBuilder<boolean>),
  // The ordered-set aggregate: the value at rank ceil(f * n).
  percentileDisc: (x, rank, n) =>
    sql<number | null>`percentile_disc(${(rank - 0.5) / n}::float8) within group (order by ${x})`,
  // numeric sums never overflow; the result comes back as text and may exceed a double (→ null).
  wide: (x) => sql`cast(${x} as numeric)`,
  isOverflow: (error) => (error as { code?: unknown })?.code === '22003',
  isUniqueViolation: (error) => (error as { code?: unknown })?.code === '23505',
  skipLocked: true,
}

/** `pg` returns jsonb parsed; SQLite returns text. */
export function decodeJson<T>(value: unknown): T | null {
  if (value === null || value === undefined) return null
  return (typeof value === 'string' ? JSON.parse(value) : value) as T
}

export function encodeJson(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value)
}
