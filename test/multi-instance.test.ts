// Several app instances on one store: three telltales, each with its own manual scheduler, one
// shared fake clock, on every adapter that several instances can share (a SQLite file, Postgres,
// Redis, and kv over one unstorage object). What must hold across instances is decided by the
// store, never by an instance: housekeeping once per period, rate limits counted together,
// abandoned claims taken over once, one stored event per client id, and each project-day of
// metric history computed once.
import { createFakeClock, createTelltale, type FakeClock, type Telltale } from 'telltale'
import { type ManualScheduler, manualScheduler } from 'telltale/adapters/manual'
import { afterAll, beforeAll, describe, expect, type MockInstance, test, vi } from 'vitest'
import { HOUSEKEEPING_EVERY_MS } from '../src/core/housekeeping'
import { METRIC_HISTORY_EVERY_MS } from '../src/metrics'
import { type Storage, SYSTEM_PROJECT } from '../src/storage'
import { testAdapters } from './helpers/adapters'
import { NOW, reply } from './helpers/app'
import { event } from './helpers/records'

const MINUTE = 60_000
const EVENT_LIMIT = 30

interface Instance {
  storage: Storage
  telltale: Telltale
  scheduler: ManualScheduler
  purge: MockInstance<Storage['rateLimits']['purge']>
  close(): Promise<void>
}

const shareable = testAdapters().filter((adapter) => adapter.shared)

describe.each(shareable)('three instances on one $name store', (adapter) => {
  const store = adapter.shared!()
  const clock: FakeClock = createFakeClock(NOW)
  let instances: Instance[] = []

  beforeAll(async () => {
    instances = Array.from({ length: 3 }, () => {
      const { storage, cleanup } = store.open()
      const purge = vi.spyOn(storage.rateLimits, 'purge')
      const scheduler = manualScheduler({ clock })
      const telltale = createTelltale({
        storage,
        clock,
        scheduler,
        limits: { rateLimits: { statusBlocks: { event: { limit: EVENT_LIMIT, windowMs: MINUTE } } } },
      })
      const close = async () => {
        await telltale.close()
        await cleanup()
      }
      return { storage, telltale, scheduler, purge, close }
    })
    await Promise.all(instances.map((i) => i.telltale.ready()))
  })
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.close()))
    await store.drop()
  })

  const purges = () => instances.reduce((total, i) => total + i.purge.mock.calls.length, 0)
  const housekeepingJob = () => instances[0].storage.jobs.get({ projectId: SYSTEM_PROJECT, key: 'housekeeping' })

  /** A project with a read+write key, created through one instance and used through all. */
  async function tenant(name: string) {
    const project = await instances[0].telltale.api.createProject({ name })
    const { key } = await instances[1].telltale.api.createApiKey({ projectId: project.id })
    const post = (instance: Instance, body: unknown) =>
      instance.telltale
        .fetch(
          new Request('http://localhost/api/events', {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
            body: JSON.stringify(body),
          }),
        )
        .then(reply)
    return { project, post }
  }

  test('housekeeping runs once per period, whichever instances tick', async () => {
    for (let period = 1; period <= 3; period++) {
      clock.advance(HOUSEKEEPING_EVERY_MS)
      // every instance ticks (in a different order each period)...
      const order = [0, 1, 2].map((i) => instances[(i + period) % 3])
      for (const instance of order) expect(await instance.scheduler.runDue()).toContain('telltale:housekeeping')
      // ...and the store let exactly one of them do the work
      expect(purges()).toBe(period)
    }
    expect(await housekeepingJob()).toMatchObject({
      owner: null,
      leaseUntil: null,
      runAt: clock.now() + HOUSEKEEPING_EVERY_MS,
    })
  })

  test('a rate limit counts requests across instances', async () => {
    const { post } = await tenant('Limited')
    // 45 requests, round robin over the three instances, some at once: exactly the limit passes
    // (limits under 200 lease one request at a time, so they are exact across instances).
    const statuses = await Promise.all(
      Array.from({ length: 45 }, (_, i) => post(instances[i % 3], { event: 'signup' }).then((r) => r.status)),
    )
    expect(statuses.filter((s) => s === 201)).toHaveLength(EVENT_LIMIT)
    expect(statuses.filter((s) => s === 429)).toHaveLength(45 - EVENT_LIMIT)
    // a new window admits again, on every instance
    clock.advance(MINUTE)
    for (const instance of instances) expect((await post(instance, { event: 'signup' })).status).toBe(201)
  })

  test('an instance that dies holding a claim has its work taken over by another, once, after the lease', async () => {
    clock.advance(HOUSEKEEPING_EVERY_MS)
    const [dying, ...survivors] = instances
    // The dying instance claims housekeeping and never finishes (it "dies" mid-run).
    dying.purge.mockImplementationOnce(() => new Promise<number>(() => {}))
    const dyingCalls = dying.purge.mock.calls.length
    void dying.scheduler.runDue()
    await vi.waitFor(() => expect(dying.purge.mock.calls.length).toBe(dyingCalls + 1))
    const deadOwner = (await housekeepingJob())?.owner
    expect(deadOwner).toEqual(expect.any(String))
    const survivorCalls = () => survivors.reduce((n, i) => n + i.purge.mock.calls.length, 0)
    const before = survivorCalls()

    // While its lease (5 minutes) lives, the others tick and leave the job alone.
    for (const instance of survivors) await instance.scheduler.runDue()
    expect(survivorCalls()).toBe(before)
    expect((await housekeepingJob())?.owner).toBe(deadOwner)

    // Once the lease has expired, the next ticks take it over: exactly one survivor does the work.
    clock.advance(HOUSEKEEPING_EVERY_MS)
    for (const instance of survivors) await instance.scheduler.runDue()
    expect(survivorCalls()).toBe(before + 1)
    expect(await housekeepingJob()).toMatchObject({ owner: null, runAt: clock.now() + HOUSEKEEPING_EVERY_MS })
  })

  test('the same client event id sent to all three at once is stored once, every answer carrying its id', async () => {
    const { project, post } = await tenant('Retries')
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) => post(instances[i % 3], { id: 'order-1001', event: 'purchase', value: 10 })),
    )
    expect(answers.map((a) => a.status)).toEqual(Array(24).fill(201))
    const ids = new Set(answers.map((a) => a.body.event_id))
    expect(ids.size).toBe(1)
    for (const instance of instances)
      expect(await instance.storage.events.count({ projectId: project.id, filter: {} })).toBe(1)
    const [id] = ids
    expect(await instances[2].storage.events.get({ projectId: project.id, id })).toMatchObject({
      clientId: 'order-1001',
      value: 10,
    })
  })

  test('every instance ticks the metric history job; each project-day is computed once', async () => {
    const { project, post } = await tenant('Metrics')
    // The project's first event before the 30 days the first tick fills (days before it are never stored).
    await instances[0].storage.events.insert({
      projectId: project.id,
      events: [event('page_view', clock.now() - 60 * 24 * 60 * MINUTE)],
    })
    await instances[0].telltale.api.createMetric({
      projectId: project.id,
      name: 'Signups',
      event: 'signup',
      aggregation: 'count',
      window: 'day',
    })
    await instances[1].telltale.api.createMetric({
      projectId: project.id,
      name: 'Weekly',
      event: 'signup',
      aggregation: 'unique_users',
      window: '7d',
    })
    const puts = instances.map((i) => vi.spyOn(i.storage.metrics, 'putSnapshots'))
    for (let day = 0; day < 3; day++) {
      await post(instances[day % 3], { event: 'signup', user_id: `u${day}` })
      clock.advance(24 * 60 * MINUTE)
      // All three tick at once, twice.
      for (let round = 0; round < 2; round++) {
        clock.advance(METRIC_HISTORY_EVERY_MS)
        await Promise.all(instances.map((i) => i.scheduler.runDue()))
      }
    }
    const written = puts.flatMap((spy) =>
      spy.mock.calls.flatMap(([input]) => input.snapshots.map((s) => `${s.metricId} ${s.day}`)),
    )
    // 2 metrics x (30 days filled at the first tick + 2 more days): none written twice, and the
    // work was not all on one instance's tick by construction (they tick at once).
    expect(written).toHaveLength(2 * 32)
    expect(new Set(written).size).toBe(written.length)
  })
})
