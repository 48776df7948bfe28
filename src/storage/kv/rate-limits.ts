import type { RateLimitRepository } from '../rate-limits'
import { type KvStore, kvKey, lastSegment } from './store'

/**
 * One counter per window: `rl:{projectId}:{bucket}:{windowEnd}`, added to atomically
 * (`increment`: INCRBY on Redis). Counters expire on their own a minute after their window could
 * have ended; `purge` removes the ones that ended before it runs (a backend without expiry).
 */
export function kvRateLimits(kv: KvStore): RateLimitRepository {
  return {
    async hit({ projectId, bucket, windowMs, now, count = 1 }) {
      const windowEnd = Math.floor(now / windowMs) * windowMs + windowMs
      const total = await kv.increment(kvKey('rl', projectId, bucket, windowEnd), count, { ttlMs: windowMs + 60_000 })
      return { count: total, resetAt: windowEnd }
    },
    async purge({ before }) {
      const ended = (await kv.scan('rl:')).filter((key) => Number(lastSegment(key)) < before)
      const deleted = await Promise.all(ended.map((key) => kv.delete(key)))
      return deleted.filter(Boolean).length
    },
  }
}
