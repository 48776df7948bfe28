// Redis for tests: the URL from the environment, and throwaway key prefixes.
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'

export const REDIS_URL_ENV = 'TELLTALE_TEST_REDIS_URL'

/**
 * The test Redis URL (`TELLTALE_TEST_REDIS_URL`), or `undefined` to skip Redis tests locally. In
 * CI (`CI=true`) a missing URL throws: the Redis suite must not silently skip there.
 */
export function redisTestUrl(): string | undefined {
  const url = process.env[REDIS_URL_ENV]
  if (url) return url
  if (process.env.CI === 'true') throw new Error(`${REDIS_URL_ENV} is not set: CI must run the Redis tests`)
  return undefined
}

/** Why Redis tests are skipped, for `it.skip`. */
export const redisSkipReason = `${REDIS_URL_ENV} is not set (e.g. redis://127.0.0.1:6379)`

/** A fresh key prefix, `tt_test_<random hex>:`, unique per call. */
export function testRedisPrefix(): string {
  return `tt_test_${randomBytes(6).toString('hex')}:`
}

/** The prefix as a SCAN MATCH pattern: glob characters escaped, then `*`. */
const globOf = (prefix: string) => `${prefix.replace(/[\\*?[\]^]/g, (c) => `\\${c}`)}*`

/** Deletes every key that starts with `prefix` (SCAN + UNLINK), on a short-lived client of its own. */
export async function dropRedisPrefix(url: string, prefix: string): Promise<number> {
  const client = new Redis(url)
  let deleted = 0
  try {
    let cursor = '0'
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', globOf(prefix), 'COUNT', 1000)
      cursor = next
      if (keys.length > 0) deleted += await client.unlink(...keys)
    } while (cursor !== '0')
  } finally {
    await client.quit()
  }
  return deleted
}
