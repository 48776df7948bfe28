/**
 * The Storage contract. An adapter (`adapters/*`) is a small factory that returns this object.
 *
 * Rules every adapter keeps:
 * - every method takes one object argument, and every read and write of tenant data is scoped by
 *   `projectId` (the two documented exceptions look a credential up before its project is known);
 * - aggregations run in the store (SQL `GROUP BY`, Redis rollups and Lua), never over raw rows in
 *   JS; the kv adapter is the one exception, by design (a key-value store cannot aggregate);
 * - doc comments on each method state its atomicity and idempotency;
 * - nothing here needs SQL: Redis and a plain key-value store can implement all of it.
 *
 * A domain's storage is its contract here (`<domain>.ts`), one implementation per backend family
 * (`sql/<domain>.ts`, `kv/<domain>.ts`, and `redis/<domain>.ts` where Redis needs native
 * structures) and one conformance file in `test/storage/conformance/`. Nothing in this folder
 * imports from the rest of `src/`: it is the bottom layer.
 */

import type { EventRepository } from './events'
import type { JobRepository } from './jobs'
import type { ApiKeyRepository } from './keys'
import type { MetricRepository } from './metrics'
import type { ProjectRepository } from './projects'
import type { RateLimitRepository } from './rate-limits'
import type { SequenceRepository, SettingRepository, UserRepository } from './users'

export interface Storage {
  /** Adapter name, for logs and error messages (`sqlite`, `postgres`, ...). */
  readonly name: string
  /**
   * Reads run on this thread (SQLite through better-sqlite3, kv aggregating in the process), so a
   * long computation (metric history) takes one read per event-loop turn instead of holding the
   * loop from other requests. Stores reached over a socket (Postgres, Redis) leave it unset.
   */
  readonly readsOnThisThread?: boolean
  /** Creates or upgrades the schema. Safe to call again and from several instances at once. */
  migrate(): Promise<void>
  /** Releases what the adapter opened itself; a client the user passed in is left open. */
  close(): Promise<void>
  projects: ProjectRepository
  keys: ApiKeyRepository
  events: EventRepository
  rateLimits: RateLimitRepository
  jobs: JobRepository
  metrics: MetricRepository
  users: UserRepository
  sequences: SequenceRepository
  settings: SettingRepository
}

/** Thrown by repositories when a unique value (a slug, an email) is already taken. */
export class ConflictError extends Error {
  constructor(
    readonly field: string,
    message = `${field} is already taken`,
  ) {
    super(message)
    this.name = 'ConflictError'
  }
}

export type * from './event-predicates'
export type * from './events'
export type * from './jobs'
export { SYSTEM_PROJECT } from './jobs'
export type * from './keys'
export type * from './metrics'
export type * from './projects'
export type * from './rate-limits'
export type * from './users'
export { emailKey } from './users'
