import { type Kysely, type Migration, Migrator, sql } from 'kysely'
import type { SqlDialect } from './dialect'

/**
 * Migrations live in code and run in order, once per database. Kysely's migrator takes a lock
 * (Postgres: a table lock), so instances starting together do not race.
 * Add new migrations at the end; never edit one that has shipped.
 */
export function migrations(d: SqlDialect): Record<string, Migration> {
  const { id, text, int, float, json, name } = d.types
  return {
    '0001_foundation': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('telltale_projects')
          .addColumn('id', sql.raw(id), (c) => c.primaryKey())
          .addColumn('name', sql.raw(text), (c) => c.notNull())
          .addColumn('slug', sql.raw(text), (c) => c.notNull().unique())
          .addColumn('timezone', sql.raw(text), (c) => c.notNull().defaultTo('UTC'))
          .addColumn('created_at', sql.raw(int), (c) => c.notNull())
          .execute()

        await db.schema
          .createTable('telltale_api_keys')
          .addColumn('id', sql.raw(id), (c) => c.primaryKey())
          .addColumn('project_id', sql.raw(id), (c) => c.notNull().references('telltale_projects.id').onDelete('cascade'))
          .addColumn('name', sql.raw(text))
          .addColumn('prefix', sql.raw(text), (c) => c.notNull())
          .addColumn('hash', sql.raw(text), (c) => c.notNull())
          .addColumn('scopes', sql.raw(text), (c) => c.notNull())
          .addColumn('created_at', sql.raw(int), (c) => c.notNull())
          .addColumn('last_used_at', sql.raw(int))
          .addColumn('revoked_at', sql.raw(int))
          .execute()
        await db.schema.createIndex('telltale_api_keys_prefix').on('telltale_api_keys').column('prefix').execute()
        await db.schema.createIndex('telltale_api_keys_project').on('telltale_api_keys').columns(['project_id', 'created_at']).execute()

        // The event store. Times are epoch ms in integer columns on every backend: bucketing is
        // integer arithmetic, identical in SQL, Redis and JS.
        await db.schema
          .createTable('telltale_events')
          .addColumn('id', sql.raw(id), (c) => c.primaryKey())
          .addColumn('project_id', sql.raw(id), (c) => c.notNull())
          .addColumn('name', sql.raw(name), (c) => c.notNull())
          .addColumn('ts', sql.raw(int), (c) => c.notNull())
          .addColumn('received_at', sql.raw(int), (c) => c.notNull())
          .addColumn('user_id', sql.raw(text))
          .addColumn('user_email', sql.raw(text))
          .addColumn('user_name', sql.raw(text))
          .addColumn('value', sql.raw(float))
          .addColumn('properties', sql.raw(json))
          .addColumn('tags', sql.raw(json))
          .addColumn('client_id', sql.raw(text))
          .execute()
        // Query patterns of the four APIs: by project + name + time (counts, stats, metrics),
        // by project + time (lists without a name), and idempotent retries by client id.
        // `value` last makes the first one covering for stats on `value` as it is for counts and
        // series: no table row is read (summarize 4-5x faster at 100k events per name, see
        // test/bench/queries.ts); 8 more bytes per entry, no extra index, no measurable ingest cost.
        await db.schema.createIndex('telltale_events_name_ts').on('telltale_events').columns(['project_id', 'name', 'ts', 'value']).execute()
        await db.schema.createIndex('telltale_events_ts').on('telltale_events').columns(['project_id', 'ts']).execute()
        await db.schema
          .createIndex('telltale_events_client_id')
          .on('telltale_events')
          .columns(['project_id', 'client_id'])
          .unique()
          .where(sql.ref('client_id'), 'is not', null)
          .execute()

        await db.schema
          .createTable('telltale_rate_limits')
          .addColumn('project_id', sql.raw(text), (c) => c.notNull())
          .addColumn('bucket', sql.raw(text), (c) => c.notNull())
          .addColumn('window_start', sql.raw(int), (c) => c.notNull())
          .addColumn('window_end', sql.raw(int), (c) => c.notNull())
          .addColumn('count', sql.raw(int), (c) => c.notNull())
          .addPrimaryKeyConstraint('telltale_rate_limits_pk', ['project_id', 'bucket'])
          .execute()

        await db.schema
          .createTable('telltale_jobs')
          .addColumn('project_id', sql.raw(text), (c) => c.notNull())
          .addColumn('key', sql.raw(text), (c) => c.notNull())
          .addColumn('run_at', sql.raw(int), (c) => c.notNull())
          .addColumn('owner', sql.raw(text))
          .addColumn('lease_until', sql.raw(int))
          .addColumn('attempts', sql.raw(int), (c) => c.notNull().defaultTo(0))
          .addPrimaryKeyConstraint('telltale_jobs_pk', ['project_id', 'key'])
          .execute()
      },
    },
  }
}

export async function migrateToLatest(db: Kysely<any>, dialect: SqlDialect): Promise<void> {
  // Kysely looks for its migration tables in every schema: pin them to ours (Postgres), or a second
  // telltale schema in the same database finds the first one's tables and never creates its own.
  const migrationTableSchema =
    dialect.name === 'postgres' ? ((await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db)).rows[0]?.schema ?? undefined) : undefined
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
    throw new Error(`telltale: ${which} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
}
