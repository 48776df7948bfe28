import type { Kysely } from 'kysely'
import type { Storage } from '../index'
import type { SqlDialect } from './dialect'
import { createEventWriter, kyselyTransaction, type RawTransaction } from './event-writer'
import { sqlEvents } from './events'
import { sqlJobs } from './jobs'
import { sqlKeys } from './keys'
import { sqlMetrics } from './metrics'
import { migrateToLatest } from './migrations'
import { sqlProjects } from './projects'
import { sqlRateLimits } from './rate-limits'
import type { Database } from './schema'
import { sqlSequences } from './sequences'
import { sqlSettings } from './settings'
import { sqlUsers } from './users'

export { postgresDialect, sqliteDialect } from './dialect'
export type { RawQuery, RawTransaction } from './event-writer'

/**
 * The Storage contract over any Kysely database. The SQLite and Postgres adapters are thin
 * factories around this; only `SqlDialect` differs between them.
 */
export function createSqlStorage(options: {
  db: Kysely<Database>
  dialect: SqlDialect
  onClose?: () => Promise<void>
  /** How event writes run their transaction (default: through kysely). SQLite passes a faster one. */
  transaction?: RawTransaction
}): Storage {
  const { db, dialect } = options
  const writer = createEventWriter(options.transaction ?? kyselyTransaction(db), dialect.name)
  return {
    name: dialect.name,
    migrate: () => migrateToLatest(db, dialect),
    close: async () => {
      await writer.drain() // acknowledged inserts are committed before the database closes
      await options.onClose?.()
    },
    projects: sqlProjects(db, dialect),
    keys: sqlKeys(db),
    events: sqlEvents(db, dialect, writer),
    rateLimits: sqlRateLimits(db),
    jobs: sqlJobs(db, dialect),
    metrics: sqlMetrics(db, dialect),
    users: sqlUsers(db, dialect),
    sequences: sqlSequences(db),
    settings: sqlSettings(db),
  }
}
