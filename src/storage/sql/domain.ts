import type { ColumnType, Kysely } from 'kysely'
import type { SqlDialect } from './dialect'

// Integers that Postgres stores as bigint come back from `pg` as strings: mappers pass every
// number through `Number()`, so the same code reads both dialects.
export type Int = ColumnType<number | string, number, number>
export type NullableInt = ColumnType<number | string | null, number | null, number | null>
export type Json = ColumnType<unknown, string | null, string | null>

/** One domain's part of a named migration: creates or alters only that domain's tables. */
export type MigrationStep = (db: Kysely<unknown>, dialect: SqlDialect) => Promise<void>

/**
 * A storage domain on the SQL side: its file holds its table types, its migration steps and its
 * repository. `migrations` maps a migration name to this domain's step in it; the runner
 * (migrations.ts) builds each named migration from every domain's step of that name, in the order
 * of `sqlDomains` (schema.ts).
 *
 * A new domain adds its step under a new name (`0002_metrics`), sorting after every shipped one:
 * a step added to a migration that has shipped would never run on databases that already ran it.
 */
export interface SqlDomain {
  name: string
  migrations: Record<string, MigrationStep>
}
