import type { EventMetricAggregations, EventPredicate } from './event-predicates'

/**
 * The one event store every surface reads and writes: Status Blocks events, Flux events, StatFlow
 * points (later) and the inputs of metric definitions (later) are all rows here.
 */
export interface StoredEvent {
  /** UUID (v7: time-ordered, so inserts append to the primary-key index). */
  id: string
  projectId: string
  name: string
  /** When the event happened (epoch ms, UTC). */
  timestamp: number
  /** When this store acknowledged it (epoch ms). */
  receivedAt: number
  userId: string | null
  userEmail: string | null
  userName: string | null
  value: number | null
  /** Status Blocks `metadata` and Flux `properties` are the same field. */
  properties: Record<string, unknown> | null
  /** Flux `tags`: string values, indexed for filtering and grouping. */
  tags: Record<string, string> | null
  /** Idempotency key given by the client; unique per project when present. */
  clientId: string | null
}

export type NewEvent = Omit<StoredEvent, 'projectId'>

/** Which events a query reads. Every field narrows (AND). Time range is `[from, to)`. */
export interface EventFilter {
  /** Exact names; an event matches any of them. */
  names?: string[]
  /** Name starts with this string (Flux `name=user.*`). */
  namePrefix?: string
  from?: number
  to?: number
  userId?: string
  /** Every pair must be present in the event's tags. */
  tags?: Record<string, string>
  /**
   * Conditions on `value`, properties and `userId`, ANDed (metric definition filters; semantics on
   * `EventPredicate`). Every adapter answers them; on Redis they turn every query into a scan of
   * the time range (rollups cannot answer them).
   */
  where?: EventPredicate[]
}

/** Which number a numeric aggregation reads: the event's `value` or a numeric property. */
export type EventField = { kind: 'value' } | { kind: 'property'; key: string }

export interface NumericSummary {
  count: number
  /** `null` for no values, and when the sum is beyond the double range (two values of 1e308). */
  sum: number | null
  /** `null` for no values (computed without overflow when the sum overflows). */
  avg: number | null
  min: number | null
  max: number | null
  /**
   * Nearest-rank percentiles over the exact values: for p in (0, 100], the value at 1-based rank
   * `ceil(p / 100 * count)` in ascending order. Keyed by the requested p (e.g. `{ 50: 65, 95: 199.99 }`).
   */
  percentiles: Record<number, number | null>
}

export interface EventInsertResult {
  /** Stored id for each input, in input order; for a repeated `clientId`, the id stored first. */
  ids: string[]
  /** How many rows were new. */
  created: number
}

export interface EventRepository extends EventMetricAggregations {
  /**
   * Stores events atomically: either every new row is written or none is. An event whose
   * `clientId` is already stored for the project (or repeated earlier in the same call) is not
   * written again, and its original id is returned: retries are idempotent, synchronously.
   */
  insert(input: { projectId: string; events: NewEvent[] }): Promise<EventInsertResult>
  get(input: { projectId: string; id: string }): Promise<StoredEvent | undefined>
  /** Newest first (timestamp, then id), with the total that matches the filter. */
  list(input: {
    projectId: string
    filter: EventFilter
    limit: number
    offset: number
  }): Promise<{ events: StoredEvent[]; total: number }>
  count(input: { projectId: string; filter: EventFilter }): Promise<number>
  /**
   * Counts per bucket of `bucketMs`, buckets aligned to multiples of `bucketMs` since the epoch
   * (UTC). Only non-empty buckets are returned, ascending; callers zero-fill.
   */
  countSeries(input: {
    projectId: string
    filter: EventFilter
    bucketMs: number
  }): Promise<Array<{ start: number; count: number }>>
  /** Counts per value of one tag; events without that tag are not counted. Largest first. */
  countByTag(input: {
    projectId: string
    filter: EventFilter
    tagKey: string
  }): Promise<Array<{ value: string; count: number }>>
  /** count/sum/avg/min/max and exact nearest-rank percentiles of a numeric field; non-numeric rows are skipped. */
  summarize(input: {
    projectId: string
    filter: EventFilter
    field: EventField
    percentiles: number[]
  }): Promise<NumericSummary>
}
