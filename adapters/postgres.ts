import { Kysely, PostgresDialect, sql } from 'kysely'
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
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) })
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
