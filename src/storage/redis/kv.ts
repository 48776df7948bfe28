import type { Redis } from 'ioredis'
import type { KvStore } from '../kv'
import { redisScript } from './script'

/**
 * Every key `k` of the record repositories lives at `{prefix}kv:{k}`, and `{prefix}kv-index` (outside
 * `kv:`, so no `k` can name it) is a ZSET (all scores 0) of the live `k`s in byte order: `scan(prefix)` is a ZRANGEBYLEX over it, never
 * a SCAN of the keyspace (which would walk every event key). The scripts that create or delete a
 * key keep the index in the same atomic step. A key that expired (TTL) leaves its entry behind
 * until a scan meets it and drops it.
 */

// ARGV: data key, index key, k, value, ttlMs ('' for none)
const set = redisScript(`
if ARGV[5] ~= '' then redis.call('SET', ARGV[1], ARGV[4], 'PX', ARGV[5]) else redis.call('SET', ARGV[1], ARGV[4]) end
redis.call('ZADD', ARGV[2], 0, ARGV[3])
return 1`)

// ARGV: data key, index key, k, value, ttlMs ('' for none)
const setIfAbsent = redisScript(`
local written
if ARGV[5] ~= '' then written = redis.call('SET', ARGV[1], ARGV[4], 'NX', 'PX', ARGV[5]) else written = redis.call('SET', ARGV[1], ARGV[4], 'NX') end
if not written then return 0 end
redis.call('ZADD', ARGV[2], 0, ARGV[3])
return 1`)

// ARGV: data key, index key, k, expected ('' with ARGV[5] = '0' for "absent"), value, expected given ('1'/'0')
// A replaced value keeps the key's TTL (KEEPTTL).
const compareAndSet = redisScript(`
local current = redis.call('GET', ARGV[1])
if ARGV[6] == '0' then
  if current then return 0 end
  redis.call('SET', ARGV[1], ARGV[5])
  redis.call('ZADD', ARGV[2], 0, ARGV[3])
  return 1
end
if current ~= ARGV[4] then return 0 end
redis.call('SET', ARGV[1], ARGV[5], 'KEEPTTL')
return 1`)

// ARGV: data key, index key, k, by, ttlMs ('' for none). The TTL is set only by the call that creates the counter.
const increment = redisScript(`
local existed = redis.call('EXISTS', ARGV[1]) == 1
local total = redis.call('INCRBY', ARGV[1], ARGV[4])
if not existed then
  redis.call('ZADD', ARGV[2], 0, ARGV[3])
  if ARGV[5] ~= '' then redis.call('PEXPIRE', ARGV[1], ARGV[5]) end
end
return tostring(total)`)

// ARGV: data key, index key, k
const remove = redisScript(`
redis.call('ZREM', ARGV[2], ARGV[3])
return redis.call('DEL', ARGV[1])`)

// ARGV: data key prefix ({prefix}kv:), index key, scan prefix. Entries whose key expired are dropped.
const scan = redisScript(`
local from, to = '-', '+'
local p = ARGV[3]
if p ~= '' then
  from = '[' .. p
  local i = #p
  while i > 0 and string.byte(p, i) == 255 do i = i - 1 end
  if i > 0 then to = '(' .. string.sub(p, 1, i - 1) .. string.char(string.byte(p, i) + 1) end
end
local live = {}
for _, k in ipairs(redis.call('ZRANGEBYLEX', ARGV[2], from, to)) do
  if redis.call('EXISTS', ARGV[1] .. k) == 1 then live[#live + 1] = k else redis.call('ZREM', ARGV[2], k) end
end
return live`)

/** The `KvStore` primitives on Redis: each one command or one Lua script, so each is atomic. */
export function redisKv(client: Redis, prefix: string, options: { onClose?: () => Promise<void> } = {}): KvStore {
  const dataPrefix = `${prefix}kv:`
  const index = `${prefix}kv-index`
  const data = (key: string) => dataPrefix + key
  const ttl = (options?: { ttlMs?: number }) =>
    options?.ttlMs === undefined ? '' : String(Math.max(1, Math.ceil(options.ttlMs)))
  return {
    get: async (key) => (await client.get(data(key))) ?? undefined,
    async getMany(keys) {
      if (keys.length === 0) return []
      return (await client.mget(keys.map(data))).map((value) => value ?? undefined)
    },
    async set(key, value, options) {
      await set(client, [data(key), index, key, value, ttl(options)])
    },
    setIfAbsent: async (key, value, options) =>
      (await setIfAbsent(client, [data(key), index, key, value, ttl(options)])) === 1,
    compareAndSet: async (key, expected, value) =>
      (await compareAndSet(client, [
        data(key),
        index,
        key,
        expected ?? '',
        value,
        expected === undefined ? '0' : '1',
      ])) === 1,
    increment: async (key, by, options) =>
      Number(await increment(client, [data(key), index, key, String(by), ttl(options)])),
    delete: async (key) => (await remove(client, [data(key), index, key])) === 1,
    scan: async (keyPrefix) => (await scan(client, [dataPrefix, index, keyPrefix])) as string[],
    close: async () => {
      await options.onClose?.()
    },
  }
}
