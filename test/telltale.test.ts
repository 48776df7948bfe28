// createTelltale: ready() (migrations once, lazily), close(), and durability across a restart.
import Database from 'better-sqlite3'
import { createFakeClock, createTelltale, type Scheduler } from 'telltale'
import { cronerScheduler } from 'telltale/adapters/croner'
import { manualScheduler } from 'telltale/adapters/manual'
import { sqliteStorage } from 'telltale/adapters/sqlite'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { NOW, reply, tempDir, UUID } from './helpers/app'

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

/** A telltale over in-memory SQLite whose migrate() calls are counted. */
function counted(options: { scheduler?: Scheduler } = {}) {
  const storage = sqliteStorage({ file: ':memory:' })
  const migrate = vi.fn(storage.migrate)
  storage.migrate = migrate
  const clock = createFakeClock(NOW)
  const scheduler = options.scheduler ?? manualScheduler({ clock })
  const telltale = createTelltale({ storage, clock, scheduler })
  cleanups.push(() => telltale.close())
  return { telltale, storage, migrate, clock }
}

const postEvent = (
  fetcher: { fetch: (r: Request) => Promise<Response> },
  key: string,
  body: unknown,
  path = '/api/events',
) =>
  fetcher.fetch(
    new Request(`http://localhost${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  )

describe('ready()', () => {
  test('concurrent calls run migrations once', async () => {
    const { telltale, migrate } = counted()
    await Promise.all([telltale.ready(), telltale.ready(), telltale.ready(), telltale.ready()])
    expect(migrate).toHaveBeenCalledTimes(1)
    await telltale.ready()
    expect(migrate).toHaveBeenCalledTimes(1)
  })

  test('requests and api calls before ready() work, and share the one migration', async () => {
    const { telltale, migrate } = counted()
    // the very first thing this instance does is serve a request
    const [unauthorized, project] = await Promise.all([
      postEvent(telltale, 'tt_nokey', { event: 'e' }).then(reply),
      telltale.api.createProject({ name: 'Lazy' }),
    ])
    expect(unauthorized).toEqual({ status: 401, body: { message: 'Invalid API key.' } })
    const { key } = await telltale.api.createApiKey({ projectId: project.id })
    const res = await reply(await postEvent(telltale, key, { event: 'lazy' }))
    expect(res).toEqual({ status: 201, body: { success: true, event_id: expect.stringMatching(UUID) } })
    expect(migrate).toHaveBeenCalledTimes(1)
  })

  test('app.request() before ready() works too', async () => {
    const { telltale, migrate } = counted()
    expect(await reply(await telltale.app.request('/api/events', { method: 'POST', body: '{}' }))).toEqual({
      status: 401,
      body: { message: 'Invalid API key.' },
    })
    expect(migrate).toHaveBeenCalledTimes(1)
  })

  test('a failed start (database down) is retried by the next call', async () => {
    const { telltale, migrate } = counted()
    migrate.mockRejectedValueOnce(new Error('connection refused'))
    await expect(telltale.ready()).rejects.toThrow('connection refused')
    await telltale.ready()
    expect(migrate).toHaveBeenCalledTimes(2)
    const project = await telltale.api.createProject({ name: 'After retry' })
    expect(project.slug).toBe('after-retry')
  })

  test('ready() starts the scheduler: the housekeeping and metric history jobs are due only after ready', async () => {
    const clock = createFakeClock(NOW)
    const scheduler = manualScheduler({ clock })
    const telltale = createTelltale({ storage: sqliteStorage({ file: ':memory:' }), clock, scheduler })
    cleanups.push(() => telltale.close())
    expect(scheduler.pending().map((j) => j.name)).toEqual(['telltale:housekeeping', 'telltale:metric-history'])
    clock.advance(10 * 60_000)
    expect(await scheduler.runDue()).toEqual([]) // not started
    await telltale.ready()
    expect(await scheduler.runDue()).toEqual(['telltale:housekeeping', 'telltale:metric-history'])
  })
})

describe('close()', () => {
  test('stops the scheduler (manual): nothing runs after close', async () => {
    const clock = createFakeClock(NOW)
    const scheduler = manualScheduler({ clock })
    const stop = vi.spyOn(scheduler, 'stop')
    const telltale = createTelltale({ storage: sqliteStorage({ file: ':memory:' }), clock, scheduler })
    await telltale.ready()
    await telltale.close()
    expect(stop).toHaveBeenCalledTimes(1)
    clock.advance(60 * 60_000)
    expect(await scheduler.runDue()).toEqual([])
  })

  test('stops the default croner scheduler', async () => {
    const scheduler = cronerScheduler()
    const stop = vi.spyOn(scheduler, 'stop')
    const telltale = createTelltale({ storage: sqliteStorage({ file: ':memory:' }), scheduler })
    await telltale.ready()
    await telltale.close()
    expect(stop).toHaveBeenCalledTimes(1)
  })

  test('close() while ready() is still migrating leaves the scheduler stopped', async () => {
    const clock = createFakeClock(NOW)
    const scheduler = manualScheduler({ clock })
    const storage = sqliteStorage({ file: ':memory:' })
    let open!: () => void
    const gate = { promise: new Promise<void>((resolve) => (open = resolve)), resolve: () => open() }
    const migrate = storage.migrate
    storage.migrate = async () => {
      await gate.promise
      await migrate()
    }
    const telltale = createTelltale({ storage, clock, scheduler })
    const readying = telltale.ready()
    const closing = telltale.close()
    gate.resolve()
    await readying
    await closing
    clock.advance(60 * 60_000)
    expect(await scheduler.runDue()).toEqual([])
  })

  test('close twice is fine; ready() after close rejects; close before ready does not hang', async () => {
    const { telltale } = counted()
    await telltale.close()
    await telltale.close()
    await expect(telltale.ready()).rejects.toMatchObject({ kind: 'unavailable', status: 503 })
  })

  test('a request after close() answers 503 JSON, not 500', async () => {
    const { telltale } = counted()
    await telltale.close()
    const response = await telltale.fetch(new Request('http://localhost/api/events', { method: 'POST', body: '{}' }))
    expect(response.status).toBe(503)
    expect(await response.json()).toEqual({ message: 'This telltale instance is shut down.' })
  })

  test('does not close a better-sqlite3 Database the user passed in', async () => {
    const database = new Database(':memory:')
    cleanups.push(() => database.close())
    const telltale = createTelltale({ storage: sqliteStorage({ database }), scheduler: manualScheduler() })
    const project = await telltale.api.createProject({ name: 'Mine' })
    await telltale.close()
    expect(database.open).toBe(true)
    expect(database.prepare('select name from telltale_projects where id = ?').get(project.id)).toEqual({
      name: 'Mine',
    })
  })

  test('closes a database it opened itself', async () => {
    const tmp = tempDir()
    cleanups.push(tmp.cleanup)
    const storage = sqliteStorage({ file: tmp.file('owned.db') })
    const telltale = createTelltale({ storage, scheduler: manualScheduler() })
    await telltale.api.createProject({ name: 'Owned' })
    await telltale.close()
    await expect(storage.projects.getBySlug({ slug: 'owned' })).rejects.toThrow()
  })
})

describe('durability', () => {
  test('acknowledged events survive a restart on the same SQLite file', async () => {
    const tmp = tempDir()
    cleanups.push(tmp.cleanup)
    const file = tmp.file('telltale.db')

    const first = createTelltale({ storage: sqliteStorage({ file }), scheduler: manualScheduler() })
    const project = await first.api.createProject({ name: 'Durable' })
    const { key } = await first.api.createApiKey({ projectId: project.id, scopes: ['write'] })
    const single = await reply(
      await postEvent(first, key, {
        event: 'user_signup',
        user_id: '123',
        user_email: 'john@example.com',
        metadata: { plan: 'starter' },
      }),
    )
    const batch = await reply(
      await postEvent(
        first,
        key,
        {
          events: [
            { event: 'subscription_payment', user_id: '123', value: 29.0, id: 'pay-1' },
            { event: 'user_login', user_id: '123' },
          ],
        },
        '/api/events/batch',
      ),
    )
    expect(single.status).toBe(201)
    expect(batch.status).toBe(201)
    await first.close()

    const second = createTelltale({ storage: sqliteStorage({ file }), scheduler: manualScheduler() })
    cleanups.push(() => second.close())
    expect(await second.api.getEvent({ projectId: project.id, id: single.body.event_id })).toMatchObject({
      name: 'user_signup',
      userId: '123',
      userEmail: 'john@example.com',
      properties: { plan: 'starter' },
    })
    expect(await second.api.getEvent({ projectId: project.id, id: batch.body.event_ids[0] })).toMatchObject({
      name: 'subscription_payment',
      value: 29,
      clientId: 'pay-1',
    })
    expect(await second.api.getEvent({ projectId: project.id, id: batch.body.event_ids[1] })).toMatchObject({
      name: 'user_login',
    })

    // the key still works, and the client id still deduplicates after the restart
    const retry = await reply(
      await postEvent(second, key, { event: 'subscription_payment', user_id: '123', value: 29.0, id: 'pay-1' }),
    )
    expect(retry).toEqual({ status: 201, body: { success: true, event_id: batch.body.event_ids[0] } })
  })
})
