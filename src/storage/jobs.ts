/**
 * Claimable work. Anything that must happen once across instances (a monitor check, a metric
 * snapshot, an alert evaluation, a webhook delivery, housekeeping) is a row here, and an instance
 * may only do it after winning `claim`. Schedulers tick; the store decides who works.
 *
 * `projectId` scopes a job to a tenant; housekeeping that spans tenants uses `SYSTEM_PROJECT`.
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

export interface JobRepository {
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
