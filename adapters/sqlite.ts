import Database from 'better-sqlite3'
import { Kysely, SqliteDialect, type SqliteDatabase, sql } from 'kysely'
import type { Storage } from '../src/storage'
import { createSqlStorage, type RawTransaction, sqliteDialect } from '../src/storage/sql'
import { migrateToLatest } from '../src/storage/sql/migrations'

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

/** The last SQLite migration started in this process (a busy wait here would block the event loop). */
let sqliteMigrations: Promise<unknown> = Promise.resolve()

/** The embedded default: one SQLite file in WAL mode, migrations in code. */
export function sqliteStorage(options: SqliteStorageOptions = {}): Storage {
  const owned = !options.database
  const database = options.database ?? new Database(options.file ?? './telltale.db')
  if (database.name !== ':memory:') database.pragma('journal_mode = WAL')
  database.pragma(`busy_timeout = ${Math.floor(options.busyTimeoutMs ?? 5000)}`)
  database.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
  database.pragma('foreign_keys = ON')
  const statements = withStatementCache(database)
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: statements }) })
  const storage = createSqlStorage({
    db,
    dialect: sqliteDialect,
    transaction: preparedTransaction(db, statements),
    // Kysely's destroy closes the database, so only do it when telltale opened it.
    onClose: async () => {
      if (owned) await db.destroy()
    },
  })
  return {
    ...storage,
    // Kysely takes no migration lock on SQLite: two instances would both run a pending migration.
    // Migrations in this process take turns; across processes, BEGIN IMMEDIATE holds the write lock
    // for the whole migration, so another process waits (busy_timeout) and then finds it done.
    migrate() {
      const run = sqliteMigrations.then(() => migrateImmediate(db))
      sqliteMigrations = run.catch(() => {})
      return run
    },
  }
}

function migrateImmediate(db: Kysely<any>): Promise<void> {
  return db.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection)
    try {
      await migrateToLatest(connection, sqliteDialect)
    } catch (error) {
      await sql`rollback`.execute(connection).catch(() => {})
      throw error
    }
    await sql`commit`.execute(connection)
  })
}

/**
 * Event writes on better-sqlite3's prepared statements, without kysely's per-statement promise
 * chain. The transaction holds kysely's connection (`db.connection()`), so it never interleaves
 * with a kysely transaction on the same database. `begin immediate` takes the write lock up front,
 * so another process holding it makes this wait (busy_timeout) instead of failing at commit.
 */
function preparedTransaction(db: Kysely<any>, statements: StatementCache): RawTransaction {
  const run = (text: string) => statements.prepare(text).run()
  return (work) =>
    db.connection().execute(async () => {
      run('begin immediate')
      try {
        const result = await work((text, params) => {
          const statement = statements.prepare(text)
          if (statement.reader) return statement.all(params) as Record<string, unknown>[]
          statement.run(params)
          return []
        })
        run('commit')
        return result
      } catch (error) {
        if (statements.inTransaction()) run('rollback')
        throw error
      }
    })
}

/**
 * Kysely prepares every statement anew; preparing costs as much as running a small insert. The
 * same SQL text is the same statement, so the most recently used ones are kept.
 */
interface StatementCache extends SqliteDatabase {
  prepare(sql: string): Database.Statement
  inTransaction(): boolean
}

function withStatementCache(database: Database.Database, size = 200): StatementCache {
  const statements = new Map<string, Database.Statement>()
  return {
    close: () => database.close(),
    inTransaction: () => database.inTransaction,
    prepare(sql) {
      let statement = statements.get(sql)
      if (statement)
        statements.delete(sql) // re-inserted below: Map order is recency
      else {
        statement = database.prepare(sql)
        if (statements.size >= size) statements.delete(statements.keys().next().value!)
      }
      statements.set(sql, statement)
      return statement
    },
  }
}
