import type { ColumnType } from 'kysely'

// Integers that Postgres stores as bigint come back from `pg` as strings: mappers pass every
// number through `Number()`, so the same code reads both dialects.
type Int = ColumnType<number | string, number, number>
type Json = ColumnType<unknown, string | null, string | null>

export interface ProjectsTable {
  id: string
  name: string
  slug: string
  timezone: string
  created_at: Int
}

export interface ApiKeysTable {
  id: string
  project_id: string
  name: string | null
  prefix: string
  hash: string
  scopes: string
  created_at: Int
  last_used_at: ColumnType<number | string | null, number | null, number | null>
  revoked_at: ColumnType<number | string | null, number | null, number | null>
}

export interface EventsTable {
  id: string
  project_id: string
  name: string
  ts: Int
  received_at: Int
  user_id: string | null
  user_email: string | null
  user_name: string | null
  value: number | null
  properties: Json
  tags: Json
  client_id: string | null
}

export interface RateLimitsTable {
  project_id: string
  bucket: string
  window_start: Int
  window_end: Int
  count: Int
}

export interface JobsTable {
  project_id: string
  key: string
  run_at: Int
  owner: string | null
  lease_until: ColumnType<number | string | null, number | null, number | null>
  attempts: Int
}

export interface Database {
  telltale_projects: ProjectsTable
  telltale_api_keys: ApiKeysTable
  telltale_events: EventsTable
  telltale_rate_limits: RateLimitsTable
  telltale_jobs: JobsTable
}
