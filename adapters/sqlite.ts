import { existsSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type BetterSqlite3 from 'better-sqlite3'
import { Kysely, type SqliteDatabase, SqliteDialect, sql } from 'kysely'
import { configError } from '../src/core/errors'
import type { Storage } from '../src/storage'
import { createSqlStorage, type RawTransaction, sqliteDialect } from '../src/storage/sql'
import { migrateToLatest } from '../src/storage/sql/migrations'
import { driverErrorCode, driverErrorMessage, importDriver, requireDriver } from './driver'

/** The driver, imported with this module; the factory reports it missing (see `importDriver`). */
const driver = await importDriver(() => import('better-sqlite3'))

export interface SqliteStorageOptions {
  /** Database file (created if missing, in a directory that exists), or `':memory:'`. Default `./telltale.db`. */
  file?: string
  /** A better-sqlite3 database you opened yourself (`new Database(file)`). telltale never closes it. */
  database?: BetterSqlite3Database
  /**
   * `normal` (default) survives a crash or restart of the process; `full` also survives a power
   * loss, at the cost of an fsync per commit.
   */
  synchronous?: 'normal' | 'full'
  /** How long a writer waits for another connection's lock, in ms. Default 5000. */
  busyTimeoutMs?: number
}

/**
 * What telltale uses of a better-sqlite3 `Database`. Written out here so that telltale's public
 * types do not need `@types/better-sqlite3`; a better-sqlite3 database fits it as it is.
 */
export interface BetterSqlite3Database {
  readonly name: string
  readonly open: boolean
  readonly inTransaction: boolean
  pragma(source: string, options?: { simple?: boolean }): unknown
  prepare(source: string): unknown
  close(): unknown
}

/** The last SQLite migration started in this process (a busy wait here would block the event loop). */
let sqliteMigrations: Promise<unknown> = Promise.resolve()

/**
 * The embedded default: one SQLite file in WAL mode, migrations in code. The file is opened here;
 * when it cannot be (a missing directory, a file that is not a database, better-sqlite3 not
 * installed or not built) the `TelltaleError` says what to fix.
 */
export function sqliteStorage(options: SqliteStorageOptions = {}): Storage {
  if (typeof options !== 'object' || options === null)
    throw configError("sqliteStorage takes an object: sqliteStorage({ file: './telltale.db' })")
  const { file = './telltale.db', database } = options
  if (database !== undefined && options.file !== undefined)
    throw configError('sqliteStorage takes { file } or { database }, not both')
  if (
    database !== undefined &&
    (typeof database !== 'object' ||
      database === null ||
      typeof (database as { prepare?: unknown }).prepare !== 'function')
  )
    throw configError('sqliteStorage database must be a better-sqlite3 Database (new Database(file))')
  if (database === undefined && (typeof file !== 'string' || file === ''))
    throw configError(`sqliteStorage file must be a path such as './telltale.db' (got ${JSON.stringify(file)})`)
  if (options.synchronous !== undefined && options.synchronous !== 'normal' && options.synchronous !== 'full')
    throw configError(
      `sqliteStorage synchronous must be 'normal' or 'full' (got ${JSON.stringify(options.synchronous)})`,
    )
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0)
    throw configError(
      `sqliteStorage busyTimeoutMs must be a whole number of ms (got ${JSON.stringify(options.busyTimeoutMs)})`,
    )

  const shownAs = database ? 'the database you passed' : file
  const db = database ? (database as BetterSqlite3.Database) : openFile(file)
  try {
    if (db.name !== ':memory:') db.pragma('journal_mode = WAL')
    db.pragma(`busy_timeout = ${busyTimeoutMs}`)
    db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
    db.pragma('foreign_keys = ON')
  } catch (error) {
    if (!database) db.close()
    throw explainSqliteError(error, shownAs)
  }
  return openedStorage(db, !database, shownAs)
}

/** Opens (or creates) the file, after the checks that can say more than SQLite would. */
function openFile(file: string): BetterSqlite3.Database {
  if (file !== ':memory:') {
    const path = resolve(file)
    const dir = dirname(path)
    if (!existsSync(dir))
      throw configError(
        `sqliteStorage file ${file} is in a directory that does not exist (${dir}): create it (mkdir -p ${dir}) or choose a file in an existing directory`,
      )
    if (existsSync(path) && statSync(path).isDirectory())
      throw configError(
        `sqliteStorage file ${file} is a directory: name a database file, e.g. ${file.replace(/\/+$/, '')}/telltale.db`,
      )
  }
  const Database = requireDriver(driver, 'better-sqlite3', 'sqliteStorage').default
  try {
    return new Database(file)
  } catch (error) {
    throw explainSqliteError(error, file)
  }
}

/** A driver error while opening or migrating, as one line naming the file and the fix. */
function explainSqliteError(error: unknown, file: string): unknown {
  const code = driverErrorCode(error)
  const text = driverErrorMessage(error)
  if (/Could not locate the bindings file|better_sqlite3\.node|NODE_MODULE_VERSION/.test(text))
    return configError(
      `better-sqlite3 is installed but its native module is not built for this Node (its install script did not run, or ran for another Node): npm rebuild better-sqlite3 (npm 11 may first ask you to allow it: npm install-scripts approve better-sqlite3)`,
      error,
    )
  const where = file === 'the database you passed' ? file : `sqliteStorage file ${file}`
  const dir = file === 'the database you passed' ? 'its directory' : dirname(resolve(file))
  // Primary result code: SQLITE_READONLY_DIRECTORY is a SQLITE_READONLY.
  switch (code?.match(/^SQLITE_[A-Z]+/)?.[0]) {
    case 'SQLITE_CANTOPEN':
      return configError(
        `${where} cannot be opened or created (can you write to ${dir}?): make it writable, or choose a file in a directory you can write to`,
        error,
      )
    case 'SQLITE_READONLY':
    case 'SQLITE_PERM':
      return configError(`${where} is read-only: make the file and ${dir} writable, or choose another file`, error)
    case 'SQLITE_NOTADB':
      return configError(`${where} is not a SQLite database: choose a new file or an existing telltale database`, error)
    case 'SQLITE_CORRUPT':
      return configError(
        `${where} is a damaged SQLite database: choose a new file, or restore the database from a backup`,
        error,
      )
  }
  return error
}

function openedStorage(database: BetterSqlite3.Database, owned: boolean, file: string): Storage {
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
    readsOnThisThread: true,
    // Kysely takes no migration lock on SQLite: two instances would both run a pending migration.
    // Migrations in this process take turns; across processes, BEGIN IMMEDIATE holds the write lock
    // for the whole migration, so another process waits (busy_timeout) and then finds it done.
    migrate() {
      const run = sqliteMigrations.then(() => migrateImmediate(db))
      sqliteMigrations = run.catch(() => {})
      return run.catch((error) => {
        throw explainSqliteError(error, file)
      })
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
  prepare(sql: string): BetterSqlite3.Statement
  inTransaction(): boolean
}

function withStatementCache(database: BetterSqlite3.Database, size = 200): StatementCache {
  const statements = new Map<string, BetterSqlite3.Statement>()
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
