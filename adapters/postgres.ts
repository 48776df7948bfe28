import { type DatabaseIntrospector, type DatabaseMetadata, type Dialect, Kysely, PostgresDialect, type SchemaMetadata, sql, type TableMetadata } from 'kysely'
import pg from 'pg'
import type { Storage } from '../src/storage'
import { createSqlStorage, postgresDialect } from '../src/storage/sql'

export type PostgresStorageOptions = (
  | { /** `postgres://user@host:5432/db` */ connectionString: string; pool?: never; max?: number }
  | { /** A pg Pool you created yourself. telltale never ends it. */ pool: pg.Pool; connectionString?: never }
) & {
  /**
   * Schema for telltale's tables (created if missing). Only with `connectionString`: with your own
   * pool, set `search_path` on it instead.
   */
  schema?: string
}

/** Postgres through a pg Pool: the adapter for several app instances sharing one store. */
export function postgresStorage(options: PostgresStorageOptions): Storage {
  const schema = options.schema
  if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/i.test(schema)) throw new Error(`telltale: invalid schema name ${JSON.stringify(schema)}`)
  const owned = !options.pool
  const pool =
    options.pool ??
    new pg.Pool({
      connectionString: options.connectionString,
      max: options.max ?? 10,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    })
  const db = new Kysely<any>({ dialect: currentSchemaOnly(new PostgresDialect({ pool })) })
  const storage = createSqlStorage({
    db,
    dialect: postgresDialect,
    // Kysely's destroy ends the pool, so only do it when telltale created it.
    onClose: async () => {
      if (owned) await db.destroy()
    },
  })
  return {
    ...storage,
    async migrate() {
      if (schema) {
        // Concurrent `create schema if not exists` can still collide on Postgres' catalog index;
        // the loser finds the schema created, which is all it wanted.
        await sql`create schema if not exists ${sql.id(schema)}`.execute(db).catch((error: unknown) => {
          if (!postgresDialect.isUniqueViolation(error)) throw error
        })
      }
      await storage.migrate()
    },
  }
}

/**
 * Kysely's migrator asks the dialect's introspector whether its schema and tables exist. Postgres'
 * own introspector lists every schema and table of the database, checking privileges on each, and
 * fails ("schema ... does not exist") when another application drops a schema during the listing.
 * telltale's tables live in the connection's current schema, so that is all this one reads.
 */
function currentSchemaOnly(dialect: PostgresDialect): Dialect {
  return {
    createDriver: () => dialect.createDriver(),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createAdapter: () => dialect.createAdapter(),
    createIntrospector: (db) => new CurrentSchemaIntrospector(db),
  }
}

class CurrentSchemaIntrospector implements DatabaseIntrospector {
  constructor(private readonly db: Kysely<any>) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const { rows } = await sql<{ name: string | null }>`select current_schema() as name`.execute(this.db)
    return rows.flatMap((row) => (row.name === null ? [] : [{ name: row.name }]))
  }

  async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<{ name: string; schema: string }>`
      select c.relname as name, n.nspname as schema from pg_catalog.pg_class c
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and c.relkind in ('r', 'p', 'v', 'm')`.execute(this.db)
    return rows.map((row) => ({ name: row.name, schema: row.schema, isView: false, columns: [] }))
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() }
  }
}
