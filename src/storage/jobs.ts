/**
 * Claimable work. Anything that must happen once across instances (a monitor check, a metric
 * snapshot, an alert evaluation, a webhook delivery, housekeeping) is a row here, and an instance
 * may only do it after winning `claim`. Schedulers tick; the store decides who works.
 *
 * `projectId` scopes a job to a tenant; housekeeping that spans tenants uses `SYSTEM_PROJECT`.
 * Work that comes in many items of one kind (monitor checks, webhook deliveries, alert evaluations)
 * is `DueJob`s instead, claimed in batches across projects (`claimDue`).
 */
export const SYSTEM_PROJECT = '_system'

export interface Job {
  projectId: string
  /** Stable identity, e.g. `monitor:42:eu-west` or `housekeeping:rate-limits`. */
  key: string
  /** Earliest time the job may run next (epoch ms). */
  runAt: number
  /** Holder of the current claim, until `leaseUntil`. */
  owner: string | null
  /** A claim older than this is abandoned (its instance died) and may be taken over. */
  leaseUntil: number | null
  attempts: number
}

/**
 * Per-project jobs (`ensure`, `claim`, `complete`: one job per call) and, through
 * `DueJobRepository`, items of a kind claimed in batches.
 */
export interface JobRepository extends DueJobRepository {
  /** Creates the job if it does not exist; an existing job keeps its schedule. Idempotent. */
  ensure(input: { projectId: string; key: string; runAt: number }): Promise<void>
  /**
   * Compare-and-set claim: succeeds for exactly one caller when the job is due
   * (`runAt <= now`) and not held by a live lease (`leaseUntil` empty or `< now`).
   * The winner holds it until `now + leaseMs`. Returns the claimed job, or `undefined`.
   */
  claim(input: {
    projectId: string
    key: string
    owner: string
    now: number
    leaseMs: number
  }): Promise<Job | undefined>
  /**
   * Releases a claim held by `owner` and schedules the next run. Returns false when the claim was
   * lost (the lease expired and another instance took it), so the caller must not publish results.
   */
  complete(input: { projectId: string; key: string; owner: string; nextRunAt: number }): Promise<boolean>
  get(input: { projectId: string; key: string }): Promise<Job | undefined>
  /** The project's jobs whose key starts with `keyPrefix` (queued one-off work), in key order. */
  list(input: { projectId: string; keyPrefix: string }): Promise<Job[]>
  /** Removes a job (one-off work that is done). True when it existed. */
  delete(input: { projectId: string; key: string }): Promise<boolean>
}

/**
 * One item of a kind of recurring or queued work that instances claim in batches (a monitor's
 * check, a webhook delivery, an alert evaluation). Items of one kind span projects; an item is
 * named by its kind, project and key. Kept apart from the per-project jobs above (`ensure`/`claim`).
 */
export interface DueJob {
  /** What the work is, e.g. `monitor-check`; `claimDue` takes items of one kind. */
  kind: string
  projectId: string
  /** Stable identity within the kind and project, e.g. the monitor's id. */
  key: string
  /** When the item is due (epoch ms): `schedule` sets it, and `completeDue` sets the next one. */
  dueAt: number
  /** Holder of the current claim; null when nobody claimed it since its last `completeDue`. */
  owner: string | null
  /** The claim is live up to and including this time; after it, another instance may take the item over. */
  leaseUntil: number | null
  /** Claims since the last `completeDue` (1 on a first claim, 2 after one takeover...). */
  attempts: number
}

/** The most items one `claimDue` takes: what keeps one claim (one statement, one Lua script) bounded. */
export const MAX_CLAIM_BATCH = 1000

/**
 * Batch claims over items of a kind. An item is claimable when it is due (`dueAt <= now`) and not
 * held by a live lease (no owner, or `leaseUntil < now`): the time it became claimable is its due
 * time, or for a claim whose lease ran out, the lease's end plus one millisecond.
 *
 * Every adapter claims a batch in one round trip, and each item goes to exactly one caller until its
 * lease ends: Postgres `UPDATE … FOR UPDATE SKIP LOCKED`, SQLite one statement, Redis one Lua script.
 * kv claims item by item, by compare-and-set: exact within one process, best-effort across
 * processes on one backing store (as every kv read-modify-write).
 */
export interface DueJobRepository {
  /**
   * Creates the item (no owner, 0 attempts) or moves an unclaimed one's due time; an item that has
   * an owner keeps its claim and due time (its holder's `completeDue` sets the next one, and a
   * holder that died is taken over at its lease's end). Idempotent; atomic per item. Returns the item
   * as stored after the call: `dueAt` differs from the one given when it was held.
   */
  schedule(input: { kind: string; projectId: string; key: string; dueAt: number }): Promise<DueJob>
  /**
   * Claims up to `limit` (1 to `MAX_CLAIM_BATCH`) claimable items of `kind`, across projects: the
   * ones that became claimable first (ties in any order). Each is held by `owner` until
   * `now + leaseMs`, its attempts counted up. One atomic step per call (kv: per item), so concurrent
   * callers get disjoint batches. Returns them by due time, then project and key.
   *
   * Fewer than `limit` (even none) only when fewer are claimable, or when others are busy at that
   * moment: on Postgres, rows locked by a concurrent write are passed over (`SKIP LOCKED`), on kv, an
   * item changed between the read and its compare-and-set. A concurrent claim then holds them; one
   * being scheduled or completed is claimable again at the next call.
   */
  claimDue(input: { kind: string; now: number; owner: string; leaseMs: number; limit: number }): Promise<DueJob[]>
  /**
   * Releases `owner`'s claim and sets the next due time (attempts back to 0). Returns false, and
   * changes nothing, when `owner` no longer holds it (its lease ran out and another instance took it
   * over, or it was unscheduled): the caller must not publish results. A claim whose lease ran out
   * but that nobody took over is still `owner`'s. Atomic compare-and-set.
   */
  completeDue(input: {
    kind: string
    projectId: string
    key: string
    owner: string
    nextDueAt: number
  }): Promise<boolean>
  /** The item, or `undefined`. */
  getDue(input: { kind: string; projectId: string; key: string }): Promise<DueJob | undefined>
  /**
   * Removes the item, claimed or not (a deleted monitor); its holder's `completeDue` then returns
   * false. True when it existed. Idempotent.
   */
  unschedule(input: { kind: string; projectId: string; key: string }): Promise<boolean>
}

/** `claimDue`'s numbers checked up front: a batch is 1 to `MAX_CLAIM_BATCH` items, a lease at least 1 ms. */
export function checkClaimDue(input: { limit: number; leaseMs: number }): void {
  if (!Number.isSafeInteger(input.limit) || input.limit < 1 || input.limit > MAX_CLAIM_BATCH)
    throw new Error(`telltale: claimDue takes a limit from 1 to ${MAX_CLAIM_BATCH}, not ${String(input.limit)}`)
  if (!Number.isSafeInteger(input.leaseMs) || input.leaseMs < 1)
    throw new Error(`telltale: claimDue takes a leaseMs of at least 1, not ${String(input.leaseMs)}`)
}

/** When a held item may be claimed again: the lease is live up to and including `leaseUntil`. */
export const claimableAfterLease = (leaseUntil: number): number => leaseUntil + 1

/** `claimDue`'s answer order: due time, then project and key. */
export function byDueTime(a: DueJob, b: DueJob): number {
  return a.dueAt - b.dueAt || compare(a.projectId, b.projectId) || compare(a.key, b.key)
}
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
