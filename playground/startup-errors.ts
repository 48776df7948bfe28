// What `npm start` says when the playground is misconfigured: one line that names the problem and
// the fix, no stack. Errors not recognised here are unexpected and keep their stack.
import { existsSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { driverErrorCode, driverErrorMessage } from '../adapters/driver'
import { isTelltaleError } from '../src/core/errors'

/** A misconfiguration, already worded for the person starting the playground. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'StartupError'
  }
}

/** Which environment variable named the store, so that every message names the one the person set. */
export type StorageVariable = 'TELLTALE_STORAGE' | 'TELLTALE_DB' | 'TELLTALE_DATABASE_URL'

export type PlaygroundDatabase = { variable: StorageVariable } & (
  | { kind: 'sqlite'; file: string }
  | { kind: 'postgres'; url: URL }
  | { kind: 'redis'; url: URL }
  | { kind: 'kv'; driver: 'memory' }
  | { kind: 'kv'; driver: 'fs'; dir: string }
)

export interface PlaygroundConfig {
  port: number
  host: string
  apiKey?: string
  database: PlaygroundDatabase
}

const DEFAULT_PORT = 3000
const DEFAULT_SQLITE_FILE = './telltale.db'
const API_KEY = /^tt_[0-9A-Za-z]{43}$/

const STORAGE_FORMS = 'postgres://user@host:5432/db, redis://host:6379, kv:memory, kv:fs:./data or sqlite:./telltale.db'

/**
 * Reads `PORT`, `TELLTALE_API_KEY` and where to store: `TELLTALE_STORAGE` (any adapter, by URL),
 * or the older `TELLTALE_DB` (a SQLite file) and `TELLTALE_DATABASE_URL` (Postgres). Throws a
 * StartupError.
 */
export function readPlaygroundConfig(env: NodeJS.ProcessEnv): PlaygroundConfig {
  const apiKey = env.TELLTALE_API_KEY || undefined
  if (apiKey !== undefined && !API_KEY.test(apiKey)) {
    throw new StartupError(
      `TELLTALE_API_KEY is not a telltale key (it must be tt_ followed by 43 letters or digits; got ${apiKey.length} characters): fix it, or unset it to get a fresh key on each start`,
    )
  }

  const portText = env.PORT?.trim() || undefined
  const port = portText === undefined ? DEFAULT_PORT : /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN
  if (!(port >= 0 && port <= 65535)) {
    throw new StartupError(
      `PORT=${JSON.stringify(env.PORT)} is not a port: set PORT to a whole number from 0 to 65535 (0 picks a free one), or unset it for ${DEFAULT_PORT}`,
    )
  }

  const database = readDatabase(env)
  if (database.kind === 'sqlite') checkSqliteFile(database.file, database.variable)
  return { port, host: '127.0.0.1', apiKey, database }
}

function readDatabase(env: NodeJS.ProcessEnv): PlaygroundDatabase {
  const storage = env.TELLTALE_STORAGE?.trim() || undefined
  const sqliteFile = env.TELLTALE_DB || undefined
  const databaseUrl = env.TELLTALE_DATABASE_URL || undefined
  const given = [
    storage && 'TELLTALE_STORAGE',
    sqliteFile && 'TELLTALE_DB',
    databaseUrl && 'TELLTALE_DATABASE_URL',
  ].filter(Boolean)
  if (given.length > 1)
    throw new StartupError(
      `${given.join(' and ')} are set: set only one (TELLTALE_STORAGE takes any of ${STORAGE_FORMS})`,
    )
  if (databaseUrl)
    return {
      variable: 'TELLTALE_DATABASE_URL',
      kind: 'postgres',
      url: parsePostgresUrl(databaseUrl, 'TELLTALE_DATABASE_URL'),
    }
  if (!storage) return { variable: 'TELLTALE_DB', kind: 'sqlite', file: sqliteFile ?? DEFAULT_SQLITE_FILE }
  return { variable: 'TELLTALE_STORAGE', ...parseStorage(storage) }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/** `TELLTALE_STORAGE`: the adapter by the form of its value. */
function parseStorage(value: string): DistributiveOmit<PlaygroundDatabase, 'variable'> {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase()
  switch (scheme) {
    case 'postgres':
    case 'postgresql':
      return { kind: 'postgres', url: parsePostgresUrl(value, 'TELLTALE_STORAGE') }
    case 'redis':
    case 'rediss':
      return { kind: 'redis', url: parseRedisUrl(value) }
    case 'sqlite': {
      const file = value.slice('sqlite:'.length)
      if (!file) throw new StartupError('TELLTALE_STORAGE=sqlite: names no file: write it as sqlite:./telltale.db')
      return { kind: 'sqlite', file }
    }
    case 'kv': {
      const rest = value.slice('kv:'.length)
      if (rest === 'memory') return { kind: 'kv', driver: 'memory' }
      if (rest.startsWith('fs:') && rest.length > 'fs:'.length)
        return { kind: 'kv', driver: 'fs', dir: rest.slice('fs:'.length) }
      throw new StartupError(
        `TELLTALE_STORAGE=${value} is not a kv store this playground knows: use kv:memory, or kv:fs:<directory> (e.g. kv:fs:./data)`,
      )
    }
  }
  // Not repeated back when it could be a URL holding a password.
  throw new StartupError(`TELLTALE_STORAGE is not a storage this playground knows: write it as one of ${STORAGE_FORMS}`)
}

function parseRedisUrl(text: string): URL {
  try {
    return new URL(text)
  } catch {
    throw new StartupError(
      'TELLTALE_STORAGE is not a valid Redis URL: write it as redis://host:6379 (or redis://:password@host:6379/0)',
    )
  }
}

function parsePostgresUrl(text: string, variable: string): URL {
  let url: URL | undefined
  try {
    url = new URL(text)
  } catch {
    // The URL may hold a password: it is not repeated back.
  }
  if (!url || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')) {
    throw new StartupError(`${variable} is not a Postgres URL: write it as postgres://user:password@host:5432/database`)
  }
  return url
}

/** What can be told before SQLite tries the file: a missing directory, a directory in place of a file. */
function checkSqliteFile(file: string, variable: StorageVariable): void {
  const set = sqliteSetting(file, variable)
  if (file === ':memory:') return
  const path = resolve(file)
  const dir = dirname(path)
  if (!existsSync(dir)) {
    throw new StartupError(
      `${set} is in a directory that does not exist (${dir}): create it (mkdir -p ${dir}) or point ${variable} at a file in an existing directory`,
    )
  }
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new StartupError(
      `${set} is a directory: point ${variable} at a database file, e.g. ${sqliteSetting(`${file.replace(/\/+$/, '')}/telltale.db`, variable)}`,
    )
  }
}

/** How the person wrote the SQLite file: `TELLTALE_DB=./x.db` or `TELLTALE_STORAGE=sqlite:./x.db`. */
function sqliteSetting(file: string, variable: StorageVariable): string {
  return variable === 'TELLTALE_STORAGE' ? `TELLTALE_STORAGE=sqlite:${file}` : `${variable}=${file}`
}

/** `postgres://user:***@host:port/db`: the URL for printing, without its password. */
export function displayUrl(url: URL): string {
  const shown = new URL(url.href)
  if (shown.password) shown.password = '***'
  return shown.href
}

/** Where the playground stores, for its first line. */
export function describeDatabase(database: PlaygroundDatabase): string {
  switch (database.kind) {
    case 'sqlite':
      return database.file
    case 'postgres':
    case 'redis':
      return displayUrl(database.url)
    case 'kv':
      return database.driver === 'memory' ? 'kv:memory, gone when the process exits' : `kv:fs:${database.dir}`
  }
}

/**
 * The one line for an error thrown while starting (reading the config, opening the database,
 * migrating, listening), or `undefined` when the error is unexpected and should keep its stack.
 */
export function explainStartupError(error: unknown, config?: PlaygroundConfig): string | undefined {
  if (error instanceof StartupError) return error.message
  if (!config) return undefined
  const line = explainInPlaygroundTerms(error, config)
  if (line !== undefined) return line
  // telltale's own one-line configuration errors, under the variable that named the store.
  if (isTelltaleError(error) && (error.kind === 'config' || error.kind === 'unavailable'))
    return `${config.database.variable}: ${error.message.replace(/^telltale: /, '')}`
  return undefined
}

/** The errors the playground can word with the environment variables the person set. */
function explainInPlaygroundTerms(error: unknown, config: PlaygroundConfig): string | undefined {
  const code = driverErrorCode(error)

  if (code === 'EADDRINUSE') {
    return `port ${config.port} on ${config.host} is already in use: stop what is listening there, or start on another port, e.g. PORT=${config.port === 65535 ? 3000 : config.port + 1} npm start`
  }
  if (code === 'EACCES' && isListenError(error)) {
    return `no permission to listen on port ${config.port}: use a port above 1023, e.g. PORT=3000 npm start`
  }

  if (config.database.kind === 'sqlite') {
    const { file, variable } = config.database
    const set = sqliteSetting(file, variable)
    const dir = dirname(resolve(file))
    // Primary result code: SQLITE_READONLY_DIRECTORY is a SQLITE_READONLY.
    switch (code?.match(/^SQLITE_[A-Z]+/)?.[0]) {
      case 'SQLITE_CANTOPEN':
        return `${set} cannot be opened or created (can you write to ${dir}?): make the directory writable, or point ${variable} at a file in a directory you can write to`
      case 'SQLITE_READONLY':
      case 'SQLITE_PERM':
        return `${set} is read-only: make the file and ${dir} writable, or point ${variable} at another file`
      case 'SQLITE_NOTADB':
        return `${set} is not a SQLite database: point ${variable} at a new file or an existing telltale database`
      case 'SQLITE_CORRUPT':
        return `${set} is a damaged SQLite database: point ${variable} at a new file, or restore the database from a backup`
    }
    return undefined
  }

  if (config.database.kind === 'kv') {
    if (config.database.driver === 'fs' && (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')) {
      return `TELLTALE_STORAGE=kv:fs:${config.database.dir} cannot be written (${code}): make the directory writable, or point kv:fs: at a directory you can write to`
    }
    if (config.database.driver === 'fs' && code === 'ENOTDIR')
      return `TELLTALE_STORAGE=kv:fs:${config.database.dir} is a file: point kv:fs: at a directory`
    return undefined
  }

  if (config.database.kind === 'redis') return explainRedisError(error, code, config.database.url)

  const { url, variable } = config.database
  const host = url.hostname || 'localhost'
  const port = url.port || '5432'
  const database = decodeURIComponent(url.pathname.slice(1)) || decodeURIComponent(url.username) || 'postgres'
  const user = decodeURIComponent(url.username) || 'the default user'
  switch (code) {
    case 'ECONNREFUSED':
      return `no Postgres server answers at ${host}:${port} (connection refused): start Postgres, or fix the host and port in ${variable}`
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the Postgres host ${host} is not found: fix the host in ${variable}`
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `the Postgres server at ${host}:${port} cannot be reached (${code}): check that it runs and that the host and port in ${variable} are right`
    case '3D000': // invalid_catalog_name
      return `the Postgres database "${database}" does not exist on ${host}:${port}: create it (createdb -h ${host} -p ${port} ${database}) or fix the database name in ${variable}`
    case '28P01': // invalid_password
    case '28000': // invalid_authorization_specification: unknown role, no pg_hba.conf entry
      return `Postgres at ${host}:${port} refused the login as ${user} (${messageOf(error)}): fix the user and password in ${variable}`
    case '42501': // insufficient_privilege, e.g. no CREATE on the schema
      return `Postgres user ${user} may not create telltale's tables in "${database}" (${messageOf(error)}): grant it CREATE, or use another user or database in ${variable}`
  }
  // pg's SCRAM client throws a plain Error when the server asks for a password the URL lacks.
  if (/client password must be a string/.test(messageOf(error))) {
    return `Postgres at ${host}:${port} asks ${user} for a password: put it in ${variable} (postgres://user:password@host:port/database)`
  }
  return undefined
}

function explainRedisError(error: unknown, code: string | undefined, url: URL): string | undefined {
  const host = url.hostname || 'localhost'
  const port = url.port || '6379'
  switch (code) {
    case 'ECONNREFUSED':
      return `no Redis server answers at ${host}:${port} (connection refused): start Redis, or fix the host and port in TELLTALE_STORAGE`
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the Redis host ${host} is not found: fix the host in TELLTALE_STORAGE`
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `the Redis server at ${host}:${port} cannot be reached (${code}): check that it runs and that the host and port in TELLTALE_STORAGE are right`
  }
  const message = messageOf(error)
  if (/NOAUTH|WRONGPASS|invalid password|AUTH/i.test(message)) {
    return `Redis at ${host}:${port} refused the login (${message.split('\n')[0]}): put the right password in TELLTALE_STORAGE (redis://:password@${host}:${port})`
  }
  return undefined
}

function isListenError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { syscall?: unknown }).syscall === 'listen'
}

/** The driver's own message, under telltale's wording of it. */
const messageOf = driverErrorMessage
