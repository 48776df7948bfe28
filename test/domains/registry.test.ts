// The domain registry: a test-only domain (./tally) added with one line gets `api`, a scheduled
// job claimed across instances, the after-ingest hook, and (with its surface) a route, on the
// current adapter, over the same store as every other domain.
import { createTelltale, isTelltaleError, type TelltaleError } from 'telltale'
import { manualScheduler } from 'telltale/adapters/manual'
import { sqliteStorage } from 'telltale/adapters/sqlite'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { Domain } from '../../src/core/domain'
import { DOMAINS } from '../../src/domains'
import { SURFACES } from '../../src/surfaces'
import { makeTelltale, reply, type TestApp } from '../helpers/app'
import { tally, tallySurface } from './tally'

type TallyApi = { tallyEvents(input: unknown): Promise<{ stored: number; seenByHook: number; digests: number }> }

let t: TestApp
beforeEach(async () => {
  t = await makeTelltale({ domains: [...DOMAINS, tally], surfaceList: [...SURFACES, tallySurface] })
})
afterEach(() => t.close())

const get = (path: string, key = t.keys.read) =>
  t.telltale.fetch(new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${key}` } }))

describe('a domain added in one line', () => {
  test('its operation is in api and behind its route; its hook sees every ingest path', async () => {
    const api = t.telltale.api as unknown as TallyApi
    expect(await api.tallyEvents({ projectId: t.project.id })).toEqual({ stored: 0, seenByHook: 0, digests: 0 })
    expect((await t.post('/api/events', { event: 'signup' })).status).toBe(201)
    expect((await t.post('/api/events/batch', { events: [{ event: 'signup' }, { event: 'login' }] })).status).toBe(201)
    await t.telltale.api.trackEvent({ projectId: t.project.id, name: 'signup' })
    expect(await api.tallyEvents({ projectId: t.project.id })).toEqual({ stored: 4, seenByHook: 4, digests: 0 })
    expect(await reply(await get('/tally?name=signup'))).toEqual({
      status: 200,
      body: { stored: 3, seenByHook: 4, digests: 0 },
    })
    // The other tenant's events are its own.
    expect(await api.tallyEvents({ projectId: t.other.project.id })).toMatchObject({ stored: 0, seenByHook: 0 })
  })

  test('its input is validated in-process and over HTTP, and its route has the prologue', async () => {
    const api = t.telltale.api as unknown as TallyApi
    const error = await api.tallyEvents({ projectId: t.project.id, name: '' }).catch((e: unknown) => e)
    expect(isTelltaleError(error) && (error as TelltaleError).kind).toBe('validation')
    expect(await reply(await get('/tally?name='))).toMatchObject({ status: 422 })
    expect(await reply(await get('/tally', 'tt_wrong'))).toEqual({ status: 401, body: { error: 'Invalid API key.' } })
    expect(await reply(await get('/tally', t.keys.write))).toMatchObject({ status: 403 })
  })

  test('its job is on the scheduler and claimed in the store: one run per period across instances', async () => {
    const api = t.telltale.api as unknown as TallyApi
    t.clock.advance(60_000)
    expect(await t.scheduler.runDue()).toContain('telltale:tally-digest')
    expect((await api.tallyEvents({ projectId: t.project.id })).digests).toBe(1)
    // A second instance over the same store ticks the job too, but each period has one run.
    const scheduler = manualScheduler({ clock: t.clock })
    const second = createTelltale({ storage: t.storage, clock: t.clock, scheduler, domains: [...DOMAINS, tally] })
    await second.ready()
    t.clock.advance(60_000)
    expect(await t.scheduler.runDue()).toContain('telltale:tally-digest')
    expect(await scheduler.runDue()).toContain('telltale:tally-digest')
    expect((await api.tallyEvents({ projectId: t.project.id })).digests).toBe(2)
    await scheduler.stop() // not second.close(): the store is t's
  })
})

describe('what the domains cannot check alone', () => {
  const storage = () => sqliteStorage({ file: ':memory:' })
  const refused = (domains: readonly Domain[]) => {
    try {
      createTelltale({ storage: storage(), domains })
    } catch (error) {
      return isTelltaleError(error) ? `${error.kind}: ${error.message}` : String(error)
    }
    return 'accepted'
  }

  test('two domains with one id, operation or job are refused in one line', () => {
    expect(refused([...DOMAINS, tally, tally])).toBe(
      'config: telltale: two domains have the id "tally": give each its own',
    )
    expect(refused([...DOMAINS, { ...tally, id: 'tally2', jobs: [] }, { ...tally, jobs: [] }])).toBe(
      'config: telltale: the tally2 and tally domains both define the operation tallyEvents: rename one',
    )
    expect(refused([...DOMAINS, tally, { id: 'other', operations: {}, jobs: tally.jobs }])).toBe(
      'config: telltale: the tally and other domains both define the job "tally-digest": rename one',
    )
    expect(refused([...DOMAINS, tally])).toBe('accepted')
  })
})
