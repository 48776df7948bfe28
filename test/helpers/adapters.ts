// The storage adapters every surface test runs on. `TELLTALE_TEST_ADAPTER` (set per vitest project
// in vitest.config.ts) picks the one `testStorage()` opens: the same HTTP test files then run on
// SQLite, Postgres, Redis and kv (unstorage's memory driver) and must get the same answers.
import { kvStorage } from 'telltale/adapters/kv'
import { postgresStorage } from 'telltale/adapters/postgres'
import { redisStorage } from 'telltale/adapters/redis'
import { sqliteStorage } from 'telltale/adapters/sqlite'
import { createStorage } from 'unstorage'
import type { Storage } from '../../src/storage'
import { dropSchema, postgresSkipReason, postgresTestUrl, testSchemaName } from './postgres'
import { dropRedisPrefix, redisSkipReason, redisTestUrl, testRedisPrefix } from './redis'
import { tempSqliteFile } from './sqlite'

export const ADAPTER_NAMES = ['sqlite', 'postgres', 'redis', 'kv'] as const
export type AdapterName = (typeof ADAPTER_NAMES)[number]

export interface TestStorage {
  storage: Storage
  /** Closes the storage and removes what it created (a Postgres schema, Redis keys). */
  cleanup(): Promise<void>
}

export interface TestAdapter {
  name: AdapterName
  /** A fresh, empty store. */
  open(): TestStorage
  /**
   * A shared store: every `open()` of the returned adapter is another instance on the same
   * backing store (as app instances share one database); `drop()` removes it.
   */
  shared?(): { open(): TestStorage; drop(): Promise<void> }
}

export const sqliteAdapter: TestAdapter = {
  name: 'sqlite',
  open() {
    const storage = sqliteStorage({ file: ':memory:' })
    return { storage, cleanup: () => storage.close() }
  },
  shared() {
    const temp = tempSqliteFile('shared')
    return {
      open: () => {
        const storage = sqliteStorage({ file: temp.file })
        return { storage, cleanup: () => storage.close() }
      },
      drop: async () => temp.remove(),
    }
  },
}

export function postgresAdapter(url: string): TestAdapter {
  const shared = (schema: string) => () => {
    const storage = postgresStorage({ connectionString: url, schema, max: 4 })
    return { storage, cleanup: () => storage.close() }
  }
  return {
    name: 'postgres',
    open() {
      // A throwaway schema per store, created by migrate() and dropped by cleanup().
      const schema = testSchemaName()
      const { storage, cleanup } = shared(schema)()
      return {
        storage,
        async cleanup() {
          await cleanup()
          await dropSchema(url, schema)
        },
      }
    },
    shared() {
      const schema = testSchemaName()
      return { open: shared(schema), drop: () => dropSchema(url, schema) }
    },
  }
}

export function redisAdapter(url: string): TestAdapter {
  const shared = (prefix: string) => () => {
    const storage = redisStorage({ url, prefix })
    return { storage, cleanup: () => storage.close() }
  }
  return {
    name: 'redis',
    open() {
      // A throwaway key prefix per store; cleanup() deletes every key under it.
      const prefix = testRedisPrefix()
      const { storage, cleanup } = shared(prefix)()
      return {
        storage,
        async cleanup() {
          await cleanup()
          await dropRedisPrefix(url, prefix)
        },
      }
    },
    shared() {
      const prefix = testRedisPrefix()
      return { open: shared(prefix), drop: async () => void (await dropRedisPrefix(url, prefix)) }
    },
  }
}

export const kvAdapter: TestAdapter = {
  name: 'kv',
  open() {
    const storage = kvStorage({ storage: createStorage() })
    return { storage, cleanup: () => storage.close() }
  },
  shared() {
    const memory = createStorage()
    return {
      open: () => {
        const storage = kvStorage({ storage: memory })
        return { storage, cleanup: () => storage.close() }
      },
      drop: () => memory.dispose(),
    }
  },
}

/** Every adapter this run can reach (Postgres and Redis only with their URLs; under CI a missing URL throws). */
export function testAdapters(): TestAdapter[] {
  const adapters: TestAdapter[] = [sqliteAdapter]
  const postgres = postgresTestUrl()
  if (postgres) adapters.push(postgresAdapter(postgres))
  else console.warn(`[test] postgres skipped: ${postgresSkipReason}`)
  const redis = redisTestUrl()
  if (redis) adapters.push(redisAdapter(redis))
  else console.warn(`[test] redis skipped: ${redisSkipReason}`)
  adapters.push(kvAdapter)
  return adapters
}

/** The adapter of this vitest project (`TELLTALE_TEST_ADAPTER`, default sqlite). */
export function currentAdapter(): TestAdapter {
  const name = process.env.TELLTALE_TEST_ADAPTER ?? 'sqlite'
  switch (name) {
    case 'sqlite':
      return sqliteAdapter
    case 'kv':
      return kvAdapter
    case 'postgres': {
      const url = postgresTestUrl()
      if (!url) throw new Error(`TELLTALE_TEST_ADAPTER=postgres needs ${postgresSkipReason}`)
      return postgresAdapter(url)
    }
    case 'redis': {
      const url = redisTestUrl()
      if (!url) throw new Error(`TELLTALE_TEST_ADAPTER=redis needs ${redisSkipReason}`)
      return redisAdapter(url)
    }
    default:
      throw new Error(`TELLTALE_TEST_ADAPTER must be one of ${ADAPTER_NAMES.join(', ')}, not ${name}`)
  }
}
