// Schedulers only tick; claims in the store decide who works. Fake clocks and fake timers: no sleeps.

import { createFakeClock, createTelltale, SYSTEM_PROJECT } from 'telltale'
import { cronerScheduler } from 'telltale/adapters/croner'
import { manualScheduler } from 'telltale/adapters/manual'
import { sqliteStorage } from 'telltale/adapters/sqlite'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { NOW, tempDir } from './helpers/app'

const MINUTE = 60_000

function deferred() {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

/** Resolves after pending microtasks and I/O callbacks ran (no timer involved). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('manualScheduler', () => {
  test('interval: runs only when due, then again one interval later', async () => {
    const clock = createFakeClock(NOW)
    const s = manualScheduler({ clock })
    const fn = vi.fn()
    s.every('tick', { intervalMs: 1000 }, fn)
    s.start()
    expect(await s.runDue()).toEqual([])
    clock.advance(999)
    expect(await s.runDue()).toEqual([])
    clock.advance(1)
    expect(await s.runDue()).toEqual(['tick'])
    expect(await s.runDue()).toEqual([]) // not twice for one due time
    clock.advance(1000)
    expect(await s.runDue()).toEqual(['tick'])
    expect(fn).toHaveBeenCalledTimes(2)
  })

  test('missed periods run once, and the next run is one interval from now', async () => {
    const clock = createFakeClock(NOW)
    const s = manualScheduler({ clock })
    const fn = vi.fn()
    s.every('tick', { intervalMs: MINUTE }, fn)
    s.start()
    clock.advance(10 * MINUTE + 30_000)
    expect(await s.runDue()).toEqual(['tick'])
    expect(fn).toHaveBeenCalledTimes(1)
    expect(s.pending()).toEqual([{ name: 'tick', nextRunAt: clock.now() + MINUTE }])
  })

  test('cron: the next matching minute, in UTC or in a timezone', async () => {
    const clock = createFakeClock('2024-01-15T10:30:00Z')
    const s = manualScheduler({ clock })
    const hourly = vi.fn()
    const nineInNewYork = vi.fn()
    s.every('hourly', { cron: '0 * * * *', timezone: 'UTC' }, hourly)
    s.every('ny', { cron: '0 9 * * *', timezone: 'America/New_York' }, nineInNewYork)
    s.start()
    expect(s.pending()).toEqual([
      { name: 'hourly', nextRunAt: Date.parse('2024-01-15T11:00:00Z') },
      { name: 'ny', nextRunAt: Date.parse('2024-01-15T14:00:00Z') }, // 09:00 EST
    ])
    clock.set('2024-01-15T10:59:59Z')
    expect(await s.runDue()).toEqual([])
    clock.set('2024-01-15T11:00:00Z')
    expect(await s.runDue()).toEqual(['hourly'])
    clock.set('2024-01-15T14:00:00Z')
    expect(await s.runDue()).toEqual(['hourly', 'ny'])
    expect(s.pending()).toEqual([
      { name: 'hourly', nextRunAt: Date.parse('2024-01-15T15:00:00Z') },
      { name: 'ny', nextRunAt: Date.parse('2024-01-16T14:00:00Z') },
    ])
    expect(hourly).toHaveBeenCalledTimes(2)
    expect(nineInNewYork).toHaveBeenCalledTimes(1)
  })

  test('runs due jobs only, in registration order, one after another', async () => {
    const clock = createFakeClock(NOW)
    const s = manualScheduler({ clock })
    const order: string[] = []
    let running = 0
    const job = (name: string) => async () => {
      running++
      expect(running).toBe(1)
      order.push(name)
      await settle()
      running--
    }
    s.every('fast', { intervalMs: MINUTE }, job('fast'))
    s.every('slow', { intervalMs: 60 * MINUTE }, job('slow'))
    s.every('medium', { intervalMs: 5 * MINUTE }, job('medium'))
    s.start()
    clock.advance(5 * MINUTE)
    expect(await s.runDue()).toEqual(['fast', 'medium'])
    clock.advance(MINUTE)
    expect(await s.runDue()).toEqual(['fast'])
    expect(order).toEqual(['fast', 'medium', 'fast'])
  })

  test('does nothing before start() or after stop(); run() runs one job at once', async () => {
    const clock = createFakeClock(NOW)
    const s = manualScheduler({ clock })
    const fn = vi.fn()
    s.every('tick', { intervalMs: 1000 }, fn)
    clock.advance(5000)
    expect(await s.runDue()).toEqual([])
    s.start()
    await s.stop()
    expect(await s.runDue()).toEqual([])
    await s.run('tick')
    expect(fn).toHaveBeenCalledTimes(1)
    await expect(s.run('nope')).rejects.toThrow('no scheduled job named nope')
  })

  test('registering a name again replaces the job', async () => {
    const clock = createFakeClock(NOW)
    const s = manualScheduler({ clock })
    const first = vi.fn()
    const second = vi.fn()
    s.every('job', { intervalMs: 1000 }, first)
    s.every('job', { intervalMs: 2000 }, second)
    s.start()
    clock.advance(2000)
    expect(await s.runDue()).toEqual(['job'])
    expect(first).not.toHaveBeenCalled()
    expect(second).toHaveBeenCalledTimes(1)
  })

  test('a failing job does not keep the other due jobs from running, and is not retried in a loop', async () => {
    const clock = createFakeClock(NOW)
    const s = manualScheduler({ clock })
    const after = vi.fn()
    s.every('broken', { intervalMs: MINUTE }, () => {
      throw new Error('boom')
    })
    s.every('after', { intervalMs: MINUTE }, after)
    s.start()
    clock.advance(MINUTE)
    await expect(s.runDue()).rejects.toThrow('boom')
    expect(after).toHaveBeenCalledTimes(1)
    expect(s.pending().map((j) => j.nextRunAt)).toEqual([clock.now() + MINUTE, clock.now() + MINUTE])
  })
})

describe('cronerScheduler', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  test('interval jobs tick; a run that overruns is not stacked (protect); stop() waits for it', async () => {
    vi.useFakeTimers()
    const s = cronerScheduler()
    const gate = deferred()
    let calls = 0
    let finished = false
    s.every('slow', { intervalMs: 100 }, async () => {
      calls++
      await gate.promise
      finished = true
    })
    s.start()
    await vi.advanceTimersByTimeAsync(100)
    expect(calls).toBe(1)
    await vi.advanceTimersByTimeAsync(1000) // ten more ticks while the first run is still going
    expect(calls).toBe(1)

    let stopped = false
    const stopping = s.stop().then(() => (stopped = true))
    await vi.advanceTimersByTimeAsync(1000)
    expect(stopped).toBe(false) // still waiting for the running job
    gate.resolve()
    await stopping
    expect(finished).toBe(true)
    expect(stopped).toBe(true)

    await vi.advanceTimersByTimeAsync(1000)
    expect(calls).toBe(1) // no ticks after stop
  })

  test('cron jobs tick on their schedule', async () => {
    vi.useFakeTimers({ now: new Date('2024-01-15T10:30:00.500Z') })
    const s = cronerScheduler()
    const fn = vi.fn()
    s.every('each-second', { cron: '* * * * * *' }, fn)
    s.start()
    await vi.advanceTimersByTimeAsync(3000)
    expect(fn).toHaveBeenCalledTimes(3)
    await s.stop()
    await vi.advanceTimersByTimeAsync(3000)
    expect(fn).toHaveBeenCalledTimes(3)
  })

  test('errors go to onError and the job keeps ticking', async () => {
    vi.useFakeTimers()
    const onError = vi.fn()
    const s = cronerScheduler({ onError })
    let calls = 0
    s.every('flaky', { intervalMs: 10 }, () => {
      calls++
      if (calls === 1) throw new Error('first run fails')
    })
    s.start()
    await vi.advanceTimersByTimeAsync(30)
    expect(calls).toBe(3)
    expect(onError).toHaveBeenCalledTimes(1)
    expect(onError).toHaveBeenCalledWith('flaky', expect.objectContaining({ message: 'first run fails' }))
    await s.stop()
  })

  test('a job registered after start() starts at once; re-registering replaces it', async () => {
    vi.useFakeTimers()
    const s = cronerScheduler()
    s.start()
    const first = vi.fn()
    const second = vi.fn()
    s.every('late', { intervalMs: 10 }, first)
    await vi.advanceTimersByTimeAsync(10)
    expect(first).toHaveBeenCalledTimes(1)
    s.every('late', { intervalMs: 10 }, second)
    await vi.advanceTimersByTimeAsync(10)
    expect(first).toHaveBeenCalledTimes(1)
    expect(second).toHaveBeenCalledTimes(1)
    await s.stop()
  })

  test('an invalid cron expression is refused when registered', () => {
    expect(() => cronerScheduler().every('bad', { cron: 'every tuesday' }, () => {})).toThrow()
    expect(() => manualScheduler().every('bad', { cron: 'every tuesday' }, () => {})).toThrow()
  })
})

describe('housekeeping across instances', () => {
  test('two telltales on one SQLite file: the housekeeping job runs once per period', async () => {
    const tmp = tempDir()
    const file = tmp.file('shared.db')
    const clock = createFakeClock(NOW)
    const make = () => {
      const storage = sqliteStorage({ file })
      const purge = vi.spyOn(storage.rateLimits, 'purge')
      const scheduler = manualScheduler({ clock })
      const telltale = createTelltale({ storage, clock, scheduler })
      return { storage, purge, scheduler, telltale }
    }
    const a = make()
    const b = make()
    try {
      await a.telltale.ready()
      await b.telltale.ready()

      // an expired rate-limit window, so the purge has something to delete
      const project = await a.telltale.api.createProject({ name: 'RL' })
      await a.storage.rateLimits.hit({ projectId: project.id, bucket: 'ingest', windowMs: MINUTE, now: clock.now() })

      expect(await a.storage.jobs.get({ projectId: SYSTEM_PROJECT, key: 'housekeeping' })).toBeUndefined()
      clock.advance(10 * MINUTE)
      const tickedAt = clock.now()
      // both instances tick...
      expect(await a.scheduler.runDue()).toEqual(['telltale:housekeeping', 'telltale:metric-history'])
      expect(await b.scheduler.runDue()).toEqual(['telltale:housekeeping', 'telltale:metric-history'])
      // ...and exactly one of them did the work
      expect(a.purge.mock.calls.length + b.purge.mock.calls.length).toBe(1)
      expect(a.purge).toHaveBeenCalledWith({ before: tickedAt })
      expect(await a.purge.mock.results[0].value).toBe(1)
      expect(await b.storage.jobs.get({ projectId: SYSTEM_PROJECT, key: 'housekeeping' })).toEqual({
        projectId: SYSTEM_PROJECT,
        key: 'housekeeping',
        runAt: tickedAt + 10 * MINUTE,
        owner: null,
        leaseUntil: null,
        attempts: 0,
      })

      // the next period: again one run in total, whichever instance ticks first
      clock.advance(10 * MINUTE)
      await b.scheduler.runDue()
      await a.scheduler.runDue()
      expect(a.purge.mock.calls.length + b.purge.mock.calls.length).toBe(2)
      expect(b.purge).toHaveBeenCalledTimes(1)
    } finally {
      await a.telltale.close()
      await b.telltale.close()
      tmp.cleanup()
    }
  })

  test('a claim held by a live instance is not taken; an abandoned one is, after its lease', async () => {
    const clock = createFakeClock(NOW)
    const storage = sqliteStorage({ file: ':memory:' })
    const purge = vi.spyOn(storage.rateLimits, 'purge')
    const scheduler = manualScheduler({ clock })
    const telltale = createTelltale({ storage, clock, scheduler })
    try {
      await telltale.ready()
      // another instance claimed the job and died mid-run
      await storage.jobs.ensure({ projectId: SYSTEM_PROJECT, key: 'housekeeping', runAt: clock.now() })
      expect(
        await storage.jobs.claim({
          projectId: SYSTEM_PROJECT,
          key: 'housekeeping',
          owner: 'dead',
          now: clock.now(),
          leaseMs: 15 * MINUTE,
        }),
      ).toBeDefined()
      clock.advance(10 * MINUTE)
      await scheduler.runDue()
      expect(purge).not.toHaveBeenCalled()
      clock.advance(10 * MINUTE) // lease over
      await scheduler.runDue()
      expect(purge).toHaveBeenCalledTimes(1)
      expect((await storage.jobs.get({ projectId: SYSTEM_PROJECT, key: 'housekeeping' }))?.owner).toBeNull()
    } finally {
      await telltale.close()
    }
  })
})
