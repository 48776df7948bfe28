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

/**
 * An adapter on a server shared by every test run: each store is a throwaway namespace on it (a
 * Postgres schema, created by migrate(); a Redis key prefix), removed by cleanup() or drop().
 */
function serverAdapter(
  name: AdapterName,
  space: { create(): string; open(space: string): Storage; drop(space: string): Promise<unknown> },
): TestAdapter {
  const opener = (namespace: string) => () => {
    const storage = space.open(namespace)
    return { storage, cleanup: () => storage.close() }
  }
  return {
    name,
    open() {
      const namespace = space.create()
      const { storage, cleanup } = opener(namespace)()
      return {
        storage,
        async cleanup() {
          await cleanup()
          await space.drop(namespace)
        },
      }
    },
    shared() {
      const namespace = space.create()
      return { open: opener(namespace), drop: async () => void (await space.drop(namespace)) }
    },
  }
}

export const postgresAdapter = (url: string): TestAdapter =>
  serverAdapter('postgres', {
    create: () => testSchemaName(),
    open: (schema) => postgresStorage({ connectionString: url, schema, max: 4 }),
    drop: (schema) => dropSchema(url, schema),
  })

export const redisAdapter = (url: string): TestAdapter =>
  serverAdapter('redis', {
    create: () => testRedisPrefix(),
    open: (prefix) => redisStorage({ url, prefix }),
    drop: (prefix) => dropRedisPrefix(url, prefix),
  })

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
