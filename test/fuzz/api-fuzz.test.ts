// The in-process api under hostile input: every operation, called with values of every wrong
// shape, either succeeds or fails with a TelltaleError of a client kind (never `internal`, a
// driver error or a raw TypeError), and a call that fails writes nothing. Runs on every adapter.

import { isTelltaleError } from 'telltale'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { operations } from '../../src/domains'
import { type TestStorage, testAdapters } from '../helpers/adapters'
import { makeTelltale, type TestApp } from '../helpers/app'
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

/** A valid input of each operation: the fuzzer breaks one or two of its fields at a time. */
function validInput(name: string, projectId: string, r: Rng): Record<string, unknown> {
  const event = {
    name: 'ok',
    timestamp: '2024-01-15T10:00:00Z',
    userId: 'u',
    value: 1,
    properties: { a: 1 },
    tags: { plan: 'pro' },
  }
  const filter = { name: 'ok', from: '2024-01-01', to: '2024-02-01', tags: { plan: 'pro' } }
  switch (name) {
    case 'createProject':
      return { name: 'P', slug: `p-${r.int(1e9)}`, timezone: 'Europe/Berlin' }
    case 'getProjectBySlug':
      return { slug: 'acme' }
    case 'createApiKey':
      return { projectId, name: 'k', scopes: ['read'] }
    case 'revokeApiKey':
      return { projectId, keyId: '01940000-0000-7000-8000-000000000000' }
    case 'trackEvent':
      return { projectId, ...event }
    case 'trackEvents':
    case 'trackEventsEach':
      return { projectId, events: [{ ...event }, { name: 'two' }] }
    case 'getEvent':
      return { projectId, id: '01940000-0000-7000-8000-000000000000' }
    case 'countEvents':
      return { projectId, filter: { ...filter }, interval: '1d', timeZone: 'Europe/Berlin', groupByTag: 'plan' }
    case 'eventStats':
      return { projectId, filter: { ...filter }, field: { kind: 'property', key: 'a' } }
    case 'listEvents':
      return { projectId, filter: { ...filter }, limit: 10, offset: 0 }
    case 'createMetric':
      return r.int(2) === 0
        ? {
            projectId,
            name: `M ${r.int(1e9)}`,
            event: 'ok',
            aggregation: 'p95',
            field: 'metadata.a',
            filters: [{ field: 'metadata.a', op: 'gte', value: 1 }],
            window: '7d',
            format: 'number',
          }
        : { projectId, name: `F ${r.int(1e9)}`, formula: '(mrr + 1) / paying_customers * 100', format: 'percent' }
    case 'updateMetric':
    case 'getMetric':
    case 'deleteMetric':
      return { projectId, id: '01940000-0000-7000-8000-000000000000', window: 'day' }
    case 'applyMetricTemplate':
      return { projectId, template: r.pick(['saas', 'ecommerce', 'api']) }
    case 'getMetricValue':
      return { projectId, slug: 'mrr' }
    case 'getMetricHistory':
    case 'recalculateMetric':
      return { projectId, slug: r.pick(['mrr', 'arpu', 'requests']), from: '2024-01-01', to: '2024-01-10' }
    default:
      return { projectId }
  }
}

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

describe.each(testAdapters())(`api fuzz on $name (FUZZ_SEED=${SEED})`, (adapter) => {
  let t: TestApp
  let opened: TestStorage
  beforeAll(async () => {
    opened = adapter.open()
    t = await makeTelltale({ storage: opened.storage })
  })
  afterAll(async () => {
    await t.close()
    await opened.cleanup()
  })

  test(`${CALLS} hostile calls: success or a client TelltaleError, nothing written on failure`, async () => {
    const r = new Rng(SEED)
    const api = t.telltale.api as unknown as Record<string, (input: unknown) => Promise<unknown>>
    const names = Object.keys(operations)
    const problems: string[] = []
    for (let i = 0; i < CALLS && problems.length < 10; i++) {
      const name = r.pick(names)
      const input = hostileInput(r, name, t.project.id)
      const before = await t.count()
      try {
        await api[name](input)
      } catch (error) {
        const shown = `${name}(${show(input)})`
        if (!isTelltaleError(error)) problems.push(`${shown} threw ${String(error)}`)
        else if (!['validation', 'not_found', 'conflict'].includes(error.kind))
          problems.push(`${shown} failed with ${error.kind}: ${error.message}`)
        else if ((await t.count()) !== before) problems.push(`${shown} failed with ${error.kind} but wrote events`)
      }
    }
    expect(problems).toEqual([])
  })
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
