// The saas pack (README "Status Blocks metrics", "Subscription rules") over a hand-made fixture of
// eight weeks of events, read through HTTP in a project in America/New_York, whose clocks jump from
// EST (UTC-5) to EDT (UTC-4) on 2024-03-10 at 02:00 (a 23-hour local day), and the same events in
// the default UTC project, where several of them fall on other days. Every expected number below
// is computed by hand from the table of events; nothing calls the library's computations.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { makeTelltale, type TestApp } from '../../helpers/app'
import { approx, type MetricsClient, metricsClient, points, triple, zoneProject } from '../../helpers/metrics'

// Now: Wednesday 2024-03-20 12:00 EDT = 16:00Z.
//   30d window:           (2024-02-19 16:00Z, now]
//   previous 30d window:  (2024-01-20 16:00Z, 2024-02-19 16:00Z]
//   7d window:            (2024-03-13 16:00Z, now];  previous (03-06 16:00Z, 03-13 16:00Z]
//   point in time:        now; previous value at now - 30 days = 2024-02-19 16:00Z (11:00 EST)
const NOW = '2024-03-20T12:00:00-04:00'

const signup = (user: string, at: string) => ({ event: 'user_signup', user_id: user, timestamp: at })
const login = (user: string, at: string) => ({ event: 'user_login', user_id: user, timestamp: at })
const cancel = (user: string, at: string) => ({ event: 'subscription_cancelled', user_id: user, timestamp: at })
const pay = (
  user: string | null,
  value: number,
  period: string | null,
  at: string,
  extra: Record<string, unknown> = {},
) => ({
  event: 'subscription_payment',
  user_id: user,
  value,
  metadata: period === null ? { plan: 'basic', ...extra } : { period, plan: 'pro', ...extra },
  timestamp: at,
})

// Local time (America/New_York)            UTC
const EVENTS = [
  // Signups
  signup('bob', '2023-11-20T09:00:00-05:00'), //   2023-11-20 14:00Z
  signup('alice', '2024-01-10T09:00:00-05:00'), // 01-10 14:00Z
  signup('carol', '2024-01-24T09:00:00-05:00'), // 01-24 14:00Z   previous 30d
  signup('erin', '2024-02-09T23:30:00-05:00'), //  02-10 04:30Z   previous 30d; local Feb 9
  signup('judy', '2024-02-25T12:00:00-05:00'), //  02-25 17:00Z   current 30d
  signup('dave', '2024-03-08T20:00:00-05:00'), //  03-09 01:00Z   current; local Mar 8
  signup('hank', '2024-03-10T01:30:00-05:00'), //  03-10 06:30Z   current; DST day, before the jump
  signup('gina', '2024-03-18T09:00:00-04:00'), //  03-18 13:00Z   current
  signup('ivan', '2024-03-20T08:00:00-04:00'), //  03-20 12:00Z   current, today

  // Payments. Coverage in local days: from the payment's day to the day before the same date
  // n months later (the anniversary is at the payment's wall-clock time).
  pay('bob', 600, 'yearly', '2023-12-01T10:00:00-05:00'), //  P4  600/12 = 50, Dec 1 2023 .. Nov 30 2024
  pay('kate', 40, 'monthly', '2024-01-05T09:00:00-05:00'), // P12 40, Jan 5 .. Feb 4
  pay('carol', 90, 'quarterly', '2024-01-25T10:00:00-05:00'), // P6 90/3 = 30, Jan 25 .. Apr 24
  pay('alice', 49, 'monthly', '2024-02-01T10:00:00-05:00'), // P1 49, Feb 1 .. Feb 29 (ends Mar 1 10:00 EST)
  pay('erin', 30, 'monthly', '2024-02-10T23:30:00-05:00'), //  P8 30, Feb 10 .. Mar 9 local (ends Mar 10 23:30 EDT = 03-11 03:30Z);
  //                                                                in UTC it is paid on Feb 11 04:30Z and covers UTC days Feb 11 .. Mar 10
  pay('frank', 25, 'monthly', '2024-02-20T11:30:00-05:00'), // P9 25, Feb 20 .. Mar 19; ends Mar 20 11:30 EDT = 15:30Z, half an
  //                                                                hour before now (in UTC it ends Mar 20 16:30Z, after now)
  pay('alice', 49, 'monthly', '2024-03-01T10:00:00-05:00'), // P2 49, Mar 1 .. Mar 31 (a renewal of P1)
  pay('dave', 15, null, '2024-03-08T23:30:00-05:00'), //        P7 no metadata.period = monthly 15, Mar 8 .. Apr 7 (UTC: paid Mar 9 04:30Z)
  pay('bob', 20, 'monthly', '2024-03-10T10:00:00-04:00'), //   P5 20, Mar 10 .. Apr 9 (bob also has the yearly P4)
  pay('alice', 99, 'monthly', '2024-03-15T10:00:00-04:00'), // P3 99, Mar 15 .. Apr 14: an upgrade inside P2; only the latest counts
  pay(null, 1000, 'monthly', '2024-03-15T10:00:00-04:00'), //  P11 no user_id: never counted
  pay('gina', 12, 'weekly', '2024-03-18T09:00:00-04:00'), //   P10 an unknown period = monthly at full value: 12, Mar 18 .. Apr 17

  // Cancellations
  cancel('kate', '2024-02-05T09:00:00-05:00'), //  C3 02-05 14:00Z  previous 30d
  cancel('erin', '2024-03-02T09:00:00-05:00'), //  C2 03-02 14:00Z  current 30d (erin's P8 still runs to Mar 10)
  cancel('carol', '2024-03-12T09:00:00-04:00'), // C1 03-12 13:00Z  current 30d, inside carol's paid quarter: her 30 stays in MRR

  // Logins
  login('kate', '2024-03-09T23:45:00-05:00'), //   03-10 04:45Z  local Mar 9 (UTC Mar 10)
  login('judy', '2024-03-10T23:30:00-04:00'), //   03-11 03:30Z  local Mar 10, the 23-hour day (UTC Mar 11)
  login('hank', '2024-03-11T00:30:00-04:00'), //   03-11 04:30Z  local Mar 11
  login('carol', '2024-03-19T08:00:00-04:00'), //  03-19 12:00Z  yesterday morning
  login('dave', '2024-03-19T15:00:00-04:00'), //   03-19 19:00Z  yesterday afternoon
  login('bob', '2024-03-19T22:00:00-04:00'), //    03-20 02:00Z  local Mar 19 (UTC Mar 20)
  login('alice', '2024-03-20T09:00:00-04:00'), //  03-20 13:00Z  today
  login('gina', '2024-03-20T11:59:00-04:00'), //   03-20 15:59Z  today
]

let t: TestApp
let ny: MetricsClient
let utc: MetricsClient

beforeAll(async () => {
  t = await makeTelltale({ now: NOW })
  ny = await zoneProject(t, { name: 'Acme NY', slug: 'acme-ny', timezone: 'America/New_York' })
  utc = metricsClient(t, t.keys.readWrite)
  for (const client of [ny, utc]) {
    expect(await client.apply('saas')).toEqual([
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
    await client.track(EVENTS)
  }
})
afterAll(async () => {
  await t?.close()
})

describe('saas pack, America/New_York', () => {
  test('MRR and paying customers now and 30 days ago', async () => {
    // Now (Mar 20 12:00 EDT), covering payments:
    //   alice: P2 49 and P3 99 are both monthly and cover now: only the latest, P3, counts  99
    //   bob:   yearly P4 600 / 12 = 50, plus monthly P5 20 (different periods: both count) 70
    //   carol: quarterly P6 90 / 3 (her cancellation on Mar 12 does not stop it)           30
    //   dave:  P7 without metadata.period, monthly                                          15
    //   gina:  P10 period "weekly", monthly at full value                                   12
    //   erin's P8 expired on Mar 10, frank's P9 at 11:30 EDT today, kate's P12 on Feb 5;
    //   P11 has no user_id.                                                    MRR = 226
    // Paying customers: alice, bob (once, with two payments), carol, dave, gina = 5.
    //
    // 30 days earlier (Feb 19 11:00 EST): alice P1 49 + bob P4 50 + carol P6 30 + erin P8 30
    //   = 159, paid by 4 customers (frank pays on Feb 20, dave and gina later; kate's ran out).
    expect(triple(await ny.value('mrr'))).toEqual({ value: 226, previous_value: 159, change: 42.14 }) // 67 / 159 = 42.138 %
    expect(triple(await ny.value('paying_customers'))).toEqual({ value: 5, previous_value: 4, change: 25 })
    // ARPU = 226 / 5 = 45.2; previously 159 / 4 = 39.75; change 5.45 / 39.75 = 13.7107 %
    expect(triple(await ny.value('arpu'))).toEqual({
      value: approx(45.2),
      previous_value: approx(39.75),
      change: 13.71,
    })
    expect(await ny.value('mrr')).toMatchObject({
      slug: 'mrr',
      format: 'currency',
      window: null,
      computed_at: '2024-03-20T16:00:00.000000Z',
    })
  })

  test('signups, cancellations, churn rate, LTV and quick ratio', async () => {
    // Signups in the last 30 days: judy, dave, hank, gina, ivan = 5; the 30 days before: carol, erin = 2.
    expect(triple(await ny.value('signups'))).toEqual({ value: 5, previous_value: 2, change: 150 })
    // Cancellations: erin (Mar 2) and carol (Mar 12) = 2; the 30 days before: kate (Feb 5) = 1.
    expect(triple(await ny.value('cancellations'))).toEqual({ value: 2, previous_value: 1, change: 100 })
    // Churn = 2 / 5 * 100 = 40 (carol, who cancelled, is still paying and still in the denominator);
    // previously 1 / 4 * 100 = 25.
    expect(triple(await ny.value('churn_rate'))).toEqual({ value: approx(40), previous_value: approx(25), change: 60 })
    // LTV = ARPU / (churn / 100) = 45.2 / 0.4 = 113; previously 39.75 / 0.25 = 159; change -46 / 159 = -28.93 %
    expect(triple(await ny.value('ltv'))).toEqual({ value: approx(113), previous_value: approx(159), change: -28.93 })
    // Quick ratio = signups / cancellations = 5 / 2 = 2.5; previously 2 / 1 = 2.
    expect(triple(await ny.value('quick_ratio'))).toEqual({ value: approx(2.5), previous_value: approx(2), change: 25 })
  })

  test('active users: dau, wau, mau', async () => {
    // Today so far (Mar 20 from 00:00 EDT = 04:00Z): ivan (signup), alice, gina (logins) = 3.
    // bob's login at 22:00 EDT on Mar 19 is Mar 20 02:00Z: yesterday in New York.
    expect((await ny.value('dau')).value).toBe(3)
    // 7 days (Mar 13 16:00Z, now]: alice, gina, ivan, carol, dave, bob = 6 (P11 has no user).
    // 7 days before: dave, kate, hank, bob, judy, carol = 6.
    expect(triple(await ny.value('wau'))).toEqual({ value: 6, previous_value: 6, change: 0 })
    // 30 days: frank, judy, alice, erin, dave, kate, hank, bob, carol, gina, ivan = 11.
    // 30 days before: carol, alice, kate, erin = 4; change 7 / 4 = 175 %.
    expect(triple(await ny.value('mau'))).toEqual({ value: 11, previous_value: 4, change: 175 })
  })

  test('dau previous value: yesterday from midnight for as long as today has run', async () => {
    // README: for a `day` window the previous value is yesterday from midnight for as long as today
    // has run so far: Mar 19 00:00 to 12:00 EDT. Only carol's 08:00 login = 1 (dave's 15:00 and
    // bob's 22:00 logins come later in the day). Change (3 - 1) / 1 = 200 %.
    expect(triple(await ny.value('dau'))).toEqual({ value: 3, previous_value: 1, change: 200 })
  })

  test('every value at once', async () => {
    const values = await ny.values()
    expect(Object.keys(values)).toEqual([
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
    expect(values.mrr.value).toBe(226)
    expect(values.paying_customers.value).toBe(5)
    expect(values.signups.value).toBe(5)
  })

  test('history of MRR and paying customers across the DST change', async () => {
    // Value at the end of each local day (points are the window ending at the day's end):
    //   Mar 7:  alice P2 49 + bob P4 50 + carol 30 + erin 30 + frank 25           = 184 (5 customers)
    //   Mar 8:  + dave 15 (paid 23:30 EST on Mar 8, which is Mar 9 in UTC)        = 199 (6)
    //   Mar 9:                                                                    = 199 (6)
    //   Mar 10: erin's month ended at 23:30 EDT (-30), bob's monthly P5 starts (+20) = 189 (5)
    //   Mar 11 .. Mar 14:                                                          = 189 (5)
    //   Mar 15: alice's P3 99 replaces P2 49                                       = 239 (5)
    //   Mar 18: + gina 12                                                          = 251 (6)
    //   Mar 19:                                                                    = 251 (6)
    //   Mar 20 (today so far): frank's month ended at 11:30 EDT                    = 226 (5)
    //   Mar 21 and 22 are after today: left out.
    const mrr = await ny.history('mrr', '2024-03-07', '2024-03-22')
    expect(mrr.slug).toBe('mrr')
    expect(mrr.timezone).toBe('America/New_York')
    expect(mrr.points).toEqual(
      points([
        ['2024-03-07', 184],
        ['2024-03-08', 199],
        ['2024-03-09', 199],
        ['2024-03-10', 189],
        ['2024-03-11', 189],
        ['2024-03-12', 189],
        ['2024-03-13', 189],
        ['2024-03-14', 189],
        ['2024-03-15', 239],
        ['2024-03-16', 239],
        ['2024-03-17', 239],
        ['2024-03-18', 251],
        ['2024-03-19', 251],
        ['2024-03-20', 226],
      ]),
    )
    expect((await ny.history('paying_customers', '2024-03-07', '2024-03-20')).points.map((p) => p.value)).toEqual([
      5, 6, 6, 5, 5, 5, 5, 5, 5, 5, 5, 6, 6, 5,
    ])
  })

  test('history of signups, dau, cancellations and churn rate across the DST change', async () => {
    // Signups, 30 × 24 h ending at local midnight after the day:
    //   Mar 7:  (Feb 7 05:00Z, Mar 8 05:00Z]: erin (Feb 10 04:30Z), judy                    = 2
    //   Mar 8:  (Feb 8 05:00Z, Mar 9 05:00Z]: + dave (Mar 9 01:00Z)                         = 3
    //   Mar 9:  (Feb 9 05:00Z, Mar 10 05:00Z]: hank (Mar 10 06:30Z) is later                = 3
    //   Mar 10: (Feb 10 04:00Z, Mar 11 04:00Z]: the day ends at 04:00Z (EDT), so the window
    //           starts at 04:00Z on Feb 10 and erin's 04:30Z signup is still in; + hank       = 4
    //   Mar 11: (Feb 11 04:00Z, Mar 12 04:00Z]: erin has left                               = 3
    //   Mar 12:                                                                              = 3
    expect((await ny.history('signups', '2024-03-07', '2024-03-12')).points).toEqual(
      points([
        ['2024-03-07', 2],
        ['2024-03-08', 3],
        ['2024-03-09', 3],
        ['2024-03-10', 4],
        ['2024-03-11', 3],
        ['2024-03-12', 3],
      ]),
    )
    // Users active on each local day:
    //   Mar 7: nobody; Mar 8: dave (20:00 and 23:30 EST); Mar 9: kate (23:45 EST);
    //   Mar 10 (23 h, 05:00Z to 04:00Z next day): hank 01:30 EST, bob 10:00 EDT, judy 23:30 EDT = 3;
    //   Mar 11: hank 00:30 EDT; Mar 12: carol.
    expect((await ny.history('dau', '2024-03-07', '2024-03-12')).points).toEqual(
      points([
        ['2024-03-07', 0],
        ['2024-03-08', 1],
        ['2024-03-09', 1],
        ['2024-03-10', 3],
        ['2024-03-11', 1],
        ['2024-03-12', 1],
      ]),
    )
    // Cancellations over 30 days: kate's (Feb 5 14:00Z) is in the windows ending Mar 5 05:00Z and
    // Mar 6 05:00Z, gone from the one ending Mar 7 05:00Z; erin's (Mar 2) is in all; carol's from Mar 12.
    expect((await ny.history('cancellations', '2024-03-04', '2024-03-13')).points.map((p) => p.value)).toEqual([
      2, 2, 1, 1, 1, 1, 1, 1, 2, 2,
    ])
    // Churn = cancellations / paying customers * 100:
    //   Mar 7 1/5, Mar 8 1/6, Mar 9 1/6, Mar 10 1/5, Mar 11 1/5, Mar 12 2/5.
    expect((await ny.history('churn_rate', '2024-03-07', '2024-03-12')).points).toEqual(
      points([
        ['2024-03-07', approx(20)],
        ['2024-03-08', approx(100 / 6)],
        ['2024-03-09', approx(100 / 6)],
        ['2024-03-10', approx(20)],
        ['2024-03-11', approx(20)],
        ['2024-03-12', approx(40)],
      ]),
    )
  })

  test('history before the first cancellation: LTV and quick ratio are null', async () => {
    // End of Feb 3 and Feb 4: kate P12 40 (Jan 5 .. Feb 4) + bob 50 + carol 30 + alice P1 49 = 169,
    // 4 customers; no cancellation yet, so churn is 0 and LTV and the quick ratio divide by zero.
    // End of Feb 5 and Feb 6: kate's month is over: 129, 3 customers; kate cancelled on Feb 5.
    //   ARPU 129 / 3 = 43, churn 1 / 3 * 100, LTV 43 / (1 / 3) = 129.
    //   Signups over the 30 days: alice (Jan 10), carol (Jan 24) = 2; quick ratio 2 / 1 = 2.
    const days = (slug: string) =>
      ny.history(slug, '2024-02-03', '2024-02-06').then((h) => h.points.map((p) => p.value))
    expect(await days('mrr')).toEqual([169, 169, 129, 129])
    expect(await days('paying_customers')).toEqual([4, 4, 3, 3])
    expect(await days('cancellations')).toEqual([0, 0, 1, 1])
    expect(await days('churn_rate')).toEqual([0, 0, approx(100 / 3), approx(100 / 3)])
    expect(await days('ltv')).toEqual([null, null, approx(129), approx(129)])
    expect(await days('quick_ratio')).toEqual([null, null, approx(2), approx(2)])
    expect(await days('arpu')).toEqual([approx(42.25), approx(42.25), approx(43), approx(43)])
  })
})

describe('saas pack, the same events in UTC', () => {
  test('MRR: coverage follows UTC days, and frank is still covered now', async () => {
    // In UTC frank paid on Feb 20 16:30Z and is covered until Mar 20 16:30Z, after now (16:00Z):
    //   99 + 70 + 30 + 15 + 12 + 25 = 251, 6 customers. 30 days ago: 159 as in New York.
    expect(triple(await utc.value('mrr'))).toEqual({ value: 251, previous_value: 159, change: 57.86 }) // 92 / 159 = 57.861 %
    expect((await utc.value('paying_customers')).value).toBe(6)
    // UTC days: Mar 8: 184 (dave pays Mar 9 04:30Z); Mar 9: +15 = 199; Mar 10: erin (Feb 11 .. Mar 10)
    // is still in and bob's P5 starts: 219; Mar 11: erin is out: 189.
    const mrr = await utc.history('mrr', '2024-03-08', '2024-03-11')
    expect(mrr.timezone).toBe('UTC')
    expect(mrr.points).toEqual(
      points([
        ['2024-03-08', 184],
        ['2024-03-09', 199],
        ['2024-03-10', 219],
        ['2024-03-11', 189],
      ]),
    )
  })

  test('dau follows UTC days', async () => {
    // Mar 8: nobody; Mar 9: dave (01:00Z, 04:30Z); Mar 10: kate 04:45Z, hank 06:30Z, bob 14:00Z;
    // Mar 11: judy 03:30Z, hank 04:30Z; Mar 12: carol.
    expect((await utc.history('dau', '2024-03-08', '2024-03-12')).points.map((p) => p.value)).toEqual([0, 1, 3, 2, 1])
  })
})

describe('saas pack, months of different lengths (UTC)', () => {
  // README: a payment stops covering at the same wall-clock time n calendar months later; when that
  // month has no such day (Jan 31 + 1 month), at the end of the month's last day (Feb 29 in 2024).
  const payment = (user: string, value: number, period: string, at: string) => ({
    event: 'subscription_payment',
    user_id: user,
    value,
    metadata: { period },
    timestamp: at,
  })

  test('at a moment: a payment whose anniversary day does not exist covers to the end of the short month', async () => {
    const app = await makeTelltale({ now: '2024-02-29T12:00:00Z' })
    try {
      const client = metricsClient(app, app.keys.readWrite)
      await client.apply('saas')
      await client.track([
        payment('jan31', 20, 'monthly', '2024-01-31T10:00:00Z'), //     no Feb 31: covers to the end of Feb 29
        payment('nov30', 90, 'quarterly', '2023-11-30T11:00:00Z'), //  no Feb 30: covers to the end of Feb 29, 90 / 3 = 30
        payment('jan29', 5, 'monthly', '2024-01-29T13:00:00Z'), //      Jan 29 + 1 month = Feb 29 13:00: still covering
        payment('jan28', 7, 'monthly', '2024-01-28T09:00:00Z'), //      Feb 28 09:00: ended yesterday
      ])
      // Now (Feb 29 12:00Z): 20 + 30 + 5 = 55 from 3 paying customers.
      expect.soft((await client.value('mrr')).value).toBe(55)
      expect.soft((await client.value('paying_customers')).value).toBe(3)
      app.clock.set('2024-02-29T13:00:00Z') // jan29's month has ended
      await client.track([{ event: 'user_login', user_id: 'x' }]) // drops the value cache
      expect.soft((await client.value('mrr')).value).toBe(50)
      app.clock.set('2024-03-01T00:00:00Z') // the short month has ended
      await client.track([{ event: 'user_login', user_id: 'x' }])
      expect.soft((await client.value('mrr')).value).toBe(0)
    } finally {
      await app.close()
    }
  })

  test('history: a payment covers up to the day before its anniversary, or to the end of a short month', async () => {
    const app = await makeTelltale({ now: '2024-06-05T12:00:00Z' })
    try {
      const client = metricsClient(app, app.keys.readWrite)
      await client.apply('saas')
      await client.track([
        payment('a', 20, 'monthly', '2024-01-31T10:00:00Z'), // no Feb 31: ends at the end of Feb 29, covers Jan 31 .. Feb 29
        payment('b', 10, 'monthly', '2024-02-29T13:00:00Z'), // ends Mar 29 13:00: covers Feb 29 .. Mar 28
        payment('c', 40, 'monthly', '2024-04-30T09:00:00Z'), // ends May 30 09:00: covers Apr 30 .. May 29
      ])
      const values = async (slug: string, from: string, to: string) =>
        (await client.history(slug, from, to)).points.map((p) => p.value)
      // Feb 27, Feb 28: a; Feb 29: a and b (paid at 13:00); Mar 1: b.
      expect.soft(await values('mrr', '2024-02-27', '2024-03-01')).toEqual([20, 20, 30, 10])
      // Mar 27, Mar 28: b; from Mar 29 (b ended at 13:00): nothing.
      expect.soft(await values('mrr', '2024-03-27', '2024-03-31')).toEqual([10, 10, 0, 0, 0])
      expect.soft(await values('paying_customers', '2024-03-27', '2024-03-31')).toEqual([1, 1, 0, 0, 0])
      // May 28, May 29: c; from May 30 (c ended at 09:00): nothing.
      expect.soft(await values('mrr', '2024-05-28', '2024-05-31')).toEqual([40, 40, 0, 0])
      expect.soft(await values('paying_customers', '2024-05-28', '2024-05-31')).toEqual([1, 1, 0, 0])
    } finally {
      await app.close()
    }
  })
})
