/**
 * A business metric definition. The definition's own fields (kind, event, aggregation, field,
 * filters, window, formula, format, description, template) live in `spec`, validated by the
 * metrics layer; the store indexes only what it must (project, slug).
 */
export interface MetricDefinition {
  id: string
  projectId: string
  /** Unique per project (not across projects). */
  slug: string
  name: string
  /** Any JSON object; stored and returned as given. */
  spec: Record<string, unknown>
  createdAt: number
  updatedAt: number
}

/** One day of a metric's history: its value for the window ending at the end of `day` (YYYY-MM-DD in the project's zone). */
export interface MetricSnapshot {
  metricId: string
  day: string
  value: number | null
  computedAt: number
}

/** A day whose events changed after it was computed (a late event): recompute it. */
export interface DirtyDay {
  day: string
  at: number
}

/**
 * Metric definitions, their daily snapshots, and the days to recompute. Every method is scoped by
 * `projectId`: another project's ids, slugs, snapshots and dirty days are invisible.
 */
export interface MetricRepository {
  /** Rejects with ConflictError('slug') when the project already has the slug (slugs are unique per project, not across projects). */
  create(input: { definition: MetricDefinition }): Promise<MetricDefinition>
  /** The definition, or `undefined`. */
  get(input: { projectId: string; id: string }): Promise<MetricDefinition | undefined>
  /** The definition with this slug in the project, or `undefined`. */
  getBySlug(input: { projectId: string; slug: string }): Promise<MetricDefinition | undefined>
  /** Ids of the projects that have at least one definition, ascending (the history job visits these). */
  listProjects(): Promise<string[]>
  /** The project's definitions, oldest first (createdAt, then id). */
  list(input: { projectId: string }): Promise<MetricDefinition[]>
  /**
   * Replaces the stored definition (same id and project). False for an unknown id.
   * ConflictError('slug') when the new slug is another definition's; the stored one is then unchanged.
   */
  update(input: { definition: MetricDefinition }): Promise<boolean>
  /** Deletes the definition and its snapshots, freeing its slug. False for an unknown id. */
  delete(input: { projectId: string; id: string }): Promise<boolean>
  /**
   * Upserts by (metricId, day): recomputing a day replaces its value, unless the stored snapshot
   * was computed later (`computedAt` greater): a slow computation that started before a late
   * event never overwrites the recomputation that saw it. Equal times replace. Idempotent.
   * Atomic per call on SQL; per snapshot on kv/Redis (a crash mid-call leaves some written).
   */
  putSnapshots(input: { projectId: string; snapshots: MetricSnapshot[] }): Promise<void>
  /** Snapshots of one metric with fromDay <= day <= toDay, ascending by day. */
  listSnapshots(input: {
    projectId: string
    metricId: string
    fromDay: string
    toDay: string
  }): Promise<MetricSnapshot[]>
  /** Marks days dirty at `at`; a day already dirty takes the later `at`. Idempotent; atomic per day. */
  markDirty(input: { projectId: string; days: string[]; at: number }): Promise<void>
  /** Dirty days of the project, ascending by day, at most `limit`. */
  listDirty(input: { projectId: string; limit: number }): Promise<DirtyDay[]>
  /**
   * Clears a dirty day only if it is still marked at exactly `at` (a mark made while the day was
   * being recomputed survives). True when cleared. Callers mark with the current time, so a
   * newer mark carries a later `at`.
   */
  clearDirty(input: { projectId: string; day: string; at: number }): Promise<boolean>
}
