// The in-process api under hostile input: every operation, called with values of every wrong
// shape, either succeeds or fails with a TelltaleError of a client kind (never `internal`, a
// driver error or a raw TypeError), and a call that fails writes nothing: the store's fingerprint
// (test/helpers/fingerprint.ts: projects, keys, events, metrics, jobs) is the same after it. Runs
// on every adapter.

import { isTelltaleError } from 'telltale'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { operations } from '../../src/domains'
import { type TestStorage, testAdapters } from '../helpers/adapters'
import { makeTelltale, type TestApp } from '../helpers/app'
import { changedDomains, fingerprint, watchedFingerprint } from '../helpers/fingerprint'
import { Rng, seedFromEnv } from '../helpers/prng'

const SEED = seedFromEnv()
const CALLS = 1500

const cyclic: Record<string, unknown> = {}
cyclic.self = cyclic

/** Values that break something somewhere: wrong types, extremes, hostile text and keys. */
const HOSTILE: unknown[] = [
  undefined,
  null,
  true,
  0,
  -1,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  -1e308,
  1e308,
  2 ** 63,
  8.64e15 + 1,
  10n,
  '',
  ' ',
  'x'.repeat(300),
  '\u0000',
  'a\uD800',
  '\uDFFF',
  '😀',
  'toString',
  '__proto__',
  'constructor',
  '2h',
  '1d',
  'Pacific/Apia',
  'Mars/Base',
  '2011-12-30',
  '9999-12-31T23:59:59Z',
  '+275760-09-13T00:00:00.000Z',
  'not-a-uuid',
  '01940000-0000-7000-8000-000000000000',
  [],
  [1, 'a'],
  {},
  JSON.parse('{"__proto__": "x"}'),
  { a: { b: { c: 1 } } },
  cyclic,
  new Date(Number.NaN),
  new Map(),
  () => 1,
  Symbol('s'),
]

/** The pieces the valid inputs share. */
const EVENT = {
  name: 'ok',
  timestamp: '2024-01-15T10:00:00Z',
  userId: 'u',
  value: 1,
  properties: { a: 1 },
  tags: { plan: 'pro' },
}
const FILTER = { name: 'ok', from: '2024-01-01', to: '2024-02-01', tags: { plan: 'pro' } }
const SOME_ID = '01940000-0000-7000-8000-000000000000'
type ValidInput = (projectId: string, r: Rng) => Record<string, unknown>

/**
 * A valid input of each operation: the fuzzer breaks one or two of its fields at a time. An
 * operation missing here is fuzzed from `{ projectId }` alone, and the test names it (see below).
 */
const VALID: Record<string, ValidInput> = {
  createProject: (_, r) => ({ name: 'P', slug: `p-${r.int(1e9)}`, timezone: 'Europe/Berlin' }),
  ensureProject: (_, r) => ({ name: 'P', slug: r.pick(['acme', `p-${r.int(1e9)}`]), timezone: 'UTC' }),
  getProject: (projectId) => ({ projectId }),
  getProjectBySlug: () => ({ slug: 'acme' }),
  createUser: (projectId, r) => ({
    projectId,
    email: `u${r.int(8)}@example.com`,
    password: 'password1',
    fullName: 'U',
    role: r.pick(['admin', 'member', 'viewer']),
  }),
  updateUser: (projectId, r) => ({ projectId, id: 1 + r.int(3), fullName: 'V', role: 'member' }),
  deleteUser: (projectId, r) => ({ projectId, id: 1 + r.int(9) }),
  listUsers: (projectId) => ({ projectId }),
  login: (_, r) => ({ email: `u${r.int(8)}@example.com`, password: r.pick(['password1', 'wrong']) }),
  getMe: (projectId) => ({ projectId, userId: 1 }),
  changePassword: (projectId) => ({ projectId, userId: 1, currentPassword: 'password1', newPassword: 'password2' }),
  createApiKey: (projectId) => ({ projectId, name: 'k', scopes: ['read'] }),
  listApiKeys: (projectId) => ({ projectId }),
  revokeApiKey: (projectId) => ({ projectId, keyId: SOME_ID }),
  trackEvent: (projectId) => ({ projectId, ...EVENT }),
  trackEvents: (projectId) => ({ projectId, events: [{ ...EVENT }, { name: 'two' }] }),
  trackEventsEach: (projectId) => ({ projectId, events: [{ ...EVENT }, { name: 'two' }] }),
  getEvent: (projectId) => ({ projectId, id: SOME_ID }),
  countEvents: (projectId) => ({
    projectId,
    filter: { ...FILTER },
    interval: '1d',
    timeZone: 'Europe/Berlin',
    groupByTag: 'plan',
  }),
  eventStats: (projectId) => ({ projectId, filter: { ...FILTER }, field: { kind: 'property', key: 'a' } }),
  listEvents: (projectId) => ({ projectId, filter: { ...FILTER }, limit: 10, offset: 0 }),
  createMetric: (projectId, r) =>
    r.int(2) === 0
      ? {
          projectId,
          name: `M ${r.int(8)}`,
          event: 'ok',
          aggregation: 'p95',
          field: 'metadata.a',
          filters: [{ field: 'metadata.a', op: 'gte', value: 1 }],
          window: '7d',
          format: 'number',
        }
      : { projectId, name: `F ${r.int(8)}`, formula: '(mrr + 1) / paying_customers * 100', format: 'percent' },
  listMetrics: (projectId) => ({ projectId }),
  updateMetric: (projectId) => ({ projectId, id: SOME_ID, window: 'day' }),
  getMetric: (projectId) => ({ projectId, id: SOME_ID }),
  deleteMetric: (projectId) => ({ projectId, id: SOME_ID }),
  listMetricTemplates: (projectId) => ({ projectId }),
  applyMetricTemplate: (projectId, r) => ({ projectId, template: r.pick(['saas', 'ecommerce', 'api']) }),
  getMetricValue: (projectId) => ({ projectId, slug: 'mrr' }),
  getMetricValues: (projectId) => ({ projectId }),
  getMetricHistory: (projectId, r) => ({
    projectId,
    slug: r.pick(['mrr', 'arpu', 'requests']),
    from: '2024-01-01',
    to: '2024-01-10',
  }),
  recalculateMetric: (projectId, r) => ({
    projectId,
    slug: r.pick(['mrr', 'arpu', 'requests']),
    from: '2024-01-01',
    to: '2024-01-10',
  }),
}

const validInput = (name: string, projectId: string, r: Rng) =>
  Object.hasOwn(VALID, name) ? VALID[name](projectId, r) : { projectId }

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)

/** A valid input with one or two values replaced by hostile ones, at the top or one level down. */
function hostileInput(r: Rng, name: string, projectId: string): unknown {
  if (r.int(25) === 0) return r.pick(HOSTILE) // not even an object
  const input = validInput(name, projectId, r)
  for (let i = 1 + r.int(2); i > 0; i--) {
    const keys = Object.keys(input)
    const key = r.pick([...keys, 'extra'])
    const inner = input[key]
    if (isObject(inner) && r.int(2) === 0) inner[r.pick([...Object.keys(inner), 'extra'])] = r.pick(HOSTILE)
    else if (Array.isArray(inner) && isObject(inner[0]) && r.int(2) === 0)
      inner[0][r.pick(Object.keys(inner[0]))] = r.pick(HOSTILE)
    else input[key] = r.pick(HOSTILE)
  }
  return input
}

/** Operations the VALID table does not know: fuzzed all the same, and listed so their author adds an entry. */
const UNKNOWN = Object.keys(operations).filter((name) => !Object.hasOwn(VALID, name))
if (UNKNOWN.length > 0)
  console.warn(`[api fuzz] no valid input in VALID for ${UNKNOWN.join(', ')}: fuzzed from { projectId } only`)

describe.each(testAdapters())(`api fuzz on $name (FUZZ_SEED=${SEED})`, (adapter) => {
  let t: TestApp
  let opened: TestStorage
  let watched: ReturnType<typeof watchedFingerprint>
  beforeAll(async () => {
    opened = adapter.open()
    // Telltale gets the watched store: the fingerprint read after each call reads again only the
    // domains the call reached.
    watched = watchedFingerprint(opened.storage)
    t = await makeTelltale({ storage: watched.storage })
  })
  afterAll(async () => {
    await t.close()
    await opened.cleanup()
  }, 90_000)

  test(`${CALLS} hostile calls: success or a client TelltaleError, nothing written on failure`, async () => {
    const r = new Rng(SEED)
    const api = t.telltale.api as unknown as Record<string, (input: unknown) => Promise<unknown>>
    const names = Object.keys(operations)
    const problems: string[] = []
    // The fuzzed project and what belongs to none, read after every call: after a failure it must
    // be what it was before (and so serves as the next call's "before").
    const home = { projectIds: [t.project.id], global: true }
    let state = await watched.read(home)
    const other = await fingerprint(opened.storage, { projectIds: [t.other.project.id] })
    for (let i = 0; i < CALLS && problems.length < 10; i++) {
      const name = r.pick(names)
      const input = hostileInput(r, name, t.project.id)
      // The project and slug the call names, when they are not the fuzzed project: read around the call.
      const named = (key: string) => (isObject(input) && typeof input[key] === 'string' ? [input[key]] : [])
      const elsewhere = {
        projectIds: named('projectId').filter((id) => id !== t.project.id),
        slugs: named('slug'),
      }
      const nowhere = elsewhere.projectIds.length + elsewhere.slugs.length === 0
      const beforeElsewhere = nowhere ? {} : await fingerprint(opened.storage, elsewhere)
      let failed: string | undefined
      try {
        await api[name](input)
      } catch (error) {
        const shown = `${name}(${show(input)})`
        if (!isTelltaleError(error)) problems.push(`${shown} threw ${String(error)}`)
        else if (!['validation', 'not_found', 'conflict', 'unauthorized'].includes(error.kind))
          problems.push(`${shown} failed with ${error.kind}: ${error.message}`)
        else failed = `${shown} failed with ${error.kind}`
      }
      const after = await watched.read(home)
      if (failed !== undefined) {
        const changed = [
          ...changedDomains(state, after),
          ...(nowhere ? [] : changedDomains(beforeElsewhere, await fingerprint(opened.storage, elsewhere))),
        ]
        if (changed.length > 0) problems.push(`${failed} but wrote ${[...new Set(changed)].join(', ')}`)
      }
      state = after
    }
    // No call names the other project: nothing of it may change, whatever succeeded.
    const otherChanged = changedDomains(other, await fingerprint(opened.storage, { projectIds: [t.other.project.id] }))
    if (otherChanged.length > 0) problems.push(`the other project's ${otherChanged.join(', ')} changed`)
    expect(problems).toEqual([])
  }, 90_000) // a few seconds alone; far more on a shared Redis or Postgres under load
})

// Operations without an entry are named here, not failed: a new domain's are fuzzed from { projectId } until then.
test(`VALID has no stale entries (operations without one: ${UNKNOWN.join(', ') || 'none'})`, () => {
  expect(Object.keys(VALID).filter((name) => !Object.hasOwn(operations, name))).toEqual([])
})

function show(value: unknown): string {
  try {
    return (
      JSON.stringify(value, (_k, v) =>
        typeof v === 'bigint' ? `${v}n` : typeof v === 'function' ? '[function]' : v,
      )?.slice(0, 200) ?? String(value)
    )
  } catch {
    return '[unserialisable]'
  }
}
