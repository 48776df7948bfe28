import type { SqlDomain } from './domain'
import { type EventsTables, eventsDomain } from './events'
import { type JobsTables, jobsDomain } from './jobs'
import { type KeysTables, keysDomain } from './keys'
import { type MetricsTables, metricsDomain } from './metrics'
import { type ProjectsTables, projectsDomain } from './projects'
import { type RateLimitsTables, rateLimitsDomain } from './rate-limits'
import { type SequencesTables, sequencesDomain } from './sequences'
import { type SettingsTables, settingsDomain } from './settings'
import { type UsersTables, usersDomain } from './users'

/**
 * Every SQL storage domain. Each named migration runs the domains' steps in this order, so a
 * domain comes after the ones its tables reference (api keys reference projects). A new domain
 * goes at the end, and its tables into `Database` below.
 */
export const sqlDomains: readonly SqlDomain[] = [
  projectsDomain,
  keysDomain,
  eventsDomain,
  rateLimitsDomain,
  jobsDomain,
  metricsDomain,
  sequencesDomain,
  settingsDomain,
  usersDomain,
]

/** Kysely's view of the database: every domain's tables. */
export interface Database
  extends ProjectsTables,
    KeysTables,
    EventsTables,
    RateLimitsTables,
    JobsTables,
    MetricsTables,
    SequencesTables,
    SettingsTables,
    UsersTables {}
