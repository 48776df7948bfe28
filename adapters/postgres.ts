import {
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type Dialect,
  Kysely,
  PostgresDialect,
  type PostgresPool,
  type SchemaMetadata,
  sql,
  type TableMetadata,
} from 'kysely'
import { configError, TelltaleError } from '../src/core/errors'
import type { Storage } from '../src/storage'
import { createSqlStorage, postgresDialect } from '../src/storage/sql'
import { driverErrorCode, driverErrorMessage, importDriver, requireDriver } from './driver'

/** The driver, imported with this module; the factory reports it missing (see `importDriver`). */
const driver = await importDriver(() => import('pg'))

export type PostgresStorageOptions = (
  | { /** `postgres://user@host:5432/db` */ connectionString: string; pool?: never; max?: number }
  | { /** A pg Pool you created yourself. telltale never ends it. */ pool: PostgresPool; connectionString?: never }
) & {
  /**
   * Schema for telltale's tables (created if missing). Only with `connectionString`: with your own
   * pool, set `search_path` on it instead.
   */
  schema?: string
}

/**
 * Postgres through a pg Pool: the adapter for several app instances sharing one store. The server
 * is first reached by `ready()`; when it cannot be, the `TelltaleError` says what to fix.
 */
export function postgresStorage(options: PostgresStorageOptions): Storage {
  if (typeof options !== 'object' || options === null)
    throw configError(
      "postgresStorage needs { connectionString } or { pool }: postgresStorage({ connectionString: 'postgres://user:password@host:5432/database' })",
    )
  const { connectionString, pool: given, schema } = options
  if (connectionString !== undefined && given !== undefined)
    throw configError('postgresStorage takes { connectionString } or { pool }, not both')
  if (given === undefined && connectionString === undefined)
    throw configError(
      "postgresStorage needs { connectionString } or { pool }: postgresStorage({ connectionString: 'postgres://user:password@host:5432/database' })",
    )
  if (
    given !== undefined &&
    (typeof given !== 'object' || given === null || typeof (given as { connect?: unknown }).connect !== 'function')
  )
    throw configError('postgresStorage pool must be a pg Pool (new pg.Pool(...))')
  const url = connectionString === undefined ? undefined : parseConnectionString(connectionString)
  if (schema !== undefined && (typeof schema !== 'string' || !/^[a-z_][a-z0-9_]{0,62}$/i.test(schema)))
    throw configError(
      `postgresStorage schema ${JSON.stringify(schema)} is not a plain identifier: use letters, digits and _ (not first), at most 63 characters, e.g. schema: 'telltale'`,
    )
  if (schema !== undefined && given !== undefined)
    throw configError(
      "postgresStorage schema works with { connectionString } only: with your own pool, set search_path on it (options: '-c search_path=telltale')",
    )
  const where = url ? `Postgres at ${url.hostname || 'localhost'}:${url.port || '5432'}` : 'Postgres (your pool)'
  const fix = url ? 'connectionString' : 'your pool'
  const max = (options as { max?: unknown }).max ?? 10
  if (!Number.isSafeInteger(max) || (max as number) < 1)
    throw configError(`postgresStorage max must be a whole number of connections >= 1 (got ${JSON.stringify(max)})`)

  const pool =
    given ??
    new (requireDriver(driver, 'pg', 'postgresStorage').Pool)({
      connectionString,
      max: max as number,
      // A host that drops packets would otherwise keep ready() waiting forever.
      connectionTimeoutMillis: 10_000,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    })
  const db = new Kysely<any>({ dialect: currentSchemaOnly(new PostgresDialect({ pool })) })
  const storage = createSqlStorage({
    db,
    dialect: postgresDialect,
    // Kysely's destroy ends the pool, so only do it when telltale created it.
    onClose: async () => {
      if (!given) await db.destroy()
    },
  })
  return {
    ...storage,
    async migrate() {
      try {
        if (schema) {
          // Concurrent `create schema if not exists` can still collide on Postgres' catalog index;
          // the loser finds the schema created, which is all it wanted.
          await sql`create schema if not exists ${sql.id(schema)}`.execute(db).catch((error: unknown) => {
            if (!postgresDialect.isUniqueViolation(error)) throw error
          })
        }
        await storage.migrate()
      } catch (error) {
        throw explainPostgresError(error, { where, fix, url })
      }
    },
  }
}

function parseConnectionString(text: unknown): URL {
  let url: URL | undefined
  try {
    url = typeof text === 'string' ? new URL(text) : undefined
  } catch {
    // The string may hold a password: it is not repeated back.
  }
  if (!url || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:'))
    throw configError(
      'postgresStorage connectionString is not a Postgres URL: write it as postgres://user:password@host:5432/database',
    )
  return url
}

/** A connection or migration failure as one line: what happened, where, and what to fix. */
function explainPostgresError(error: unknown, { where, fix, url }: { where: string; fix: string; url?: URL }): unknown {
  const code = driverErrorCode(error)
  const message = driverErrorMessage(error)
  const user = (url && decodeURIComponent(url.username)) || 'the default user'
  const database = (url && decodeURIComponent(url.pathname.slice(1))) || 'the default database'
  switch (code) {
    case 'ECONNREFUSED':
      return new TelltaleError(
        'unavailable',
        `telltale: ${where} refused the connection (nothing listens there): start Postgres, or fix the host and port in ${fix}`,
        {
          cause: error,
        },
      )
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case '57P03': // cannot_connect_now: starting up or shutting down
      return new TelltaleError(
        'unavailable',
        `telltale: ${where} cannot be reached (${code}): check that it runs and that the host and port in ${fix} are right`,
        { cause: error },
      )
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return configError(`the Postgres host in ${fix} is not found (${url?.hostname ?? code}): fix the host`, error)
    case '3D000': // invalid_catalog_name
      return configError(
        `the Postgres database "${database}" does not exist on ${where.replace('Postgres at ', '')}: create it (createdb ${database}) or fix the database name in ${fix}`,
        error,
      )
    case '28P01': // invalid_password
    case '28000': // invalid_authorization_specification: unknown role, no pg_hba.conf entry
      return configError(
        `${where} refused the login as ${user} (${message}): fix the user and password in ${fix}`,
        error,
      )
    case '42501': // insufficient_privilege, e.g. no CREATE on the schema
      return configError(
        `Postgres user ${user} may not create telltale's tables (${message}): grant it CREATE, or use another user, database or schema`,
        error,
      )
  }
  if (/timeout expired|Connection terminated due to connection timeout/i.test(message))
    return new TelltaleError(
      'unavailable',
      `telltale: ${where} did not answer within 10 s: check that it runs and that the host and port in ${fix} are right`,
      { cause: error },
    )
  // pg's SCRAM client throws a plain Error when the server asks for a password the URL lacks.
  if (/client password must be a string/.test(message))
    return configError(
      `${where} asks ${user} for a password: put it in ${fix} (postgres://user:password@host:port/database)`,
      error,
    )
  return error
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
