// The Storage contract as tests. Every adapter runs this one suite (see sqlite.test.ts and
// postgres.test.ts); it talks to the contract only, never to SQL, so a Redis or key-value adapter
// can run it unchanged.
//
// One file per storage domain, each exporting a suite `(makeStorage) => void` that opens its own
// `describe`. A new domain adds its file and one entry in `domainSuites`: every adapter runs it.
import { describe } from 'vitest'
import { dueJobTests } from './due-jobs'
import { aggregationTests } from './event-aggregations'
import { eventMetricAggregationTests } from './event-metric-aggregations'
import { insertTests, queryTests } from './events'
import type { MakeStorage } from './helpers'
import { jobTests } from './jobs'
import { keyTests } from './keys'
import { metricDefinitionTests } from './metric-definitions'
import { migrateTests } from './migrate'
import { projectTests } from './projects'
import { rateLimitTests } from './rate-limits'
import { userTests } from './users'

export { event, type MakeStorage, type StorageHandle } from './helpers'

/** One domain's tests, run against the suite's backing store. */
export type DomainSuite = (makeStorage: MakeStorage) => void

/** Every domain's tests, in the order they run. `migrate` stays first: it races the store's first migration. */
export const domainSuites: readonly DomainSuite[] = [
  migrateTests,
  projectTests,
  keyTests,
  insertTests,
  queryTests,
  aggregationTests,
  eventMetricAggregationTests,
  rateLimitTests,
  jobTests,
  dueJobTests,
  metricDefinitionTests,
  userTests,
]

export function storageConformance(name: string, makeStorage: MakeStorage): void {
  describe(`storage conformance: ${name}`, () => {
    for (const suite of domainSuites) suite(makeStorage)
  })
}

/**
 * The aggregations alone: for a second SQL strategy of the same adapter (percentiles by window
 * function where the engine has no percentile_disc), which must answer exactly the same.
 */
export function aggregationConformance(name: string, makeStorage: MakeStorage): void {
  describe(`storage conformance, aggregations: ${name}`, () => aggregationTests(makeStorage))
}
