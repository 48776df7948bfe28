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
  const redis = client ?? new Redis(url!, { lazyConnect: false })
  return createRedisStorage({
    client: redis,
    prefix,
    // Only quit the client telltale created; a client passed in stays the caller's.
    // Closing twice (telltale.close() and then the caller's) quits once.
    onClose: () => (quitting ??= owned ? redis.quit().then(() => {}) : Promise.resolve()),
  })
}
