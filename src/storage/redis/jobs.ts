import type { Redis } from 'ioredis'
import { byDueTime, checkClaimDue, claimableAfterLease, type DueJob, type DueJobRepository } from '../jobs'
import { kvKey } from '../kv'
import { redisScript } from './script'

/**
 * Items claimed in batches, natively: a claim is one Lua script (one round trip, atomic) over a
 * ZSET per kind, so concurrent claimers never share an item. Layout, each segment `kvKey`-encoded:
 *
 * - `{prefix}due:q:{kind}`                    ZSET of the kind's items: member `{projectId}:{key}`,
 *                                             score the time it may be claimed (its due time while
 *                                             unclaimed, its lease's end + 1 while claimed), so every
 *                                             member scored up to `now` is claimable;
 * - `{prefix}due:i:{kind}:{projectId}:{key}`  HASH, the item: `p` projectId, `k` key, `d` dueAt,
 *                                             `o` owner and `l` leaseUntil (absent when unclaimed),
 *                                             `a` attempts.
 *
 * Every script writes both in one step. Numbers cross as decimal strings made in JS (epoch ms).
 */

// ARGV: zset, item hash, member, projectId, key, dueAt. Answers d, o, l, a as stored after the call.
const scheduleScript = redisScript(`
local item = redis.call('HMGET', ARGV[2], 'd', 'o', 'l', 'a')
if item[1] then
  if item[2] then return item end
  redis.call('HSET', ARGV[2], 'd', ARGV[6])
  redis.call('ZADD', ARGV[1], ARGV[6], ARGV[3])
  item[1] = ARGV[6]
  return item
end
redis.call('HSET', ARGV[2], 'p', ARGV[4], 'k', ARGV[5], 'd', ARGV[6], 'a', '0')
redis.call('ZADD', ARGV[1], ARGV[6], ARGV[3])
return {ARGV[6], false, false, '0'}`)

// ARGV: zset, item hash prefix ({prefix}due:i:{kind}:), now, leaseUntil, claimable again at, owner,
// limit. Answers p, k, d, a of each item it claimed, in the zset's order. At most `limit` items.
const claimScript = redisScript(`
local out = {}
for _, m in ipairs(redis.call('ZRANGEBYSCORE', ARGV[1], '-inf', ARGV[3], 'LIMIT', '0', ARGV[7])) do
  local h = ARGV[2] .. m
  if redis.call('EXISTS', h) == 1 then
    local a = redis.call('HINCRBY', h, 'a', 1)
    redis.call('HSET', h, 'o', ARGV[6], 'l', ARGV[4])
    redis.call('ZADD', ARGV[1], ARGV[5], m)
    local f = redis.call('HMGET', h, 'p', 'k', 'd')
    out[#out + 1] = f[1]
    out[#out + 1] = f[2]
    out[#out + 1] = f[3]
    out[#out + 1] = tostring(a)
  else
    redis.call('ZREM', ARGV[1], m)
  end
end
return out`)

// ARGV: zset, item hash, member, owner, nextDueAt. 1 when owner held it (and no longer does).
const completeScript = redisScript(`
if redis.call('HGET', ARGV[2], 'o') ~= ARGV[4] then return 0 end
redis.call('HDEL', ARGV[2], 'o', 'l')
redis.call('HSET', ARGV[2], 'd', ARGV[5], 'a', '0')
redis.call('ZADD', ARGV[1], ARGV[5], ARGV[3])
return 1`)

// ARGV: zset, item hash, member. 1 when the item existed.
const unscheduleScript = redisScript(`
redis.call('ZREM', ARGV[1], ARGV[3])
return redis.call('DEL', ARGV[2])`)

type Field = string | null

/** `DueJobRepository` on Redis: every write one script, so each is atomic. */
export function redisDueJobs(client: Redis, prefix: string): DueJobRepository {
  const queue = (kind: string) => `${prefix}due:q:${kvKey(kind)}`
  const itemBase = (kind: string) => `${prefix}due:i:${kvKey(kind)}:`
  const member = (projectId: string, key: string) => kvKey(projectId, key)
  const keys = (kind: string, projectId: string, key: string) => {
    const m = member(projectId, key)
    return [queue(kind), itemBase(kind) + m, m]
  }
  const toItem = (kind: string, projectId: string, key: string, [d, o, l, a]: Field[]): DueJob => ({
    kind,
    projectId,
    key,
    dueAt: Number(d),
    owner: o,
    leaseUntil: l === null ? null : Number(l),
    attempts: Number(a),
  })
  return {
    async schedule({ kind, projectId, key, dueAt }) {
      const stored = (await scheduleScript(client, [
        ...keys(kind, projectId, key),
        projectId,
        key,
        String(dueAt),
      ])) as Field[]
      return toItem(kind, projectId, key, stored)
    },
    async claimDue({ kind, now, owner, leaseMs, limit }) {
      checkClaimDue({ limit, leaseMs })
      const leaseUntil = now + leaseMs
      const flat = (await claimScript(client, [
        queue(kind),
        itemBase(kind),
        String(now),
        String(leaseUntil),
        String(claimableAfterLease(leaseUntil)),
        owner,
        String(limit),
      ])) as string[]
      const claimed: DueJob[] = []
      for (let i = 0; i < flat.length; i += 4) {
        const [projectId, key, d, a] = flat.slice(i, i + 4)
        claimed.push(toItem(kind, projectId, key, [d, owner, String(leaseUntil), a]))
      }
      return claimed.sort(byDueTime)
    },
    completeDue: async ({ kind, projectId, key, owner, nextDueAt }) =>
      (await completeScript(client, [...keys(kind, projectId, key), owner, String(nextDueAt)])) === 1,
    async getDue({ kind, projectId, key }) {
      const [, hash] = keys(kind, projectId, key)
      const stored = await client.hmget(hash, 'd', 'o', 'l', 'a')
      return stored[0] === null ? undefined : toItem(kind, projectId, key, stored)
    },
    unschedule: async ({ kind, projectId, key }) => (await unscheduleScript(client, keys(kind, projectId, key))) === 1,
  }
}
