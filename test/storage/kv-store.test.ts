// The KvStore conformance suite (conformance/kv-store.ts) on every backend that implements the
// primitives: unstorage's memory and fs drivers (through unstorageKv) and Redis (redisKv, one Lua
// script each). A new backend passes it before anything is built on it.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { createStorage } from 'unstorage'
import fsDriver from 'unstorage/drivers/fs'
import { afterAll, describe, it } from 'vitest'
import { unstorageKv } from '../../src/storage/kv/unstorage'
import { redisKv } from '../../src/storage/redis'
import { dropRedisPrefix, redisSkipReason, redisTestUrl, testRedisPrefix } from '../helpers/redis'
import { kvStoreConformance } from './conformance/kv-store'

// unstorage memory and fs, through one Storage object each (as kvStorage shares them).
const memory = createStorage()
describe('KvStore conformance: unstorage memory', () => kvStoreConformance(() => unstorageKv(memory)))

const dir = mkdtempSync(join(tmpdir(), 'telltale-kvstore-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const fs = createStorage({ driver: fsDriver({ base: dir }) })
describe('KvStore conformance: unstorage fs', () => kvStoreConformance(() => unstorageKv(fs)))

const url = redisTestUrl()
if (!url) it.skip(`KvStore conformance: Redis: ${redisSkipReason}`)
else {
  const prefix = testRedisPrefix()
  const client = new Redis(url)
  afterAll(async () => {
    await dropRedisPrefix(url, prefix)
    client.disconnect()
  })
  describe('KvStore conformance: Redis', () => kvStoreConformance(() => redisKv(client, prefix)))
}
