import { configError } from '../src/core/errors'
import type { Storage } from '../src/storage'
import { kvRecords } from '../src/storage/kv'
import { kvEvents } from '../src/storage/kv/events'
import { type Unstorage, unstorageKv } from '../src/storage/kv/unstorage'

export type { Unstorage }

export interface KvStorageOptions {
  /** Any unstorage `Storage` (`createStorage({ driver })`): memory, fs, redis, a cloud KV. telltale never disposes it. */
  storage: Unstorage
  /** Prefix of every key telltale writes (`telltale` → `telltale:event:...`), to share the storage with other data. */
  base?: string
}

/** Bumped when the key layout changes; `migrate()` refuses a store written by a newer layout. */
const SCHEMA_VERSION = 1
const SCHEMA_KEY = 'telltale-schema'

/**
 * telltale over any unstorage driver: for small and edge deployments and for fast tests. Nothing
 * is indexed: event queries read every event of the project (cached in this process between
 * writes, see `src/storage/kv/events.ts`), so it is meant for thousands to tens of thousands of
 * events per project, not millions.
 *
 * Guarantees:
 * - In one process, everything the Storage contract promises holds: every read-modify-write
 *   (slug claims, client-id claims, rate-limit counters, job claims and completions) runs under a
 *   per-key lock shared by every `kvStorage` over the same unstorage `Storage` object, and event
 *   batches are all-or-nothing (a batch that fails is undone before the call rejects).
 * - Several processes on one backing store (an fs directory, Redis through unstorage) share the
 *   data, but unstorage has no atomic operations, so these become best-effort: slug and client-id
 *   uniqueness (two processes can both claim), rate-limit counts (two hits can count once) and job
 *   claims (two instances can both win). Use `redisStorage` or a SQL adapter for several processes.
 * - A process that dies in the middle of a batch can leave part of it written (no transactions).
 *   A query running while a batch is being written may see part of it.
 */
export function kvStorage(options: KvStorageOptions): Storage {
  if (
    !options?.storage ||
    typeof options.storage.getItem !== 'function' ||
    typeof options.storage.getKeys !== 'function'
  )
    throw configError(
      "kvStorage needs { storage }: an unstorage Storage, e.g. kvStorage({ storage: createStorage() }) with createStorage from 'unstorage'",
    )
  const kv = unstorageKv(options.storage, { base: options.base })
  return {
    name: 'kv',
    readsOnThisThread: true,
    async migrate() {
      const stored = await kv.get(SCHEMA_KEY)
      if (stored === undefined) {
        await kv.setIfAbsent(SCHEMA_KEY, String(SCHEMA_VERSION))
        return
      }
      if (!(Number(stored) <= SCHEMA_VERSION))
        throw configError(
          `the kv store has layout version ${stored}, newer than this telltale's (${SCHEMA_VERSION}): upgrade telltale`,
        )
    },
    // `kv` is shared with every other instance over this storage, and the storage is the caller's.
    close: async () => {},
    ...kvRecords(kv),
    events: kvEvents(kv),
  }
}
