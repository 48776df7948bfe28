// The in-process API: validated exactly as the HTTP routes are, and failing only with a
// TelltaleError (never a driver error, a raw RangeError or a silent wrong answer). Runs on every
// adapter (vitest projects).
import Database from 'better-sqlite3'
import { createTelltale, isTelltaleError, type TelltaleError } from 'telltale'
import { manualScheduler } from 'telltale/adapters/manual'
import { sqliteStorage } from 'telltale/adapters/sqlite'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { operations } from '../src/domains'
import { makeTelltale, type TestApp } from './helpers/app'

let t: TestApp
beforeEach(async () => {
  t = await makeTelltale()
})
afterEach(() => t.close())

/** The TelltaleError a call rejects with (fails the test if it resolves or throws anything else). */
async function failure(call: Promise<unknown>): Promise<TelltaleError> {
  const error = await call.then(
    (value) => {
      throw new Error(`expected a TelltaleError, got ${JSON.stringify(value)}`)
    },
    (e: unknown) => e,
  )
  if (!isTelltaleError(error)) throw error
  return error
}

const paths = (error: TelltaleError) => error.issues.map((i) => i.path.join('.'))

test('api has exactly the registered operations', () => {
  expect(Object.keys(t.telltale.api).sort()).toEqual(Object.keys(operations).sort())
})

describe('queries refuse bad input with a validation error', () => {
  test.each([
    ['an unknown interval', { interval: '2h' }, 'interval'],
    ['an inherited property name as interval', { interval: 'toString' }, 'interval'],
    ['an unknown time zone', { interval: '1d', timeZone: 'Mars/Olympus_Mons' }, 'timeZone'],
    ['a time zone with an interval other than 1d', { interval: '1h', timeZone: 'Europe/Berlin' }, 'interval'],
    ['from after to', { filter: { from: '2024-01-02', to: '2024-01-01' } }, 'filter.range'],
    ['a timestamp out of range', { filter: { from: -1 } }, 'filter.from'],
    ['a tag filter that is not a string map', { filter: { tags: { plan: 3 } } }, 'filter.tags.plan'],
    ['a NUL in a tag key', { filter: { tags: { 'a\u0000b': 'x' } } }, 'filter.tags.a\u0000b'],
    ['a NUL in a group key', { groupByTag: 'pl\u0000an' }, 'groupByTag'],
  ])('countEvents: %s', async (_name, input, path) => {
    const error = await failure(t.telltale.api.countEvents({ projectId: t.project.id, ...(input as object) }))
    expect(error.kind).toBe('validation')
    expect(paths(error)).toContain(path)
  })

  test.each([-1, 0, 1001, 1.5, Number.NaN, '10'])('listEvents: limit %s', async (limit) => {
    const error = await failure(t.telltale.api.listEvents({ projectId: t.project.id, limit: limit as number }))
    expect(error.kind).toBe('validation')
    expect(paths(error)).toEqual(['limit'])
  })

  test('eventStats: a property key with a lone surrogate', async () => {
    const error = await failure(
      t.telltale.api.eventStats({ projectId: t.project.id, field: { kind: 'property', key: 'a\uD800' } }),
    )
    expect(paths(error)).toEqual(['field.key'])
  })

  test('a range of more than 10,000 buckets', async () => {
    const error = await failure(
      t.telltale.api.countEvents({ projectId: t.project.id, filter: { from: 0, to: 20_000 * 60_000 }, interval: '1m' }),
    )
    expect(paths(error)).toEqual(['range'])
  })
})

describe('a validation error says what is wrong, in the field names of the api', () => {
  test.each([
    [
      'a missing name',
      () => t.telltale.api.trackEvent({ projectId: t.project.id } as never),
      'The name field is required.',
    ],
    [
      'a name of the wrong type',
      () => t.telltale.api.trackEvent({ projectId: t.project.id, name: 42 } as never),
      'The name field must be a string.',
    ],
    [
      'a nested field',
      () => t.telltale.api.countEvents({ projectId: t.project.id, filter: { from: 'yesterday' } }),
      'The filter.from field must be a valid ISO-8601 date.',
    ],
    [
      'an item of a batch',
      () =>
        t.telltale.api.trackEvents({ projectId: t.project.id, events: [{ name: 'ok' }, { userId: 'u1' }] } as never),
      'The events.1.name field is required.',
    ],
    [
      'several problems',
      () =>
        t.telltale.api.trackEvent({
          projectId: t.project.id,
          name: '',
          userEmail: 'not-an-email',
          value: 'x',
        } as never),
      'The name field is required. (and 2 more errors)',
    ],
  ])('%s', async (_name, call, message) => {
    const error = await failure(call())
    expect(error.kind).toBe('validation')
    expect(error.message).toBe(message)
    expect(error.issues.length).toBeGreaterThan(0)
  })
})

describe('projects that do not exist', () => {
  test.each(['not-a-uuid', '01940000-0000-7000-8000-000000000000'])(
    '%s: every project-scoped call is not_found',
    async (projectId) => {
      const { api } = t.telltale
      for (const call of [
        () => api.trackEvent({ projectId, name: 'orphan' }),
        () => api.trackEvents({ projectId, events: [{ name: 'orphan' }] }),
        () => api.trackEventsEach({ projectId, events: [{ name: 'orphan' }] }),
        () => api.listEvents({ projectId }),
        () => api.countEvents({ projectId }),
        () => api.eventStats({ projectId }),
        () => api.getProject({ projectId }),
        () => api.createApiKey({ projectId }),
        () => api.listApiKeys({ projectId }),
      ]) {
        expect((await failure(call())).kind).toBe('not_found')
      }
      // Nothing was stored under the missing project.
      expect(await t.storage.events.count({ projectId: '01940000-0000-7000-8000-000000000000', filter: {} })).toBe(0)
    },
  )
})

describe('ensureProject: get-or-create for setup code that runs on every boot', () => {
  test('creates once, then returns the same project unchanged', async () => {
    const first = await t.telltale.api.ensureProject({ name: 'Globex', slug: 'globex', timezone: 'Europe/Berlin' })
    expect(first).toEqual({
      created: true,
      project: expect.objectContaining({ name: 'Globex', slug: 'globex', timezone: 'Europe/Berlin' }),
    })
    const again = await t.telltale.api.ensureProject({ name: 'Globex renamed', slug: 'globex' })
    expect(again).toEqual({ created: false, project: first.project })
    expect(await t.telltale.api.getProjectBySlug({ slug: 'globex' })).toEqual(first.project)
  })

  test('concurrent boots get one project', async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, () => t.telltale.api.ensureProject({ name: 'Race', slug: 'race' })),
    )
    expect(new Set(results.map((r) => r.project.id)).size).toBe(1)
    expect(results.filter((r) => r.created)).toHaveLength(1)
  })

  test('the slug is required and validated', async () => {
    expect(paths(await failure(t.telltale.api.ensureProject({ name: 'No slug' } as never)))).toEqual(['slug'])
    expect(paths(await failure(t.telltale.api.ensureProject({ name: 'Bad', slug: 'Not A Slug' })))).toEqual(['slug'])
  })
})

describe('events', () => {
  test('trackEvent refuses text Postgres cannot store, on every adapter alike', async () => {
    for (const bad of [
      { name: 'a\u0000b' },
      { name: 'a', userId: '\uDC00' },
      { name: 'a', id: 'x\uD800' },
      { name: 'a', properties: { note: 'nul\u0000' } },
      { name: 'a', properties: { 'k\u0000': 1 } },
      { name: 'a', tags: { plan: '\uD83D' } },
    ]) {
      expect((await failure(t.telltale.api.trackEvent({ projectId: t.project.id, ...bad }))).kind).toBe('validation')
    }
    // A whole surrogate pair (an emoji) is fine.
    await t.telltale.api.trackEvent({ projectId: t.project.id, name: 'ok 😀', properties: { note: '😀' } })
    expect(await t.count()).toBe(1)
  })

  test('null is absent: nothing null is stored or echoed, and the timestamp defaults to now', async () => {
    const nulls = {
      id: null,
      timestamp: null,
      userId: null,
      userEmail: null,
      userName: null,
      value: null,
      properties: null,
      tags: null,
    }
    const tracked = await t.telltale.api.trackEvent({ projectId: t.project.id, name: 'a', ...nulls })
    expect(tracked.event).toStrictEqual({ name: 'a', timestamp: t.clock.now() })
    expect(await t.telltale.api.getEvent({ projectId: t.project.id, id: tracked.id })).toMatchObject({
      userId: null,
      value: null,
      properties: null,
      tags: null,
    })
    const { accepted } = await t.telltale.api.trackEventsEach({
      projectId: t.project.id,
      events: [{ name: 'b', userId: 'u', ...{ value: null } }],
    })
    expect(accepted[0].event).toStrictEqual({ name: 'b', userId: 'u', timestamp: t.clock.now() })
  })

  test('timestamps: whole milliseconds in 1970..9999', async () => {
    for (const timestamp of [
      -1,
      253402300800000,
      8.64e15 + 1,
      '0000-01-01',
      '+275760-09-13T00:00:00.000Z',
      Number.POSITIVE_INFINITY,
    ]) {
      const error = await failure(t.telltale.api.trackEvent({ projectId: t.project.id, name: 'a', timestamp }))
      expect(paths(error)).toEqual(['timestamp'])
    }
    const { id } = await t.telltale.api.trackEvent({
      projectId: t.project.id,
      name: 'a',
      timestamp: 1_700_000_000_000.75,
    })
    expect((await t.telltale.api.getEvent({ projectId: t.project.id, id })).timestamp).toBe(1_700_000_000_000)
    expect(await t.count()).toBe(1)
  })

  test('properties that are not plain JSON are refused, not mangled', async () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    for (const properties of [cyclic, { n: Number.NaN }, { f: () => 1 }, { b: 10n }, { d: new Map() }]) {
      expect(
        (
          await failure(
            t.telltale.api.trackEvent({ projectId: t.project.id, name: 'a', properties: properties as never }),
          )
        ).kind,
      ).toBe('validation')
    }
    expect(await t.count()).toBe(0)
  })

  test('__proto__ keys in tags and properties are kept, and can be filtered and grouped on', async () => {
    const tags = JSON.parse('{"__proto__": "x", "plan": "pro"}')
    const properties = JSON.parse('{"__proto__": {"a": 1}}')
    const { id } = await t.telltale.api.trackEvent({ projectId: t.project.id, name: 'a', tags, properties })
    const stored = await t.telltale.api.getEvent({ projectId: t.project.id, id })
    expect(Object.keys(stored.tags!).sort()).toEqual(['__proto__', 'plan']) // jsonb keeps keys in its own order
    expect(JSON.stringify(stored.properties)).toBe('{"__proto__":{"a":1}}')
    const filter = { tags: JSON.parse('{"__proto__": "x"}') }
    expect((await t.telltale.api.countEvents({ projectId: t.project.id, filter })).total).toBe(1)
    expect(
      (
        await t.telltale.api.countEvents({
          projectId: t.project.id,
          filter: { tags: JSON.parse('{"__proto__": "y"}') },
        })
      ).total,
    ).toBe(0)
    const { groups } = await t.telltale.api.countEvents({ projectId: t.project.id, groupByTag: '__proto__' })
    expect(JSON.stringify(groups)).toBe('{"x":1}')
  })

  test('getEvent with an id that is not a UUID is not_found', async () => {
    expect((await failure(t.telltale.api.getEvent({ projectId: t.project.id, id: 'evt_1' }))).kind).toBe('not_found')
  })
})

test('a driver failure becomes an internal TelltaleError with the driver error as cause', async () => {
  const database = new Database(':memory:')
  const telltale = createTelltale({ storage: sqliteStorage({ database }), scheduler: manualScheduler() })
  const project = await telltale.api.createProject({ name: 'Closed' })
  database.close()
  const error = await failure(telltale.api.listEvents({ projectId: project.id }))
  expect(error.kind).toBe('internal')
  expect(error.status).toBe(500)
  expect(error.cause).toBeInstanceOf(Error)
  await telltale.close()
})
