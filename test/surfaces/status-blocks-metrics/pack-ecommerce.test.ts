// The ecommerce pack (README "Status Blocks metrics") over a hand-made fixture of orders and refunds
// from January to April 2024, read through HTTP in a project in Europe/Berlin, whose clocks jump
// from CET (UTC+1) to CEST (UTC+2) on 2024-03-31 at 02:00 (a 23-hour local day). Every expected
// number is computed by hand from the table below; nothing calls the library's computations.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { makeTelltale, type TestApp } from '../../helpers/app'
import { approx, type MetricsClient, points, triple, zoneProject } from '../../helpers/metrics'

// Now: Friday 2024-04-05 12:00 CEST = 10:00Z.
//   30d window:          (2024-03-06 10:00Z, now]
//   previous 30d window: (2024-02-05 10:00Z, 2024-03-06 10:00Z]
const NOW = '2024-04-05T12:00:00+02:00'

const order = (user: string, value: number, at: string) => ({
  event: 'order_completed',
  user_id: user,
  value,
  timestamp: at,
})
const refund = (user: string, value: number, at: string) => ({
  event: 'order_refunded',
  user_id: user,
  value,
  timestamp: at,
})

// Local time (Europe/Berlin)                                   UTC
const EVENTS = [
  order('u1', 15, '2024-01-20T12:00:00+01:00'), //    O13  01-20 11:00Z  before both windows
  order('u6', 70, '2024-02-20T12:00:00+01:00'), //    O9   02-20 11:00Z  previous
  order('u6', 35, '2024-02-25T12:00:00+01:00'), //    O10  02-25 11:00Z  previous (u6's second order)
  order('u7', 45, '2024-03-01T12:00:00+01:00'), //    O11  03-01 11:00Z  previous
  order('u8', 10, '2024-03-02T23:30:00+01:00'), //    O14  03-02 22:30Z  previous; local Mar 2 late evening
  order('u3', 25, '2024-03-05T12:00:00+01:00'), //    O12  03-05 11:00Z  previous
  order('u1', 100, '2024-03-10T12:00:00+01:00'), //   O1   03-10 11:00Z  current
  order('u1', 50, '2024-03-30T23:30:00+01:00'), //    O2   03-30 22:30Z  current; local Mar 30
  order('u2', 80, '2024-03-31T01:30:00+01:00'), //    O3   03-31 00:30Z  current; DST day, before the jump
  order('u2', 20, '2024-03-31T03:30:00+02:00'), //    O4   03-31 01:30Z  current; DST day, after the jump
  order('u3', 200, '2024-03-31T23:30:00+02:00'), //   O5   03-31 21:30Z  current; the DST day's last half hour
  order('u4', 40, '2024-04-01T00:30:00+02:00'), //    O6   03-31 22:30Z  current; local Apr 1 (UTC Mar 31)
  order('u4', 60, '2024-04-04T10:00:00+02:00'), //    O7   04-04 08:00Z  current
  order('u5', 30, '2024-04-05T09:00:00+02:00'), //    O8   04-05 07:00Z  current, today
  refund('u6', 35, '2024-02-27T10:00:00+01:00'), //   R2   02-27 09:00Z  previous
  refund('u2', 10, '2024-03-31T12:00:00+02:00'), //   R3   03-31 10:00Z  current
  refund('u1', 50, '2024-04-02T10:00:00+02:00'), //   R1   04-02 08:00Z  current
]

const SLUGS = [
  'revenue',
  'orders',
  'aov',
  'customers',
  'repeat_customers',
  'repeat_purchase_rate',
  'refunds',
  'net_revenue',
]

let t: TestApp
let berlin: MetricsClient

beforeAll(async () => {
  t = await makeTelltale({ now: NOW })
  berlin = await zoneProject(t, { name: 'Shop Berlin', slug: 'shop-berlin', timezone: 'Europe/Berlin' })
  expect(await berlin.apply('ecommerce')).toEqual(SLUGS)
  await berlin.track(EVENTS)
})
afterAll(async () => {
  await t?.close()
})

describe('ecommerce pack, Europe/Berlin', () => {
  test('revenue, orders and average order value', async () => {
    // Current: O1..O8 = 8 orders; 100 + 50 + 80 + 20 + 200 + 40 + 60 + 30 = 580.
    // Previous: O9, O10, O11, O14, O12 = 5 orders; 70 + 35 + 45 + 10 + 25 = 185.
    expect(triple(await berlin.value('revenue'))).toEqual({ value: 580, previous_value: 185, change: 213.51 }) // 395 / 185 = 213.514 %
    expect(triple(await berlin.value('orders'))).toEqual({ value: 8, previous_value: 5, change: 60 })
    // AOV 580 / 8 = 72.5; previously 185 / 5 = 37; change 35.5 / 37 = 95.946 %
    expect(triple(await berlin.value('aov'))).toEqual({
      value: approx(72.5),
      previous_value: approx(37),
      change: 95.95,
    })
    expect(await berlin.value('revenue')).toMatchObject({
      slug: 'revenue',
      window: '30d',
      computed_at: '2024-04-05T10:00:00.000000Z',
    })
  })

  test('customers, repeat customers and repeat purchase rate', async () => {
    // Current customers: u1, u2, u3, u4, u5 = 5. Repeat (two or more orders in the window):
    //   u1 (O1, O2), u2 (O3, O4), u4 (O6, O7) = 3. u3 ordered on Mar 5 and Mar 31, 26 days apart,
    //   but only Mar 31 is inside this window: not a repeat customer now.
    // Previous customers: u6, u7, u8, u3 = 4; repeat: u6 (O9, O10) = 1.
    expect(triple(await berlin.value('customers'))).toEqual({ value: 5, previous_value: 4, change: 25 })
    expect(triple(await berlin.value('repeat_customers'))).toEqual({ value: 3, previous_value: 1, change: 200 })
    // Rate 3 / 5 * 100 = 60; previously 1 / 4 * 100 = 25; change 140 %.
    expect(triple(await berlin.value('repeat_purchase_rate'))).toEqual({
      value: approx(60),
      previous_value: approx(25),
      change: 140,
    })
  })

  test('refunds and net revenue', async () => {
    // Current refunds: R3 10 + R1 50 = 60; previous: R2 35. Change 25 / 35 = 71.43 %.
    expect(triple(await berlin.value('refunds'))).toEqual({ value: 60, previous_value: 35, change: 71.43 })
    // Net 580 - 60 = 520; previously 185 - 35 = 150; change 370 / 150 = 246.67 %.
    expect(triple(await berlin.value('net_revenue'))).toEqual({ value: 520, previous_value: 150, change: 246.67 })
  })

  test('every value at once', async () => {
    const values = await berlin.values()
    expect(Object.keys(values)).toEqual(SLUGS)
    expect(Object.fromEntries(SLUGS.map((slug) => [slug, values[slug].value]))).toEqual({
      revenue: 580,
      orders: 8,
      aov: approx(72.5),
      customers: 5,
      repeat_customers: 3,
      repeat_purchase_rate: approx(60),
      refunds: 60,
      net_revenue: 520,
    })
  })

  test('history across the DST change', async () => {
    // Each point: the 30 × 24 h ending at local midnight after the day. Berlin days end at
    // 23:00Z up to Mar 30, at 22:00Z from Mar 31 (the 23-hour day) on.
    //   Mar 29: [Feb 28 23:00Z, Mar 29 23:00Z): O11 45, O14 10, O12 25, O1 100
    //           = 4 orders, 180, customers u7 u8 u3 u1, no repeat; refunds 0
    //   Mar 30: [Feb 29 23:00Z, Mar 30 23:00Z): + O2 50 (22:30Z)
    //           = 5 orders, 230, 4 customers, repeat u1; refunds 0
    //   Mar 31: [Mar 1 22:00Z, Mar 31 22:00Z): O11 (Mar 1 11:00Z) has left; O14, O12, O1, O2,
    //           O3 80, O4 20, O5 200 (21:30Z); O6 (22:30Z) is Apr 1
    //           = 7 orders, 485, customers u8 u3 u1 u2, repeat u1 u2 u3 (Mar 5 and Mar 31) = 3;
    //           refunds R3 10
    //   Apr 1:  [Mar 2 22:00Z, Apr 1 22:00Z): O14 (Mar 2 22:30Z) is still in: 30 × 24 h, not 30
    //           local days, which would start at Mar 2 23:00Z; + O6 40
    //           = 8 orders, 525, 5 customers (+ u4), repeat 3; refunds 10
    //   Apr 2:  [Mar 3 22:00Z, Apr 2 22:00Z): O14 has left
    //           = 7 orders, 515, customers u3 u1 u2 u4, repeat 3; refunds 10 + R1 50 = 60
    //   Apr 3:  same as Apr 2
    //   Apr 4:  [Mar 5 22:00Z, Apr 4 22:00Z): O12 (Mar 5 11:00Z) has left, + O7 60
    //           = 7 orders, 550, customers u1 u2 u3 u4, repeat u1 u2 u4 = 3 (u3 has only O5); refunds 60
    //   Apr 5 (today so far): the current values.
    const series = async (slug: string) => {
      const history = await berlin.history(slug, '2024-03-29', '2024-04-05')
      expect(history).toMatchObject({ slug, timezone: 'Europe/Berlin' })
      expect(history.points.map((p) => p.date)).toEqual([
        '2024-03-29',
        '2024-03-30',
        '2024-03-31',
        '2024-04-01',
        '2024-04-02',
        '2024-04-03',
        '2024-04-04',
        '2024-04-05',
      ])
      return history.points.map((p) => p.value)
    }
    expect(await series('orders')).toEqual([4, 5, 7, 8, 7, 7, 7, 8])
    expect(await series('revenue')).toEqual([180, 230, 485, 525, 515, 515, 550, 580])
    expect(await series('customers')).toEqual([4, 4, 4, 5, 4, 4, 4, 5])
    expect(await series('repeat_customers')).toEqual([0, 1, 3, 3, 3, 3, 3, 3])
    expect(await series('refunds')).toEqual([0, 0, 10, 10, 60, 60, 60, 60])
    // 180 - 0, 230 - 0, 485 - 10, 525 - 10, 515 - 60, 515 - 60, 550 - 60, 580 - 60
    expect(await series('net_revenue')).toEqual([180, 230, 475, 515, 455, 455, 490, 520])
    // 180 / 4, 230 / 5, 485 / 7, 525 / 8, 515 / 7, 515 / 7, 550 / 7, 580 / 8
    expect(await series('aov')).toEqual([
      approx(45),
      approx(46),
      approx(485 / 7),
      approx(65.625),
      approx(515 / 7),
      approx(515 / 7),
      approx(550 / 7),
      approx(72.5),
    ])
    // 0 / 4, 1 / 4, 3 / 4, 3 / 5, 3 / 4, 3 / 4, 3 / 4, 3 / 5 (* 100)
    expect(await series('repeat_purchase_rate')).toEqual([
      approx(0),
      approx(25),
      approx(75),
      approx(60),
      approx(75),
      approx(75),
      approx(75),
      approx(60),
    ])
  })

  test('history of days without orders: 0 for counts and sums, null for ratios', async () => {
    // Nothing happened in the 30 days before Jan 2 or Jan 3 (the first order is on Jan 20).
    const empty = async (slug: string) => (await berlin.history(slug, '2024-01-02', '2024-01-03')).points
    for (const slug of ['revenue', 'orders', 'customers', 'repeat_customers', 'refunds', 'net_revenue']) {
      expect(await empty(slug), slug).toEqual(
        points([
          ['2024-01-02', 0],
          ['2024-01-03', 0],
        ]),
      )
    }
    for (const slug of ['aov', 'repeat_purchase_rate']) {
      expect(await empty(slug), slug).toEqual(
        points([
          ['2024-01-02', null],
          ['2024-01-03', null],
        ]),
      )
    }
  })
})
