import { Cron } from 'croner'
import type { Schedule, ScheduledFn, Scheduler } from '../src/scheduler'

/**
 * The default scheduler: croner for cron expressions, a timer for fixed intervals. Timers are
 * unref'd (they never keep the process alive) and a run that overruns its next tick is skipped
 * rather than stacked (`protect`).
 */
export function cronerScheduler(options: { onError?: (name: string, error: unknown) => void } = {}): Scheduler {
  const onError = options.onError ?? ((name, error) => console.error(`[telltale] scheduled job ${name} failed:`, error))
  const jobs = new Map<string, { schedule: Schedule; fn: ScheduledFn }>()
  const running = new Map<string, { stop(): void }>()
  const inFlight = new Set<Promise<void>>()
  let started = false

  function guarded(name: string, fn: ScheduledFn): () => Promise<void> {
    let busy = false
    return async () => {
      if (busy) return // protect: never two runs of one job on this instance
      busy = true
      const run = (async () => {
        try {
          await fn()
        } catch (error) {
          onError(name, error)
        } finally {
          busy = false
        }
      })()
      inFlight.add(run)
      await run.finally(() => inFlight.delete(run))
    }
  }

  function launch(name: string): void {
    const job = jobs.get(name)!
    const tick = guarded(name, job.fn)
    if ('cron' in job.schedule) {
      const cron = new Cron(job.schedule.cron, { timezone: job.schedule.timezone, unref: true }, () => void tick())
      running.set(name, { stop: () => cron.stop() })
    } else {
      const timer = setInterval(() => void tick(), Math.max(1, job.schedule.intervalMs))
      timer.unref()
      running.set(name, { stop: () => clearInterval(timer) })
    }
  }

  return {
    every(name, schedule, fn) {
      if ('cron' in schedule) new Cron(schedule.cron, { timezone: schedule.timezone, paused: true }).stop() // validates now, not at start
      running.get(name)?.stop()
      jobs.set(name, { schedule, fn })
      if (started) launch(name)
    },
    start() {
      if (started) return
      started = true
      for (const name of jobs.keys()) launch(name)
    },
    async stop() {
      started = false
      for (const handle of running.values()) handle.stop()
      running.clear()
      await Promise.all([...inFlight])
    },
  }
}
