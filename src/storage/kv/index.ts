import type { Storage } from '../index'
import { kvJobs } from './jobs'
import { kvKeys } from './keys'
import { kvMetrics } from './metrics'
import { kvProjects } from './projects'
import { kvRateLimits } from './rate-limits'
import type { KvStore } from './store'
import { kvSequences, kvSettings, kvUsers } from './users'

export { type ClaimOutcome, claimHolder, claimUnique, readClaims, releaseUnique } from './claims'
export { type KvRecords, kvRecordType, type RecordSpec } from './records'
export { type KvStore, keySegments, kvKey, lastSegment, update } from './store'

/** The record-like repositories, written once over the key-value primitives of `kv`. */
export function kvRecords(
  kv: KvStore,
): Pick<Storage, 'projects' | 'keys' | 'jobs' | 'rateLimits' | 'metrics' | 'users' | 'sequences' | 'settings'> {
  const sequences = kvSequences(kv)
  return {
    projects: kvProjects(kv),
    keys: kvKeys(kv),
    jobs: kvJobs(kv),
    rateLimits: kvRateLimits(kv),
    metrics: kvMetrics(kv),
    users: kvUsers(kv, sequences),
    sequences,
    settings: kvSettings(kv),
  }
}
