/**
 * The Scheduler contract. A scheduler only ticks: it calls `fn` when a schedule is due on this
 * instance. Whether the work should happen here is decided by a claim in the store (see
 * `JobRepository`), so any number of instances may tick the same job.
 */
export type Schedule = { cron: string; timezone?: string } | { intervalMs: number }

export type ScheduledFn = () => Promise<void> | void

export interface Scheduler {
  /** Registers a job. Names are unique; registering a name again replaces the job. */
  every(name: string, schedule: Schedule, fn: ScheduledFn): void
  /** Starts ticking. Jobs registered after `start()` start at once. */
  start(): void
  /** Stops ticking and waits for runs in progress to finish. */
  stop(): Promise<void>
}
