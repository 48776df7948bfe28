// Planned (roadmap: business metrics). Not part of `Storage` until that issue lands; written now so
// the event store and job claims above are shaped for it.
import type { EventField, EventFilter } from './events'

export type MetricAggregation = 'count' | 'sum' | 'avg' | 'min' | 'max' | 'unique_users' | 'latest'

export interface MetricDefinition {
  id: string
  projectId: string
  slug: string
  name: string
  /** Either an aggregation over events, or a safe expression over other metrics' slugs. */
  source:
    | { kind: 'events'; filter: EventFilter; aggregation: MetricAggregation; field?: EventField; window: 'day' | '7d' | '30d' | 'month' }
    | { kind: 'expression'; expression: string }
  format: 'number' | 'currency' | 'percent'
  createdAt: number
  updatedAt: number
}

/** One computed value of a metric for one calendar day in the project's time zone. */
export interface MetricSnapshot {
  projectId: string
  metricId: string
  /** `YYYY-MM-DD` in the project's time zone. */
  day: string
  value: number | null
  computedAt: number
}

export interface MetricRepository {
  createDefinition(input: { definition: MetricDefinition }): Promise<MetricDefinition>
  getDefinition(input: { projectId: string; id: string }): Promise<MetricDefinition | undefined>
  getDefinitionBySlug(input: { projectId: string; slug: string }): Promise<MetricDefinition | undefined>
  listDefinitions(input: { projectId: string }): Promise<MetricDefinition[]>
  updateDefinition(input: { definition: MetricDefinition }): Promise<boolean>
  deleteDefinition(input: { projectId: string; id: string }): Promise<boolean>
  /** Upsert by (metricId, day): recomputing a day replaces its value. */
  putSnapshots(input: { projectId: string; snapshots: MetricSnapshot[] }): Promise<void>
  listSnapshots(input: { projectId: string; metricId: string; fromDay: string; toDay: string }): Promise<MetricSnapshot[]>
  /** Late events mark their day dirty at ingest; the snapshot job recomputes and clears them. */
  markDirty(input: { projectId: string; days: string[] }): Promise<void>
  takeDirty(input: { projectId: string; limit: number }): Promise<string[]>
  /** Distinct `user_id`s per bucket, counted in the store. */
  countDistinctUsers(input: { projectId: string; filter: EventFilter; bucketMs?: number }): Promise<Array<{ start: number; count: number }>>
}
