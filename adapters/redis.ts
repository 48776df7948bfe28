import type { Redis } from 'ioredis'
import { configError, TelltaleError } from '../src/core/errors'
import type { Storage } from '../src/storage'
import { createRedisStorage, NewerSchemaError } from '../src/storage/redis'
import { importDriver, requireDriver } from './driver'

/** The driver, imported with this module; the factory reports it missing (see `importDriver`). */
const driver = await importDriver(() => import('ioredis'))

export type RedisStorageOptions = (
  | { /** `redis://user:pass@host:6379/0` (or `rediss://`). */ url: string; client?: never }
  | {
      /** An ioredis client you created yourself (`new Redis(...)`). telltale never quits it. */ client: IoRedisClient
      url?: never
    }
) & {
  /** Starts every key telltale writes, so several telltales share one Redis apart. Default `telltale:`. */
  prefix?: string
}

/**
 * An ioredis client, as far as telltale's public types need to say. Written out here so that
 * they do not import ioredis' own declarations (which need `@types/redis-errors` under
 * `skipLibCheck: false`); every ioredis `Redis` fits it as it is.
 */
export interface IoRedisClient {
  readonly status: string
  evalsha(...args: never[]): Promise<unknown>
  quit(): Promise<unknown>
}

/**
 * Redis through ioredis: events, rollups and records in one Redis (or a primary that replicas
 * follow). Every write and query is one Lua script or one command, atomic on the server. The
 * server is first reached by `ready()`; when it cannot be, the `TelltaleError` says what to fix.
 *
 * Redis Cluster is out of scope: the scripts compute their key names instead of declaring them,
 * and one call touches keys of many hash slots.
 */
export function redisStorage(options: RedisStorageOptions): Storage {
  if (!options || typeof options !== 'object')
    throw configError("redisStorage needs { url } or { client }: redisStorage({ url: 'redis://127.0.0.1:6379' })")
  const { url, prefix = 'telltale:' } = options
  const client = options.client as Redis | undefined
  if (url !== undefined && client !== undefined) throw configError('redisStorage takes { url } or { client }, not both')
  if (url === undefined && client === undefined)
    throw configError("redisStorage needs { url: 'redis://127.0.0.1:6379' } or { client } (an ioredis client)")
  if (url !== undefined && (typeof url !== 'string' || !/^(rediss?|unix):\/\//.test(url)))
    throw configError('redisStorage url must start with redis://, rediss:// or unix:// (e.g. redis://127.0.0.1:6379/0)')
  if (url?.startsWith('redis') && !URL.canParse(url))
    throw configError('redisStorage url is not a valid URL: write it as redis://:password@host:6379/0')
  if (
    client !== undefined &&
    (typeof client !== 'object' || client === null || typeof (client as Redis).evalsha !== 'function')
  )
    throw configError('redisStorage client must be an ioredis client (new Redis(...))')
  if ((client as { isCluster?: boolean } | undefined)?.isCluster)
    throw configError('redisStorage does not support Redis Cluster: pass a client of one Redis server (new Redis(...))')
  if (typeof prefix !== 'string' || prefix.length === 0)
    throw configError("redisStorage prefix must be a non-empty string, e.g. 'telltale:'")

  const owned = client === undefined
  // Connected by the first migrate(), so a Redis that does not answer fails the start with its
  // reason instead of queueing commands while ioredis retries forever.
  const redis = client ?? new (requireDriver(driver, 'ioredis', 'redisStorage').Redis)(url!, { lazyConnect: true })
  if (owned) reportErrors(redis)
  let connecting: Promise<void> | undefined
  const connect = () => {
    connecting ??= firstConnect(redis, url).catch((error) => {
      connecting = undefined
      throw error
    })
    return connecting
  }
  let quitting: Promise<void> | undefined
  const storage = createRedisStorage({
    client: redis,
    prefix,
    // Only quit the client telltale created; a client passed in stays the caller's.
    // Closing twice (telltale.close() and then the caller's) quits once.
    onClose: () =>
      (quitting ??=
        owned && redis.status !== 'wait' && redis.status !== 'end' ? redis.quit().then(() => {}) : Promise.resolve()),
  })
  return {
    ...storage,
    async migrate() {
      if (owned && (redis.status === 'wait' || redis.status === 'end')) await connect()
      await selectDatabase(redis, url).catch((error) => {
        if (owned) redis.disconnect() // nothing may be written to database 0 instead
        throw error
      })
      await storage.migrate().catch((error) => {
        throw error instanceof NewerSchemaError ? configError(error.message, error) : error
      })
    },
  }
}

/**
 * Opens the connection once. On failure it stops ioredis' retries and throws one line with the
 * socket's reason (its `code`, ECONNREFUSED or ENOTFOUND, stays on the `cause`).
 */
async function firstConnect(redis: Redis, url: string | undefined): Promise<void> {
  let reason: (Error & { code?: string }) | undefined
  const remember = (error: Error) => {
    reason ??= error
  }
  redis.on('error', remember)
  try {
    await redis.connect()
  } catch (error) {
    redis.disconnect()
    const cause: Error & { code?: string } = reason ?? (error as Error)
    const where = url ? `Redis at ${new URL(url).host || url}` : 'Redis (your client)'
    const fix = url ? 'the url' : 'your client'
    if (/NOAUTH|WRONGPASS|invalid password|invalid username/i.test(cause.message))
      throw configError(
        `${where} refused the login (${cause.message.split('\n')[0]}): put the right user and password in ${fix} (redis://user:password@host:6379)`,
        cause,
      )
    if (cause.code === 'ENOTFOUND' || cause.code === 'EAI_AGAIN')
      throw configError(`the Redis host of ${fix} is not found (${cause.message}): fix the host`, cause)
    throw new TelltaleError(
      'unavailable',
      `telltale: ${where} does not answer (${cause.message}): start it, or fix ${fix}`,
      { cause },
    )
  } finally {
    redis.off('error', remember)
  }
}

/**
 * ioredis selects the url's database after connecting, and when the server has no such database
 * it only emits an error and goes on in database 0: everything would land where nobody looks. The
 * database is selected again here, where a refusal can fail the start.
 */
async function selectDatabase(redis: Redis, url: string | undefined): Promise<void> {
  const db = Number(redis.options.db ?? 0)
  if (db === 0) return
  try {
    await redis.select(db)
  } catch (error) {
    const fix = url ? 'the url (redis://host:6379/<db>)' : "your client's db option"
    throw configError(
      `this Redis has no database ${db} (${(error as Error).message}): use one it has (0 to 15 by default) in ${fix}, or raise "databases" in redis.conf`,
      error,
    )
  }
}

/**
 * ioredis prints every connection error of a client without a listener; say it once per outage
 * instead. Before the first connection, `firstConnect` reports (throws) instead.
 */
function reportErrors(redis: Redis): void {
  let reported = true
  redis.on('error', (error: Error) => {
    if (!reported) console.error(`[telltale] redis: ${error.message} (retrying)`)
    reported = true
  })
  redis.on('ready', () => {
    reported = false
  })
}
