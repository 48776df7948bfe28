import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import type { Storage } from '../src/storage'
import { createSqlStorage, sqliteDialect } from '../src/storage/sql'

export interface SqliteStorageOptions {
  /** Database file (created if missing), or `':memory:'`. */
  file?: string
  /** A better-sqlite3 database you opened yourself. telltale never closes it. */
  database?: Database.Database
  /**
   * `normal` (default) survives a crash or restart of the process; `full` also survives a power
   * loss, at the cost of an fsync per commit.
   */
  synchronous?: 'normal' | 'full'
  /** How long a writer waits for another connection's lock, in ms. Default 5000. */
  busyTimeoutMs?: number
}

/** The embedded default: one SQLite file in WAL mode, migrations in code. */
export function sqliteStorage(options: SqliteStorageOptions = {}): Storage {
  const owned = !options.database
  const database = options.database ?? new Database(options.file ?? './telltale.db')
  if (database.name !== ':memory:') database.pragma('journal_mode = WAL')
  database.pragma(`busy_timeout = ${Math.floor(options.busyTimeoutMs ?? 5000)}`)
  database.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
  database.pragma('foreign_keys = ON')
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database }) })
  return createSqlStorage({
    db,
    dialect: sqliteDialect,
    // Kysely's destroy closes the database, so only do it when telltale opened it.
    onClose: async () => {
      if (owned) await db.destroy()
    },
  })
}
