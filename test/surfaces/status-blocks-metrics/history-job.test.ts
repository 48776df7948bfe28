// The metric history job on every adapter: completed days are stored by the scheduled tick, late
// events mark their day dirty and the next tick recomputes it (and the later days whose window
// reaches back to it), so history becomes right without a manual recalculation.
import { afterEach, beforeEach, expect, test, vi } from 'vitest'
import { METRIC_HISTORY_EVERY_MS } from '../../../src/metrics'
import { makeTelltale, reply, type TestApp } from '../../helpers/app'
import { event } from '../../helpers/records'

let t: TestApp
beforeEach(async () => {
  t = await makeTelltale({ now: '2024-03-20T12:00:00Z' })
})
afterEach(async () => {
  await t.close()
})

const get = async (path: string) =>
  reply(
    await t.telltale.fetch(
      new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${t.keys.readWrite}` } }),
    ),
  )
const create = (body: Record<string, unknown>) =>
  t.telltale.api.createMetric({ projectId: t.project.id, ...body } as never)
const track = (events: Array<Record<string, unknown>>) => t.post('/api/events/batch', { events })
const points = async (slug: string, from: string, to: string) =>
  Object.fromEntries(
    (await get(`/api/metrics/values/${slug}/history?from=${from}&to=${to}`)).body.data.points.map(
      (p: { date: string; value: unknown }) => [p.date, p.value],
    ),
  )
const tick = async () => {
  t.clock.advance(METRIC_HISTORY_EVERY_MS)
  return t.scheduler.runDue()
}

test('the tick stores the last 30 completed days once; a later tick computes nothing again', async () => {
  // The project's first event before the 30 days (days before it are never stored).
  await t.storage.events.insert({
    projectId: t.project.id,
    events: [event('page_view', Date.parse('2024-01-01T00:00:00Z'))],
  })
  await create({ name: 'Orders', event: 'order_completed', aggregation: 'count', window: 'day' })
  await track([{ event: 'order_completed', timestamp: '2024-03-19T08:00:00Z' }])
  const put = vi.spyOn(t.storage.metrics, 'putSnapshots')
  expect(await tick()).toContain('telltale:metric-history')
  const written = put.mock.calls.flatMap(([input]) => input.snapshots.map((s) => s.day))
  expect(written).toHaveLength(30)
  expect(written[0]).toBe('2024-02-19')
  expect(written.at(-1)).toBe('2024-03-19')
  put.mockClear()
  await tick()
  expect(put).not.toHaveBeenCalled()
  // The stored days are what a read returns (no computation on read: nothing is missing).
  const stored = await t.storage.metrics.listSnapshots({
    projectId: t.project.id,
    metricId: (await t.storage.metrics.list({ projectId: t.project.id }))[0].id,
    fromDay: '2024-03-18',
    toDay: '2024-03-19',
  })
  expect(stored.map((s) => [s.day, s.value])).toEqual([
    ['2024-03-18', 0],
    ['2024-03-19', 1],
  ])
})

test('a late event fixes its day, and the later days of rolling windows, after the next tick', async () => {
  await create({ name: 'Orders', event: 'order_completed', aggregation: 'count', window: 'day' })
  await create({ name: 'Weekly orders', event: 'order_completed', aggregation: 'count', window: '7d' })
  await create({ name: 'Double', formula: 'weekly_orders * 2' })
  await track([{ event: 'order_completed', timestamp: '2024-03-16T08:00:00Z' }])
  await tick()
  expect(await points('orders', '2024-03-15', '2024-03-17')).toEqual({
    '2024-03-15': 0,
    '2024-03-16': 1,
    '2024-03-17': 0,
  })
  expect(await points('weekly_orders', '2024-03-15', '2024-03-19')).toEqual({
    '2024-03-15': 0,
    '2024-03-16': 1,
    '2024-03-17': 1,
    '2024-03-18': 1,
    '2024-03-19': 1,
  })

  // A batch import of an event three days old: stored history is out of date until the tick.
  await track([{ event: 'order_completed', timestamp: '2024-03-17T09:00:00Z' }])
  expect(await t.storage.metrics.listDirty({ projectId: t.project.id, limit: 10 })).toEqual([
    { day: '2024-03-17', at: t.clock.now() },
  ])
  expect((await points('orders', '2024-03-17', '2024-03-17'))['2024-03-17']).toBe(0)

  await tick()
  expect(await points('orders', '2024-03-15', '2024-03-18')).toEqual({
    '2024-03-15': 0,
    '2024-03-16': 1,
    '2024-03-17': 1,
    '2024-03-18': 0,
  })
  expect(await points('weekly_orders', '2024-03-16', '2024-03-19')).toEqual({
    '2024-03-16': 1,
    '2024-03-17': 2,
    '2024-03-18': 2,
    '2024-03-19': 2,
  })
  expect(await points('double', '2024-03-16', '2024-03-19')).toEqual({
    '2024-03-16': 2,
    '2024-03-17': 4,
    '2024-03-18': 4,
    '2024-03-19': 4,
  })
  expect(await t.storage.metrics.listDirty({ projectId: t.project.id, limit: 10 })).toEqual([])
})

test('an event for today marks nothing; an event at today’s first instant is today', async () => {
  await create({ name: 'Orders', event: 'order_completed', aggregation: 'count', window: 'day' })
  await track([{ event: 'order_completed', timestamp: '2024-03-20T00:00:00Z' }, { event: 'order_completed' }])
  expect(await t.storage.metrics.listDirty({ projectId: t.project.id, limit: 10 })).toEqual([])
  await track([{ event: 'order_completed', timestamp: '2024-03-19T23:59:59.999Z' }])
  expect((await t.storage.metrics.listDirty({ projectId: t.project.id, limit: 10 })).map((d) => d.day)).toEqual([
    '2024-03-19',
  ])
})

test('late days are local days of the project’s zone', async () => {
  const project = await t.telltale.api.createProject({ name: 'Tokyo', timezone: 'Asia/Tokyo' })
  // 2024-03-20T12:00Z is 21:00 in Tokyo; 2024-03-19T16:00Z is 2024-03-20T01:00 there: today, not late.
  await t.telltale.api.trackEvents({
    projectId: project.id,
    events: [{ name: 'x', timestamp: '2024-03-19T16:00:00Z' }],
  })
  expect(await t.storage.metrics.listDirty({ projectId: project.id, limit: 10 })).toEqual([])
  await t.telltale.api.trackEvents({
    projectId: project.id,
    events: [{ name: 'x', timestamp: '2024-03-19T14:59:59Z' }],
  })
  expect((await t.storage.metrics.listDirty({ projectId: project.id, limit: 10 })).map((d) => d.day)).toEqual([
    '2024-03-19',
  ])
})

test('applying a pack to a project with months of events fills its history', async () => {
  const events = []
  for (let day = 1; day <= 90; day++)
    events.push({
      event: 'order_completed',
      user_id: `u${day % 7}`,
      value: 10,
      timestamp: Date.parse('2023-12-21T10:00:00Z') + day * 86_400_000,
    })
  for (let i = 0; i < events.length; i += 100) await track(events.slice(i, i + 100))
  await t.post('/api/metrics/templates/apply', { template: 'ecommerce' })
  const history = await get('/api/metrics/values/orders/history?from=2024-01-01&to=2024-01-03')
  // One order a day from 2023-12-22: the 30 days ending at the end of Jan 1 hold Dec 3..Jan 1, 11 of them with an order.
  expect(history.body.data.points).toEqual([
    { date: '2024-01-01', value: 11 },
    { date: '2024-01-02', value: 12 },
    { date: '2024-01-03', value: 13 },
  ])
})
