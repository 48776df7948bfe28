import { Cron } from 'croner'
import { type Clock, systemClock } from '../src/core/clock'
import type { Schedule, ScheduledFn, Scheduler } from '../src/scheduler'

export interface ManualScheduler extends Scheduler {
  /**
   * Runs, one after another, every job whose next run time has come by `clock.now()`, then
   * schedules each one's next run from now. Returns the names that ran. A job that throws does not
   * stop the others; its error is rethrown once all due jobs ran (an `AggregateError` for several).
   */
  runDue(): Promise<string[]>
  /** Runs one job now, whatever its schedule. */
  run(name: string): Promise<void>
  /** Registered job names with their next run time (epoch ms). */
  pending(): Array<{ name: string; nextRunAt: number }>
}

/**
 * A scheduler that never fires on its own. Tests drive it with a fake clock; hosts on platforms
 * without long-lived processes call `runDue()` from a platform cron.
 */
export function manualScheduler(options: { clock?: Clock } = {}): ManualScheduler {
  const clock = options.clock ?? systemClock
  const jobs = new Map<string, { schedule: Schedule; fn: ScheduledFn; nextRunAt: number }>()
  let started = false

  const nextAfter = (schedule: Schedule, now: number): number => {
    if (!('cron' in schedule)) return now + Math.max(1, schedule.intervalMs)
    const next = new Cron(schedule.cron, { timezone: schedule.timezone, paused: true }).nextRun(new Date(now))
    return next ? next.getTime() : Number.POSITIVE_INFINITY
  }

  return {
    every(name, schedule, fn) {
      jobs.set(name, { schedule, fn, nextRunAt: nextAfter(schedule, clock.now()) })
    },
    start() {
      started = true
    },
    async stop() {
      started = false
    },
    async runDue() {
      if (!started) return []
      const ran: string[] = []
      const errors: unknown[] = []
      for (const [name, job] of jobs) {
        if (job.nextRunAt > clock.now()) continue
        // A failing job neither blocks the jobs after it nor stays due (it would run on every call).
        try {
          await job.fn()
        } catch (error) {
          errors.push(error)
        }
        job.nextRunAt = nextAfter(job.schedule, clock.now())
        ran.push(name)
      }
      if (errors.length === 1) throw errors[0]
      if (errors.length > 1) throw new AggregateError(errors, `telltale: ${errors.length} scheduled jobs failed`)
      return ran
    },
    async run(name) {
      const job = jobs.get(name)
      if (!job) throw new Error(`telltale: no scheduled job named ${name}`)
      await job.fn()
    },
    pending: () => [...jobs].map(([name, job]) => ({ name, nextRunAt: job.nextRunAt })),
  }
}
