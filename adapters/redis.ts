import { Redis } from 'ioredis'
import type { Storage } from '../src/storage'
import { createRedisStorage } from '../src/storage/redis'

export type RedisStorageOptions = (
  | { /** `redis://user:pass@host:6379/0` (or `rediss://`). */ url: string; client?: never }
  | { /** An ioredis client you created yourself. telltale never quits it. */ client: Redis; url?: never }
) & {
  /** Starts every key telltale writes, so several telltales share one Redis apart. Default `telltale:`. */
  prefix?: string
}

/**
 * Redis through ioredis: events, rollups and records in one Redis (or a primary that replicas
 * follow). Every write and query is one Lua script or one command, atomic on the server.
 *
 * Redis Cluster is out of scope: the scripts compute their key names instead of declaring them,
 * and one call touches keys of many hash slots.
 */
export function redisStorage(options: RedisStorageOptions): Storage {
  if (!options || typeof options !== 'object') throw new Error('telltale: redisStorage needs { url } or { client }')
  const { url, client, prefix = 'telltale:' } = options
  if (url !== undefined && client !== undefined) throw new Error('telltale: redisStorage takes { url } or { client }, not both')
  if (url === undefined && client === undefined) throw new Error('telltale: redisStorage needs { url: "redis://..." } or { client } (an ioredis client)')
  if (url !== undefined && (typeof url !== 'string' || !/^(rediss?|unix):\/\//.test(url)))
    throw new Error(`telltale: redisStorage url must start with redis://, rediss:// or unix:// (got ${JSON.stringify(url)})`)
  if (client !== undefined && (typeof client !== 'object' || client === null || typeof (client as Redis).evalsha !== 'function'))
    throw new Error('telltale: redisStorage client must be an ioredis client (new Redis(...))')
  if ((client as { isCluster?: boolean } | undefined)?.isCluster)
    throw new Error('telltale: redisStorage does not support Redis Cluster: pass a client of one Redis server (new Redis(...))')
  if (typeof prefix !== 'string' || prefix.length === 0) throw new Error('telltale: redisStorage prefix must be a non-empty string, e.g. "telltale:"')

  const owned = client === undefined
  let quitting: Promise<void> | undefined
  // Connected by the first migrate(), so a Redis that does not answer fails the start with its
  // reason instead of queueing commands while ioredis retries forever.
  const redis = client ?? new Redis(url!, { lazyConnect: true })
  if (owned) reportErrors(redis)
  let connecting: Promise<void> | undefined
  const connect = () => {
    connecting ??= firstConnect(redis, url!).catch((error) => {
      connecting = undefined
      throw error
    })
    return connecting
  }
  const storage = createRedisStorage({
    client: redis,
    prefix,
    // Only quit the client telltale created; a client passed in stays the caller's.
    // Closing twice (telltale.close() and then the caller's) quits once.
    onClose: () => (quitting ??= owned && redis.status !== 'wait' && redis.status !== 'end' ? redis.quit().then(() => {}) : Promise.resolve()),
  })
  return {
    ...storage,
    async migrate() {
      if (owned && (redis.status === 'wait' || redis.status === 'end')) await connect()
      await storage.migrate()
    },
  }
}

/**
 * Opens the connection once. On failure it stops ioredis' retries and throws one line with the
 * socket's reason, keeping its `code` (ECONNREFUSED, ENOTFOUND...) for callers that explain it.
 */
async function firstConnect(redis: Redis, url: string): Promise<void> {
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
    const where = new URL(url).host || url
    throw Object.assign(new Error(`telltale: Redis at ${where} does not answer (${cause.message}): start it, or fix the url`, { cause }), { code: cause.code })
  } finally {
    redis.off('error', remember)
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
