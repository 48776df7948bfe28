import type { SqlDomain } from './domain'
import { eventsDomain, type EventsTables } from './events'
import { jobsDomain, type JobsTables } from './jobs'
import { keysDomain, type KeysTables } from './keys'
import { metricsDomain, type MetricsTables } from './metrics'
import { projectsDomain, type ProjectsTables } from './projects'
import { rateLimitsDomain, type RateLimitsTables } from './rate-limits'

/**
 * Every SQL storage domain. Each named migration runs the domains' steps in this order, so a
 * domain comes after the ones its tables reference (api keys reference projects). A new domain
 * goes at the end, and its tables into `Database` below.
 */
export const sqlDomains: readonly SqlDomain[] = [projectsDomain, keysDomain, eventsDomain, rateLimitsDomain, jobsDomain, metricsDomain]

/** Kysely's view of the database: every domain's tables. */
export interface Database extends ProjectsTables, KeysTables, EventsTables, RateLimitsTables, JobsTables, MetricsTables {}
