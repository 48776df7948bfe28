import type { Redis } from 'ioredis'
import type { Storage } from '../index'
import { kvRecords } from '../kv'
import { redisEvents } from './events'
import { redisDueJobs } from './jobs'
import { redisKv } from './kv'
import { redisScript } from './script'

export { redisKv } from './kv'

/** The layout version this code writes. Bump it with a step in `migrateScript` when the layout changes. */
export const REDIS_SCHEMA_VERSION = 1

/**
 * `{prefix}schema` holds the layout version. One script reads and sets it, so several instances
 * migrating at once see one outcome: the first writes the version, the others find it. A newer
 * version than this code knows is refused (answers `newer:<version>`), never downgraded.
 */
const migrateScript = redisScript(`
local current = tonumber(redis.call('GET', ARGV[1]) or '0')
local target = tonumber(ARGV[2])
if current > target then return 'newer:' .. current end
if current < target then redis.call('SET', ARGV[1], ARGV[2]) end
return 'ok'`)

/** Data under `prefix` written by a newer telltale: the adapter reports it as a configuration error. */
export class NewerSchemaError extends Error {
  constructor(
    readonly prefix: string,
    readonly version: number,
  ) {
    super(
      `the Redis data under prefix "${prefix}" has schema version ${version}, newer than this telltale knows (${REDIS_SCHEMA_VERSION}): upgrade telltale`,
    )
    this.name = 'NewerSchemaError'
  }
}

/** The Storage contract on one ioredis client; every key starts with `prefix`. */
export function createRedisStorage(options: { client: Redis; prefix: string; onClose?: () => Promise<void> }): Storage {
  const { client, prefix } = options
  const records = kvRecords(redisKv(client, prefix))
  return {
    name: 'redis',
    async migrate() {
      const answer = String(await migrateScript(client, [`${prefix}schema`, String(REDIS_SCHEMA_VERSION)]))
      if (answer.startsWith('newer:')) throw new NewerSchemaError(prefix, Number(answer.slice(6)))
    },
    close: async () => {
      await options.onClose?.()
    },
    ...records,
    // Per-project jobs are kv records; batch claims need a ZSET and one script (redis/jobs.ts).
    jobs: { ...records.jobs, ...redisDueJobs(client, prefix) },
    events: redisEvents(client, prefix),
  }
}
