import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'

/** A Lua script run as EVALSHA, loaded on the first NOSCRIPT (a restarted or flushed server). */
export type RedisScript = (client: Redis, args: Array<string | number>) => Promise<unknown>

/**
 * Scripts are called through `evalsha` on the client as given, not `defineCommand`: that would add
 * methods to a client the user passed in. Every script declares no keys (numkeys 0): telltale
 * computes key names inside the script, which Redis allows outside Cluster (out of scope).
 */
export function redisScript(source: string): RedisScript {
  const sha = createHash('sha1').update(source).digest('hex')
  return async (client, args) => {
    try {
      return await client.evalsha(sha, 0, ...args)
    } catch (error) {
      if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error
      return client.eval(source, 0, ...args)
    }
  }
}

/**
 * Lua helpers shared by the scripts. Redis converts Lua numbers to integers in replies and formats
 * number arguments of `redis.call` with 14 digits, so numbers cross both ways as `%.17g` strings.
 * `enc` percent-encodes every byte but [A-Za-z0-9_-] (upper hex), as `kvKey` does, so a raw name,
 * tag key or tag value never adds a `:` to a key. The keys it builds are only ever built in Lua
 * (`kvKey` also writes an empty segment as `~`, which unstorage needs and Redis does not).
 */
export const LUA_HELPERS = `
local function fmt(x) return string.format('%.17g', x) end
local function enc(s) return (string.gsub(s, '[^%w_%-]', function(c) return string.format('%%%02X', string.byte(c)) end)) end
`
