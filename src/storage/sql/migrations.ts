import { type Kysely, type Migration, Migrator, sql } from 'kysely'
import type { SqlDialect } from './dialect'
import { sqlDomains } from './schema'

/**
 * Migrations live in code and run in order, once per database. Kysely's migrator takes a lock
 * (Postgres: a table lock), so instances starting together do not race.
 * Add new migrations at the end; never edit one that has shipped.
 *
 * Each storage domain (`sqlDomains`, schema.ts) brings its own steps: the migration of a name runs
 * every domain's step of that name, in the domain list's order. What each shipped migration
 * creates is pinned per dialect by test/storage/schema.test.ts.
 */
export function migrations(d: SqlDialect): Record<string, Migration> {
  const names = [...new Set(sqlDomains.flatMap((domain) => Object.keys(domain.migrations)))].sort()
  return Object.fromEntries(
    names.map((name): [string, Migration] => [
      name,
      {
        async up(db: Kysely<any>) {
          for (const domain of sqlDomains) await domain.migrations[name]?.(db, d)
        },
      },
    ]),
  )
}

export async function migrateToLatest(db: Kysely<any>, dialect: SqlDialect): Promise<void> {
  // Kysely looks for its migration tables in every schema: pin them to ours (Postgres), or a second
  // telltale schema in the same database finds the first one's tables and never creates its own.
  const migrationTableSchema =
    dialect.name === 'postgres'
      ? ((await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db)).rows[0]?.schema ??
        undefined)
      : undefined
  const migrator = new Migrator({
    db,
    migrationTableSchema,
    provider: { getMigrations: async () => migrations(dialect) },
    migrationTableName: 'telltale_migrations',
    migrationLockTableName: 'telltale_migrations_lock',
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName
    const which = failed ? `migration ${failed}` : 'migrating the database'
    throw new Error(`telltale: ${which} failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    })
  }
}
