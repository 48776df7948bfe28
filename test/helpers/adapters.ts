// The storage adapters every surface test runs on. `TELLTALE_TEST_ADAPTER` (set per vitest project
// in vitest.config.ts) picks the one `testStorage()` opens: the same HTTP test files then run on
// SQLite and on Postgres and must get the same answers.
import { postgresStorage } from 'telltale/adapters/postgres'
import { sqliteStorage } from 'telltale/adapters/sqlite'
import type { Storage } from '../../src/storage'
import { dropSchema, postgresSkipReason, postgresTestUrl, testSchemaName } from './postgres'

export type AdapterName = 'sqlite' | 'postgres'

export interface TestStorage {
  storage: Storage
  /** Closes the storage and removes what it created (a Postgres schema). */
  cleanup(): Promise<void>
}

export interface TestAdapter {
  name: AdapterName
  /** A fresh, empty store. */
  open(): TestStorage
}

export const sqliteAdapter: TestAdapter = {
  name: 'sqlite',
  open() {
    const storage = sqliteStorage({ file: ':memory:' })
    return { storage, cleanup: () => storage.close() }
  },
}

export function postgresAdapter(url: string): TestAdapter {
  return {
    name: 'postgres',
    open() {
      // A throwaway schema per store, created by migrate() and dropped by cleanup().
      const schema = testSchemaName()
      const storage = postgresStorage({ connectionString: url, schema, max: 4 })
      return {
        storage,
        async cleanup() {
          await storage.close()
          await dropSchema(url, schema)
        },
      }
    },
  }
}

/** Every adapter this run can reach (Postgres only with its URL; under CI a missing URL throws). */
export function testAdapters(): TestAdapter[] {
  const url = postgresTestUrl()
  if (!url) console.warn(`[test] postgres skipped: ${postgresSkipReason}`)
  return url ? [sqliteAdapter, postgresAdapter(url)] : [sqliteAdapter]
}

/** The adapter of this vitest project (`TELLTALE_TEST_ADAPTER`, default sqlite). */
export function currentAdapter(): TestAdapter {
  if (process.env.TELLTALE_TEST_ADAPTER !== 'postgres') return sqliteAdapter
  const url = postgresTestUrl()
  if (!url) throw new Error(`TELLTALE_TEST_ADAPTER=postgres needs ${postgresSkipReason}`)
  return postgresAdapter(url)
}
