// Status Blocks metrics (reference 000: "Metric Definitions", "Metric Values"): definitions CRUD,
// validation, templates, values, history and recalculation through HTTP, on every adapter. The
// packs' numbers are checked against hand-computed fixtures in metrics-{saas,ecommerce,api}.test.ts.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { makeTelltale, reply, type TestApp, UUID } from '../../helpers/app'
import { event } from '../../helpers/records'

let t: TestApp
beforeEach(async () => {
  t = await makeTelltale({ now: '2024-03-20T12:00:00Z' })
})
afterEach(async () => {
  await t.close()
})

const DAY = 86_400_000
const call = async (method: string, path: string, body?: unknown, key: string | null = t.keys.readWrite) =>
  reply(
    await t.telltale.fetch(
      new Request(`http://localhost${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(key ? { authorization: `Bearer ${key}` } : {}),
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      }),
    ),
  )
const get = (path: string, key?: string | null) => call('GET', path, undefined, key)
const create = (body: Record<string, unknown>) => call('POST', '/api/metrics/definitions', body)
const track = (events: Array<Record<string, unknown>>) => t.post('/api/events/batch', { events })
const LARAVEL_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/

describe('definitions', () => {
  test('create: 201 with the whole definition, slug derived from the name, defaults filled', async () => {
    const res = await create({
      name: 'Pro signups',
      event: 'user_signup',
      aggregation: 'count',
      filters: [{ field: 'metadata.plan', op: 'eq', value: 'pro' }],
    })
    expect(res.status).toBe(201)
    expect(res.body.data).toEqual({
      uuid: expect.stringMatching(UUID),
      name: 'Pro signups',
      slug: 'pro_signups',
      description: null,
      kind: 'aggregate',
      event: 'user_signup',
      aggregation: 'count',
      field: null,
      filters: [{ field: 'metadata.plan', op: 'eq', value: 'pro' }],
      window: '30d',
      formula: null,
      format: 'number',
      template: null,
      created_at: '2024-03-20T12:00:00.000000Z',
      updated_at: '2024-03-20T12:00:00.000000Z',
    })
    expect(res.body.data.created_at).toMatch(LARAVEL_DATE)
  })

  test('list, get, update, delete', async () => {
    const a = (await create({ name: 'Revenue', event: 'order_completed', aggregation: 'sum', format: 'currency' })).body
      .data
    const b = (await create({ name: 'Orders', event: 'order_completed', aggregation: 'count' })).body.data
    const list = await get('/api/metrics/definitions')
    expect(list.status).toBe(200)
    expect(list.body.data.map((d: { slug: string }) => d.slug)).toEqual(['revenue', 'orders'])
    expect((await get(`/api/metrics/definitions/${a.uuid}`)).body.data).toEqual(a)

    t.clock.advance(1000)
    const updated = await call('PUT', `/api/metrics/definitions/${a.uuid}`, { window: '7d', description: 'Last week' })
    expect(updated.status).toBe(200)
    expect(updated.body.data).toMatchObject({
      uuid: a.uuid,
      slug: 'revenue',
      aggregation: 'sum',
      field: 'value',
      window: '7d',
      description: 'Last week',
      format: 'currency',
    })
    expect(updated.body.data.updated_at).toBe('2024-03-20T12:00:01.000000Z')
    expect(updated.body.data.created_at).toBe(a.created_at)

    const deleted = await call('DELETE', `/api/metrics/definitions/${b.uuid}`)
    expect(deleted).toEqual({ status: 200, body: { success: true } })
    expect(await get(`/api/metrics/definitions/${b.uuid}`)).toEqual({
      status: 404,
      body: { message: 'Metric not found.' },
    })
    expect((await get('/api/metrics/definitions')).body.data).toHaveLength(1)
  })

  test('unknown or malformed uuids and slugs are 404', async () => {
    for (const path of [
      '/api/metrics/definitions/018d0cab-c440-7393-8153-537c6e3e98ef',
      '/api/metrics/definitions/nope',
      '/api/metrics/values/nope',
      '/api/metrics/values/nope/history',
    ]) {
      expect(await get(path)).toEqual({ status: 404, body: { message: 'Metric not found.' } })
    }
    expect((await call('PUT', '/api/metrics/definitions/nope', { name: 'x' })).status).toBe(404)
    expect((await call('DELETE', '/api/metrics/definitions/nope')).status).toBe(404)
    expect((await call('POST', '/api/metrics/values/nope/recalculate')).status).toBe(404)
  })

  test('another project cannot see or change a definition', async () => {
    const a = (await create({ name: 'Orders', event: 'order_completed', aggregation: 'count' })).body.data
    expect((await get(`/api/metrics/definitions/${a.uuid}`, t.other.key)).status).toBe(404)
    expect((await call('DELETE', `/api/metrics/definitions/${a.uuid}`, undefined, t.other.key)).status).toBe(404)
    expect((await get('/api/metrics/definitions', t.other.key)).body.data).toEqual([])
    expect((await get('/api/metrics/values/orders', t.other.key)).status).toBe(404)
    // The same slug is free in another project.
    expect(
      (await call('POST', '/api/metrics/definitions', { name: 'Orders', aggregation: 'count' }, t.other.key)).status,
    ).toBe(201)
  })

  test('401 without a key, 403 without the scope', async () => {
    expect(await get('/api/metrics/definitions', null)).toEqual({ status: 401, body: { message: 'Invalid API key.' } })
    expect(
      (await call('POST', '/api/metrics/definitions', { name: 'x', aggregation: 'count' }, t.keys.read)).status,
    ).toBe(403)
    expect((await get('/api/metrics/values', t.keys.write)).status).toBe(403)
  })

  test('a taken slug is a 422, given or derived', async () => {
    await create({ name: 'Orders', aggregation: 'count' })
    for (const body of [
      { name: 'Orders', aggregation: 'count' },
      { name: 'Other', slug: 'orders', aggregation: 'count' },
    ]) {
      const res = await create(body)
      expect(res.status).toBe(422)
      expect(res.body.errors.slug).toEqual(['The slug has already been taken.'])
    }
    const other = (await create({ name: 'Other', aggregation: 'count' })).body.data
    expect((await call('PUT', `/api/metrics/definitions/${other.uuid}`, { slug: 'orders' })).status).toBe(422)
  })

  test.each([
    [{ aggregation: 'count' }, 'name', 'The name field is required.'],
    [{ name: 'x', aggregation: 'median' }, 'aggregation', 'The selected aggregation is invalid.'],
    [{ name: 'x' }, 'aggregation', 'The aggregation field is required for aggregate metrics.'],
    [{ name: 'x', aggregation: 'count', window: '90d' }, 'window', 'The selected window is invalid.'],
    [
      { name: 'x', aggregation: 'mrr', window: '30d' },
      'window',
      'The mrr aggregation is evaluated at a moment and takes no window.',
    ],
    [
      { name: 'x', aggregation: 'count', field: 'metadata.amount' },
      'field',
      'The count aggregation counts events or users and reads no field.',
    ],
    [{ name: 'x', aggregation: 'sum', field: 'amount' }, 'field', 'The field must be "value" or "metadata.<key>".'],
    [{ name: 'x', aggregation: 'count', format: 'money' }, 'format', 'The selected format is invalid.'],
    [
      { name: 'x', slug: 'Bad-Slug', aggregation: 'count' },
      'slug',
      'The slug must start with a lowercase letter and hold only lowercase letters, digits and underscores.',
    ],
    [{ name: 'x', aggregation: 'count', event: 42 }, 'event', 'The event field is invalid.'],
    [
      { name: 'x', aggregation: 'count', filters: [{ field: 'metadata.status', op: 'gte', value: '500' }] },
      'filters.0.value',
      'The filters.0.value field must be a number.',
    ],
    [
      { name: 'x', aggregation: 'count', filters: [{ field: 'metadata.status', op: 'in', value: 5 }] },
      'filters.0.value',
      'The filters.0.value field must be an array.',
    ],
    [
      { name: 'x', aggregation: 'count', filters: [{ field: 'email', op: 'eq', value: 'a' }] },
      'filters.0.field',
      'A filter field must be "value", "user_id" or "metadata.<key>".',
    ],
    [
      { name: 'x', aggregation: 'count', filters: [{ field: 'value', op: 'like', value: 1 }] },
      'filters.0.op',
      'The selected filters.0.op is invalid.',
    ],
    [{ name: 'x', kind: 'formula' }, 'formula', 'The formula field is required for formula metrics.'],
    [
      { name: 'x', kind: 'formula', formula: 'a +' },
      'formula',
      'The formula ends where a number or a metric slug is expected.',
    ],
    [{ name: 'x', formula: 'nope * 2' }, 'formula', 'The formula names a metric this project does not have: nope.'],
    [{ name: 'x', formula: 'x * 2' }, 'formula', 'The formula makes a cycle: x → x.'],
    [{ name: 'x', formula: 'process.exit(1)' }, 'formula', 'The formula has an unexpected character "." at column 8.'],
    [
      { name: 'x', formula: 'constructor.constructor("return 1")()' },
      'formula',
      'The formula has an unexpected character "." at column 12.',
    ],
    [{ name: 'x', formula: `${'1 + '.repeat(125)}1` }, 'formula', 'The formula is longer than 500 characters.'],
    [
      { name: 'x', formula: '1', window: 'day' },
      'window',
      'The window field is not used by formula metrics; leave it out.',
    ],
    [
      { name: 'x', aggregation: 'count', formula: '1' },
      'aggregation',
      'The aggregation field is not used by formula metrics; leave it out.',
    ],
    [
      { name: 'x', kind: 'aggregate', aggregation: 'count', formula: '1' },
      'formula',
      'The formula field is only used by formula metrics (kind "formula").',
    ],
  ])('bad definition %j → 422 on %s', async (body, field, message) => {
    const res = await create(body)
    expect(res.status).toBe(422)
    expect(res.body.errors[field]).toEqual([message])
    expect((await get('/api/metrics/definitions')).body.data).toEqual([])
  })

  test.each(['count', 'unique_users', 'repeat_users', 'subscribers'])(
    '%s takes the documented default field "value", or null (and reads none)',
    async (aggregation) => {
      for (const [name, field] of [
        ['With value', 'value'],
        ['With null', null],
      ] as const) {
        const res = await create({ name: `${aggregation} ${name}`, aggregation, field })
        expect(res.status, JSON.stringify(res.body)).toBe(201)
        expect(res.body.data.field).toBeNull()
      }
    },
  )

  test('a definition costs a bounded number of reads: in values, metrics reached, nesting', async () => {
    const values = (n: number) => Array.from({ length: n }, (_, i) => `v${i}`)
    const wide = await create({
      name: 'Wide',
      aggregation: 'count',
      filters: [0, 1, 2].map(() => ({ field: 'metadata.plan', op: 'in', value: values(100) })),
    })
    expect(wide.status).toBe(422)
    expect(wide.body.errors).toEqual({ filters: ['The filters may list at most 200 values in all (in "in" filters).'] })
    const twoHundred = [0, 1].map(() => ({ field: 'metadata.plan', op: 'in', value: values(100) }))
    expect((await create({ name: 'Just wide enough', aggregation: 'count', filters: twoHundred })).status).toBe(201)

    for (let i = 0; i < 51; i++) expect((await create({ name: `m${i}`, aggregation: 'count' })).status).toBe(201)
    const all = Array.from({ length: 51 }, (_, i) => `m${i}`)
    expect((await create({ name: 'Fifty', formula: all.slice(0, 50).join(' + ') })).status).toBe(201)
    expect((await create({ name: 'Fifty one', formula: all.join(' + ') })).body.errors).toEqual({
      formula: ['The formula would read 51 metrics; at most 50 may be reached through formulas.'],
    })

    // f1 = m0, f2 = f1, ... f8 = f7: eight levels of formulas; a ninth is refused.
    for (let level = 1; level <= 8; level++)
      expect((await create({ name: `f${level}`, formula: level === 1 ? 'm0' : `f${level - 1}` })).status).toBe(201)
    expect((await create({ name: 'f9', formula: 'f8' })).body.errors).toEqual({
      formula: ['The formula would nest formulas 9 deep; at most 8 levels.'],
    })
    // Deepening a formula deep down makes the one over it too deep: refused, naming it.
    expect((await create({ name: 'g', formula: 'm1' })).status).toBe(201)
    const f1 = (await get('/api/metrics/definitions')).body.data.find((d: { slug: string }) => d.slug === 'f1')
    expect((await call('PUT', `/api/metrics/definitions/${f1.uuid}`, { formula: 'g' })).body.errors).toEqual({
      formula: ['The formula of f8, which uses this one, would nest formulas 9 deep; at most 8 levels.'],
    })
  })

  test('a cycle through two formulas is refused on update', async () => {
    await create({ name: 'Base', aggregation: 'count' })
    const a = (await create({ name: 'A', formula: 'base * 2' })).body.data
    await create({ name: 'B', formula: 'a + 1' })
    const res = await call('PUT', `/api/metrics/definitions/${a.uuid}`, { formula: 'b - 1' })
    expect(res.status).toBe(422)
    expect(res.body.errors.formula).toEqual(['The formula makes a cycle: a → b → a.'])
  })

  test('a metric a formula uses cannot be deleted or renamed; the 422 names the formula', async () => {
    const base = (await create({ name: 'Orders', aggregation: 'count' })).body.data
    await create({ name: 'Double', formula: 'orders * 2' })
    const res = await call('DELETE', `/api/metrics/definitions/${base.uuid}`)
    expect(res.status).toBe(422)
    expect(res.body.message).toBe('The metric orders is used by double; change or delete that formula first.')
    const renamed = await call('PUT', `/api/metrics/definitions/${base.uuid}`, { slug: 'all_orders' })
    expect(renamed.status).toBe(422)
    expect(renamed.body.errors.slug).toEqual(['The slug cannot change while double uses orders.'])
  })

  test('changing kind drops the other kind’s fields', async () => {
    await create({ name: 'Orders', aggregation: 'count' })
    const a = (await create({ name: 'Thing', aggregation: 'sum', window: '7d' })).body.data
    const res = await call('PUT', `/api/metrics/definitions/${a.uuid}`, { kind: 'formula', formula: 'orders * 2' })
    expect(res.status).toBe(200)
    expect(res.body.data).toMatchObject({
      kind: 'formula',
      formula: 'orders * 2',
      aggregation: null,
      field: null,
      window: null,
      event: null,
      filters: null,
    })
  })

  test('malformed bodies get the documented errors, never a 500', async () => {
    expect((await call('POST', '/api/metrics/definitions', '{bad')).status).toBe(400)
    expect((await call('POST', '/api/metrics/definitions', '[1]')).status).toBe(422)
    expect((await create({ name: 'x'.repeat(256), aggregation: 'count' })).status).toBe(422)
    expect((await create({ name: 'a\u0000b', aggregation: 'count' })).status).toBe(422)
    expect((await create({ name: 'x', aggregation: 'count', filters: 'nope' })).status).toBe(422)
    expect(
      (
        await create({
          name: 'x',
          aggregation: 'count',
          filters: [{ field: 'metadata.a', op: 'in', value: Array(101).fill(1) }],
        })
      ).status,
    ).toBe(422)
  })
})

describe('templates', () => {
  test('lists saas, ecommerce and api with full definitions', async () => {
    const res = await get('/api/metrics/templates')
    expect(res.status).toBe(200)
    expect(res.body.data.map((t: { key: string }) => t.key)).toEqual(['saas', 'ecommerce', 'api'])
    const saas = res.body.data[0]
    expect(saas).toMatchObject({ key: 'saas', name: 'SaaS' })
    expect(saas.metrics.map((m: { slug: string }) => m.slug)).toEqual([
      'signups',
      'dau',
      'wau',
      'mau',
      'mrr',
      'paying_customers',
      'arpu',
      'cancellations',
      'churn_rate',
      'ltv',
      'quick_ratio',
    ])
    expect(saas.metrics.find((m: { slug: string }) => m.slug === 'arpu')).toEqual({
      name: 'ARPU',
      slug: 'arpu',
      description: expect.any(String),
      kind: 'formula',
      event: null,
      aggregation: null,
      field: null,
      filters: null,
      window: null,
      formula: 'mrr / paying_customers',
      format: 'currency',
      template: 'saas',
    })
    expect(saas.metrics[0]).not.toHaveProperty('uuid')
  })

  test('apply creates the pack once; existing slugs are kept', async () => {
    await create({ name: 'Revenue', event: 'sale', aggregation: 'sum' })
    const first = await call('POST', '/api/metrics/templates/apply', { template: 'ecommerce' })
    expect(first.status).toBe(201)
    expect(first.body).toEqual({
      data: {
        template: 'ecommerce',
        created: ['orders', 'aov', 'customers', 'repeat_customers', 'repeat_purchase_rate', 'refunds', 'net_revenue'],
        existing: ['revenue'],
      },
    })
    const again = await call('POST', '/api/metrics/templates/apply', { template: 'ecommerce' })
    expect(again.body.data.created).toEqual([])
    expect(again.body.data.existing).toHaveLength(8)
    const revenue = (await get('/api/metrics/definitions')).body.data.find(
      (d: { slug: string }) => d.slug === 'revenue',
    )
    expect(revenue).toMatchObject({ event: 'sale', template: null })
  })

  test('an unknown template is a 422', async () => {
    for (const body of [{ template: 'crm' }, {}, { template: 5 }]) {
      const res = await call('POST', '/api/metrics/templates/apply', body)
      expect(res.status).toBe(422)
      expect(Object.keys(res.body.errors)).toEqual(['template'])
    }
  })
})

describe('values', () => {
  test('value, previous value and change over a window', async () => {
    await create({ name: 'Orders', event: 'order_completed', aggregation: 'count', window: '7d' })
    const now = t.clock.now()
    // 3 orders in the last 7 days, 2 in the 7 days before.
    await track(
      [1, 2, 3, 8, 9].map((daysAgo) => ({ event: 'order_completed', user_id: 'u', timestamp: now - daysAgo * DAY })),
    )
    const res = await get('/api/metrics/values/orders')
    expect(res).toEqual({
      status: 200,
      body: {
        data: {
          slug: 'orders',
          name: 'Orders',
          format: 'number',
          window: '7d',
          value: 3,
          previous_value: 2,
          change: 50,
          computed_at: '2024-03-20T12:00:00.000000Z',
        },
      },
    })
    const all = await get('/api/metrics/values')
    expect(all.body.data).toEqual([res.body.data])
  })

  test('a cached value is dropped when this process stores an event', async () => {
    await create({ name: 'Orders', event: 'order_completed', aggregation: 'count', window: 'day' })
    expect((await get('/api/metrics/values/orders')).body.data.value).toBe(0)
    await track([{ event: 'order_completed' }])
    expect((await get('/api/metrics/values/orders')).body.data.value).toBe(1)
  })

  test('empty windows: counts and sums are 0, averages null, ratios over 0 null', async () => {
    await create({ name: 'Orders', event: 'order_completed', aggregation: 'count' })
    await create({ name: 'Revenue', event: 'order_completed', aggregation: 'sum' })
    await create({ name: 'Average', event: 'order_completed', aggregation: 'avg' })
    await create({ name: 'Aov', formula: 'revenue / orders' })
    const values = Object.fromEntries(
      (await get('/api/metrics/values')).body.data.map((v: { slug: string; value: unknown }) => [v.slug, v.value]),
    )
    expect(values).toEqual({ orders: 0, revenue: 0, average: null, aov: null })
  })

  test('a stored formula that no longer parses reads as null, not a 500', async () => {
    const now = t.clock.now()
    const spec = {
      description: null,
      kind: 'formula',
      event: null,
      aggregation: null,
      field: null,
      filters: null,
      window: null,
      formula: 'mrr +',
      format: 'number',
      template: null,
    }
    await t.storage.metrics.create({
      definition: {
        id: '018e5c3a-0000-7000-8000-0000000000f1',
        projectId: t.project.id,
        slug: 'broken',
        name: 'Broken',
        spec,
        createdAt: now,
        updatedAt: now,
      },
    })
    expect((await get('/api/metrics/values/broken')).body.data).toMatchObject({
      slug: 'broken',
      value: null,
      previous_value: null,
    })
    expect((await get('/api/metrics/values/broken/history?days=2')).body.data.points).toEqual([
      { date: '2024-03-19', value: null },
      { date: '2024-03-20', value: null },
    ])
  })

  test('filters, metadata fields and percentiles', async () => {
    await create({
      name: 'Pro revenue',
      event: 'order_completed',
      aggregation: 'sum',
      field: 'metadata.amount',
      filters: [{ field: 'metadata.plan', op: 'in', value: ['pro', 'team'] }],
    })
    await create({ name: 'Slow', event: 'api_request', aggregation: 'p50', window: 'day' })
    await create({
      name: 'Big spenders',
      event: 'order_completed',
      aggregation: 'unique_users',
      filters: [{ field: 'metadata.amount', op: 'gt', value: 50 }],
    })
    await track([
      { event: 'order_completed', user_id: 'a', metadata: { plan: 'pro', amount: 100 } },
      { event: 'order_completed', user_id: 'b', metadata: { plan: 'team', amount: 20.5 } },
      { event: 'order_completed', user_id: 'c', metadata: { plan: 'free', amount: 70 } },
      { event: 'order_completed', user_id: 'a', metadata: { plan: 'pro', amount: '60' } },
      ...[10, 30, 20, 40].map((value) => ({ event: 'api_request', value })),
    ])
    const values = Object.fromEntries(
      (await get('/api/metrics/values')).body.data.map((v: { slug: string; value: unknown }) => [v.slug, v.value]),
    )
    // 100 + 20.5 (the string "60" is not a number); p50 of 10,20,30,40 is rank 2; users a and c spent over 50.
    expect(values).toEqual({ pro_revenue: 120.5, slow: 20, big_spenders: 2 })
  })
})

describe('history', () => {
  test('one point per local day, today so far, 0 for days without events', async () => {
    await create({ name: 'Orders', event: 'order_completed', aggregation: 'count', window: 'day' })
    await track([
      { event: 'order_completed', timestamp: '2024-03-18T09:00:00Z' },
      { event: 'order_completed', timestamp: '2024-03-18T23:59:59Z' },
      { event: 'order_completed', timestamp: '2024-03-20T11:00:00Z' },
    ])
    const res = await get('/api/metrics/values/orders/history?days=4')
    expect(res).toEqual({
      status: 200,
      body: {
        data: {
          slug: 'orders',
          timezone: 'UTC',
          points: [
            { date: '2024-03-17', value: 0 },
            { date: '2024-03-18', value: 2 },
            { date: '2024-03-19', value: 0 },
            { date: '2024-03-20', value: 1 },
          ],
        },
      },
    })
    const range = await get('/api/metrics/values/orders/history?from=2024-03-18&to=2024-03-25')
    expect(range.body.data.points.map((p: { date: string }) => p.date)).toEqual([
      '2024-03-18',
      '2024-03-19',
      '2024-03-20',
    ])
    expect((await get('/api/metrics/values/orders/history')).body.data.points).toHaveLength(30)
  })

  test.each([
    ['days=0', 'days'],
    ['days=367', 'days'],
    ['days=abc', 'days'],
    ['from=2024-02-30', 'from'],
    ['from=yesterday', 'from'],
    ['from=2024-03-10&to=2024-03-01', 'from'],
    ['from=2022-01-01&to=2024-01-01', 'from'],
    ['from=1969-12-31&to=1970-01-01', 'from'],
    ['from=0001-01-01&to=0001-12-31', 'from,to'],
    ['from=1940-01-01&to=1940-12-31', 'from,to'],
  ])('?%s → 422 on %s', async (query, fields) => {
    await create({ name: 'Orders', aggregation: 'count' })
    const res = await get(`/api/metrics/values/orders/history?${query}`)
    expect(res.status).toBe(422)
    expect(Object.keys(res.body.errors)).toEqual(fields.split(','))
  })

  test('history and recalculation dates are bounded like event timestamps', async () => {
    await create({ name: 'Orders', aggregation: 'count' })
    expect((await get('/api/metrics/values/orders/history?from=1940-01-01&to=2024-01-01')).body).toEqual({
      message: 'The from field must be a date between 1970-01-01 and 9999-12-31.',
      errors: { from: ['The from field must be a date between 1970-01-01 and 9999-12-31.'] },
    })
    const recalculation = await call('POST', '/api/metrics/values/orders/recalculate', {
      from: '1969-12-01',
      to: '1969-12-31',
    })
    expect(recalculation.status).toBe(422)
    expect(recalculation.body.errors).toEqual({
      from: ['The from field must be a date between 1970-01-01 and 9999-12-31.'],
      to: ['The to field must be a date between 1970-01-01 and 9999-12-31.'],
    })
    expect((await get('/api/metrics/values/orders/history?from=1970-01-01&to=1970-01-02')).status).toBe(200)
  })

  test('a changed definition recomputes stored days', async () => {
    const a = (await create({ name: 'Orders', event: 'order_completed', aggregation: 'count', window: 'day' })).body
      .data
    await track([
      { event: 'order_completed', timestamp: '2024-03-19T09:00:00Z', metadata: { plan: 'pro' } },
      { event: 'order_completed', timestamp: '2024-03-19T10:00:00Z' },
    ])
    expect((await get('/api/metrics/values/orders/history?days=2')).body.data.points[0]).toEqual({
      date: '2024-03-19',
      value: 2,
    })
    t.clock.advance(1000)
    await call('PUT', `/api/metrics/definitions/${a.uuid}`, {
      filters: [{ field: 'metadata.plan', op: 'eq', value: 'pro' }],
    })
    expect((await get('/api/metrics/values/orders/history?days=2')).body.data.points[0]).toEqual({
      date: '2024-03-19',
      value: 1,
    })
  })

  test('recalculate rewrites stored days and answers a fresh value', async () => {
    // An earlier first event, so that 2024-03-19 is a stored day (days before the first event are not).
    await t.storage.events.insert({
      projectId: t.project.id,
      events: [event('page_view', Date.parse('2024-03-01T09:00:00Z'))],
    })
    await create({ name: 'Orders', event: 'order_completed', aggregation: 'count', window: 'day' })
    await create({ name: 'Double', formula: 'orders * 2' })
    expect((await get('/api/metrics/values/double/history?days=2')).body.data.points[0]).toEqual({
      date: '2024-03-19',
      value: 0,
    })
    // Written straight to the store: no late-event mark, so only a recalculation can see it.
    await t.storage.events.insert({
      projectId: t.project.id,
      events: [event('order_completed', Date.parse('2024-03-19T09:00:00Z'))],
    })
    expect((await get('/api/metrics/values/double/history?days=2')).body.data.points[0].value).toBe(0)
    const res = await call('POST', '/api/metrics/values/orders/recalculate', { from: '2024-03-19', to: '2024-03-19' })
    expect(res.status).toBe(200)
    expect(res.body.data).toMatchObject({ slug: 'orders', value: 0, window: 'day' })
    expect((await get('/api/metrics/values/orders/history?days=2')).body.data.points[0].value).toBe(1)
    expect((await get('/api/metrics/values/double/history?days=2')).body.data.points[0].value).toBe(2)
    expect((await call('POST', '/api/metrics/values/orders/recalculate', { from: 'bad' })).status).toBe(422)
  })
})

describe('more history than a request computes: 202, and the history job computes it', () => {
  // The project's first event, long before: every day asked for below has to be computed.
  beforeEach(() =>
    t.storage.events.insert({
      projectId: t.project.id,
      events: [event('page_view', Date.parse('2023-01-01T00:00:00Z'))],
    }),
  )
  const jobsLeft = async () =>
    (await t.storage.jobs.list({ projectId: t.project.id, keyPrefix: 'metrics:pending:' })).length
  const tick = async () => {
    t.clock.advance(60_000)
    await t.scheduler.runDue()
  }

  test('a year of one metric answers at once; 300 days of a formula over two is queued, then served', async () => {
    await create({ name: 'Orders', event: 'order_completed', aggregation: 'count', window: 'day' })
    await create({ name: 'Refunds', event: 'order_refunded', aggregation: 'count', window: 'day' })
    await create({ name: 'Net', formula: 'orders - refunds' })
    await track([
      { event: 'order_completed', timestamp: '2023-07-01T09:00:00Z' },
      { event: 'order_completed', timestamp: '2024-03-19T09:00:00Z' },
      { event: 'order_refunded', timestamp: '2024-03-19T10:00:00Z' },
      { event: 'order_completed', timestamp: '2024-03-19T11:00:00Z' },
    ])
    const year = await get('/api/metrics/values/orders/history?days=366')
    expect(year.status).toBe(200)
    expect(year.body.data.points).toHaveLength(366)

    // 300 uncomputed days × 2 aggregates = 600 metric-days: more than 400.
    const queued = await get('/api/metrics/values/net/history?from=2023-05-25&to=2024-03-19')
    expect(queued).toEqual({
      status: 202,
      body: {
        message:
          'The history from 2023-05-25 to 2024-03-19 (600 metric-days) is being computed by the history job: ask again in a few minutes.',
        data: {
          slug: 'net',
          timezone: 'UTC',
          points: [],
          pending: { from: '2023-05-25', to: '2024-03-19', metric_days: 600 },
        },
      },
    })
    expect(await jobsLeft()).toBe(1)
    // Asking again queues nothing more; the next tick computes it, and the job is gone.
    expect((await get('/api/metrics/values/net/history?from=2023-05-25&to=2024-03-19')).status).toBe(202)
    expect(await jobsLeft()).toBe(1)
    await tick()
    expect(await jobsLeft()).toBe(0)
    const served = await get('/api/metrics/values/net/history?from=2023-05-25&to=2024-03-19')
    expect(served.status).toBe(200)
    expect(served.body.data.points).toHaveLength(300)
    expect(served.body.data.points.find((p: { date: string }) => p.date === '2023-07-01').value).toBe(1)
    expect(served.body.data.points.at(-1)).toEqual({ date: '2024-03-19', value: 1 })
  })

  test('a large recalculation answers 202 with the current value, and the job rewrites the days', async () => {
    await create({ name: 'Orders', event: 'order_completed', aggregation: 'count', window: 'day' })
    await create({ name: 'Refunds', event: 'order_refunded', aggregation: 'count', window: 'day' })
    await create({ name: 'Net', formula: 'orders - refunds' })
    await track([{ event: 'order_completed', timestamp: '2024-03-20T09:00:00Z' }])
    expect((await get('/api/metrics/values/net/history?from=2023-10-01&to=2024-03-19')).status).toBe(200) // 171 days × 2
    // Written straight to the store: no late-event mark, so only a recalculation can see it.
    await t.storage.events.insert({
      projectId: t.project.id,
      events: [event('order_completed', Date.parse('2023-10-02T09:00:00Z'))],
    })
    t.clock.advance(1000)
    // Orders and the formula over it: 301 days × 2 aggregates.
    const res = await call('POST', '/api/metrics/values/orders/recalculate', { from: '2023-05-24', to: '2024-03-19' })
    expect(res.status).toBe(202)
    expect(res.body).toEqual({
      message:
        'The recalculation from 2023-05-24 to 2024-03-19 (602 metric-days) runs in the history job, a slice every minute.',
      data: expect.objectContaining({ slug: 'orders', value: 1, window: 'day' }),
      pending: { from: '2023-05-24', to: '2024-03-19', metric_days: 602 },
    })
    expect((await get('/api/metrics/values/net/history?from=2023-10-02&to=2023-10-02')).body.data.points).toEqual([
      { date: '2023-10-02', value: 0 },
    ])
    await tick()
    expect(await jobsLeft()).toBe(0)
    expect((await get('/api/metrics/values/net/history?from=2023-10-02&to=2023-10-02')).body.data.points).toEqual([
      { date: '2023-10-02', value: 1 },
    ])
    expect((await get('/api/metrics/values/orders/history?from=2023-10-02&to=2023-10-02')).body.data.points).toEqual([
      { date: '2023-10-02', value: 1 },
    ])
  })

  test('a deleted metric drops its queued work', async () => {
    const a = (await create({ name: 'Orders', event: 'order_completed', aggregation: 'count', window: 'day' })).body
      .data
    await create({ name: 'Refunds', event: 'order_refunded', aggregation: 'count', window: 'day' })
    const net = (await create({ name: 'Net', formula: 'orders - refunds' })).body.data
    expect((await get('/api/metrics/values/net/history?days=366')).status).toBe(202)
    await call('DELETE', `/api/metrics/definitions/${net.uuid}`)
    await tick()
    expect(await jobsLeft()).toBe(0)
    expect(a.slug).toBe('orders')
  })
})

test('days before the first event read as the value over no events, computed once and never stored', async () => {
  await create({ name: 'Orders', event: 'order_completed', aggregation: 'count', window: 'day' })
  await create({ name: 'Average', event: 'order_completed', aggregation: 'avg', window: '7d' })
  await create({ name: 'Plus one', formula: 'orders + 1' })
  const put = vi.spyOn(t.storage.metrics, 'putSnapshots')
  // No events at all: a year answers at once (no day is computed one by one), nothing is stored.
  for (const slug of ['orders', 'average', 'plus_one'])
    expect((await get(`/api/metrics/values/${slug}/history?days=366`)).status).toBe(200)
  expect((await get('/api/metrics/values/plus_one/history?days=3')).body.data.points).toEqual([
    { date: '2024-03-18', value: 1 },
    { date: '2024-03-19', value: 1 },
    { date: '2024-03-20', value: 1 },
  ])
  expect((await get('/api/metrics/values/average/history?days=2')).body.data.points).toEqual([
    { date: '2024-03-19', value: null },
    { date: '2024-03-20', value: null },
  ])
  expect(put).not.toHaveBeenCalled()
  // From the first event's day on, days are computed and stored.
  await track([{ event: 'order_completed', timestamp: '2024-03-18T09:00:00Z', value: 4 }])
  expect((await get('/api/metrics/values/orders/history?from=2024-03-16&to=2024-03-19')).body.data.points).toEqual([
    { date: '2024-03-16', value: 0 },
    { date: '2024-03-17', value: 0 },
    { date: '2024-03-18', value: 1 },
    { date: '2024-03-19', value: 0 },
  ])
  expect(put.mock.calls.flatMap(([input]) => input.snapshots.map((s) => s.day))).toEqual(['2024-03-18', '2024-03-19'])
  expect(
    (await call('POST', '/api/metrics/values/orders/recalculate', { from: '2023-03-20', to: '2024-03-19' })).status,
  ).toBe(200)
})

describe('in-process api', () => {
  test('the same operations, with core names and TelltaleErrors', async () => {
    const projectId = t.project.id
    const api = t.telltale.api
    const created = await api.createMetric({
      projectId,
      name: 'Orders',
      event: 'order_completed',
      aggregation: 'count',
      window: 'day',
    })
    expect(created).toMatchObject({
      id: expect.stringMatching(UUID),
      slug: 'orders',
      kind: 'aggregate',
      createdAt: t.clock.now(),
    })
    await api.trackEvent({ projectId, name: 'order_completed' })
    expect(await api.getMetricValue({ projectId, slug: 'orders' })).toMatchObject({
      value: 1,
      previousValue: 0,
      change: null,
      computedAt: t.clock.now(),
    })
    expect((await api.getMetricHistory({ projectId, slug: 'orders', days: 1 })).points).toEqual([
      { date: '2024-03-20', value: 1 },
    ])
    expect((await api.applyMetricTemplate({ projectId, template: 'api' })).created).toContain('error_rate')
    await expect(api.createMetric({ projectId, name: 'Bad', formula: 'nope' })).rejects.toMatchObject({
      name: 'TelltaleError',
      kind: 'validation',
      status: 422,
    })
    await expect(api.getMetricValue({ projectId, slug: 'nope' })).rejects.toMatchObject({
      kind: 'not_found',
      status: 404,
    })
    await expect(api.deleteMetric({ projectId, id: created.id })).resolves.toEqual({ deleted: true })
  })
})

describe('hostile input on every metrics route', () => {
  const values: unknown[] = [
    null,
    true,
    -1,
    1e308,
    'x',
    '',
    '\u0000',
    '\ud800',
    [],
    [1, 'a'],
    {},
    { __proto__: { a: 1 } },
    { constructor: 1 },
    'a'.repeat(5000),
    [[[[[[]]]]]],
  ]
  const fields = [
    'name',
    'slug',
    'description',
    'kind',
    'event',
    'aggregation',
    'field',
    'filters',
    'window',
    'formula',
    'format',
    'template',
    'from',
    'to',
  ]
  test('never a 5xx, always the Laravel shape, nothing half-written', async () => {
    const base = (await create({ name: 'Base', event: 'e', aggregation: 'sum' })).body.data
    const paths = [
      ['POST', '/api/metrics/definitions'],
      ['PUT', `/api/metrics/definitions/${base.uuid}`],
      ['POST', '/api/metrics/templates/apply'],
      ['POST', '/api/metrics/values/base/recalculate'],
    ]
    const bodies: unknown[] = [
      '{"name":',
      '[]',
      '"x"',
      '1',
      ...fields.flatMap((field) => values.map((value) => ({ name: 'Hostile', aggregation: 'count', [field]: value }))),
    ]
    for (const [method, path] of paths) {
      for (const body of bodies) {
        const res = await call(method, path, typeof body === 'string' ? body : JSON.stringify(body))
        expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBeLessThan(500)
        if (res.status >= 400) expect(typeof res.body.message).toBe('string')
      }
    }
    for (const query of [
      'days=1e3',
      'days=-1',
      'days=%00',
      'from=%F0%9F',
      'to=9999-12-31',
      'from=0000-01-01',
      'days=1&from=2024-01-01',
    ]) {
      const res = await get(`/api/metrics/values/base/history?${query}`)
      expect(res.status, query).toBeLessThan(500)
    }
    // A path that is not valid percent-encoding is a malformed request, not an unknown metric.
    expect(await get('/api/metrics/values/%F0')).toEqual({ status: 400, body: { message: expect.any(String) } })
    for (const slug of ['%00', '%2F', 'a'.repeat(3000), '__proto__', 'constructor']) {
      expect(await get(`/api/metrics/values/${slug}`), slug).toEqual({
        status: 404,
        body: { message: 'Metric not found.' },
      })
      expect(await get(`/api/metrics/definitions/${slug}`), slug).toEqual({
        status: 404,
        body: { message: 'Metric not found.' },
      })
    }
    // Every definition that was accepted is whole: it reads back and computes.
    for (const definition of (await get('/api/metrics/definitions')).body.data) {
      expect((await get(`/api/metrics/values/${definition.slug}`)).status).toBe(200)
    }
  })
})
