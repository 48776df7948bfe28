// The api pack (README "Status Blocks metrics") over a hand-made fixture of `api_request` events
// (value = latency in ms, metadata.status = HTTP status), read through HTTP in a project in
// America/New_York, whose clocks fall back from EDT (UTC-4) to EST (UTC-5) on 2023-11-05 at 02:00
// (a 25-hour local day with 01:00-02:00 twice). Every expected number is computed by hand from the
// table below; nothing calls the library's computations. p95 is nearest-rank: the value at 1-based
// rank ceil(0.95 × n) in ascending order.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { makeTelltale, type TestApp } from '../../helpers/app'
import { approx, type MetricsClient, points, triple, zoneProject } from '../../helpers/metrics'

// Now: Wednesday 2023-11-08 12:00 EST = 17:00Z.
//   day window: Nov 8 00:00 EST (05:00Z) to now
//   30d window: (2023-10-09 17:00Z, now]; previous (2023-09-09 17:00Z, 2023-10-09 17:00Z]
const NOW = '2023-11-08T12:00:00-05:00'

const request = (user: string, latency: number, status: unknown, at: string) => ({
  event: 'api_request',
  user_id: user,
  value: latency,
  metadata: status === undefined ? { path: '/v1/things' } : { path: '/v1/things', status },
  timestamp: at,
})

// Saturday Nov 4 (EDT): 20 requests, latencies 10 .. 200 in steps of 10, in shuffled order, users
// acme and globex alternating. Statuses: 500 and 503 are server errors; the string "502" is not a
// number and 404 is below 500, so neither counts; one request has no status. The last one, at
// 23:30 EDT, is Nov 5 03:30Z.
const NOV_4_LATENCIES = [120, 40, 190, 10, 200, 70, 150, 30, 100, 180, 60, 90, 20, 160, 80, 140, 50, 170, 110, 130]
const NOV_4_STATUSES: Record<number, unknown> = { 0: 500, 5: 503, 2: '502', 7: 404, 9: undefined }
const NOV_4 = NOV_4_LATENCIES.map((latency, i) =>
  request(
    i % 2 === 0 ? 'acme' : 'globex',
    latency,
    i in NOV_4_STATUSES ? NOV_4_STATUSES[i] : 200,
    i < 19 ? `2023-11-04T${String(i + 1).padStart(2, '0')}:00:00-04:00` : '2023-11-04T23:30:00-04:00',
  ),
)

// Local time (America/New_York)                                  UTC
const EVENTS = [
  request('old', 10, 200, '2023-10-01T12:00:00-04:00'), //       10-01 16:00Z  previous 30d only
  request('wayne', 10, 200, '2023-10-07T00:30:00-04:00'), //     10-07 04:30Z  previous 30d only
  request('stark', 10, 200, '2023-10-20T12:00:00-04:00'), //     10-20 16:00Z  current 30d
  ...NOV_4,
  // Sunday Nov 5, 25 hours: 04:00Z to Nov 6 05:00Z.
  request('acme', 300, 200, '2023-11-05T00:30:00-04:00'), //     11-05 04:30Z
  request('initech', 100, 500, '2023-11-05T01:30:00-04:00'), //  11-05 05:30Z  the first 01:30
  request('initech', 250, 200, '2023-11-05T01:30:00-05:00'), //  11-05 06:30Z  the second 01:30
  request('acme', 50, 200, '2023-11-05T09:00:00-05:00'), //      11-05 14:00Z
  request('initech', 200, 504, '2023-11-05T12:00:00-05:00'), //  11-05 17:00Z
  request('acme', 150, 200, '2023-11-05T18:00:00-05:00'), //     11-05 23:00Z
  request('initech', 400, 200, '2023-11-05T23:30:00-05:00'), //  11-06 04:30Z  the 25th hour
  // Monday Nov 6: no request, only another event (with a status and a value of its own).
  {
    event: 'page_view',
    user_id: 'zed',
    value: 9999,
    metadata: { status: 500 },
    timestamp: '2023-11-06T12:00:00-05:00',
  },
  // Tuesday Nov 7 (yesterday): three requests in the morning, two later.
  request('globex', 30, 200, '2023-11-07T08:00:00-05:00'),
  request('globex', 60, 500, '2023-11-07T10:00:00-05:00'),
  request('umbrella', 90, 200, '2023-11-07T11:00:00-05:00'),
  request('acme', 40, 200, '2023-11-07T15:00:00-05:00'),
  request('acme', 50, 200, '2023-11-07T21:00:00-05:00'),
  // Wednesday Nov 8 (today), before noon.
  request('acme', 120, 200, '2023-11-08T01:00:00-05:00'),
  request('hooli', 80, 500, '2023-11-08T03:00:00-05:00'),
  request('hooli', 100, 499, '2023-11-08T07:00:00-05:00'),
  request('acme', 110, 201, '2023-11-08T11:00:00-05:00'),
]

const SLUGS = ['requests', 'server_errors', 'error_rate', 'p95_latency', 'active_consumers']

let t: TestApp
let ny: MetricsClient

beforeAll(async () => {
  t = await makeTelltale({ now: NOW })
  ny = await zoneProject(t, { name: 'API NY', slug: 'api-ny', timezone: 'America/New_York' })
  expect(await ny.apply('api')).toEqual(SLUGS)
  await ny.track(EVENTS)
})
afterAll(async () => {
  await t?.close()
})

describe('api pack, America/New_York', () => {
  test('today so far', async () => {
    // Today: 4 requests; one server error (500; 499 is not one); error rate 1 / 4 * 100 = 25;
    // p95: sorted 80, 100, 110, 120, rank ceil(3.8) = 4 → 120.
    const values = await ny.values()
    expect(Object.keys(values)).toEqual(SLUGS)
    expect(Object.fromEntries(SLUGS.map((slug) => [slug, values[slug].value]))).toEqual({
      requests: 4,
      server_errors: 1,
      error_rate: approx(25),
      p95_latency: 120,
      // 30 days: stark, acme, globex, initech, umbrella, hooli = 6 (wayne and old are older; zed
      // sent no api_request).
      active_consumers: 6,
    })
    expect(values.requests).toMatchObject({ window: 'day', computed_at: '2023-11-08T17:00:00.000000Z' })
  })

  test('active consumers: previous 30 days', async () => {
    // (Sep 9 17:00Z, Oct 9 17:00Z]: old, wayne = 2; change (6 - 2) / 2 = 200 %.
    expect(triple(await ny.value('active_consumers'))).toEqual({ value: 6, previous_value: 2, change: 200 })
  })

  test('day windows: the previous value is yesterday from midnight for as long as today has run', async () => {
    // README: for a `day` window the previous value is yesterday from midnight for as long as today
    // has run so far (at noon: yesterday's midnight to noon). Nov 7 00:00 to 12:00 EST holds globex 30 (200), globex 60 (500), umbrella 90 (200).
    //   requests 3 → 4: +33.33 %;  server errors 1 → 1: 0 %
    //   error rate 1 / 3 * 100 = 33.33 → 25: -25 %
    //   p95 of 30, 60, 90: rank ceil(2.85) = 3 → 90; 90 → 120: +33.33 %
    expect(triple(await ny.value('requests'))).toEqual({ value: 4, previous_value: 3, change: 33.33 })
    expect(triple(await ny.value('server_errors'))).toEqual({ value: 1, previous_value: 1, change: 0 })
    expect(triple(await ny.value('error_rate'))).toEqual({
      value: approx(25),
      previous_value: approx(100 / 3),
      change: -25,
    })
    expect(triple(await ny.value('p95_latency'))).toEqual({ value: 120, previous_value: 90, change: 33.33 })
  })

  test('history across the DST change, with an empty day', async () => {
    //          Nov 3   Nov 4      Nov 5 (25 h)        Nov 6       Nov 7      Nov 8 (so far)
    // requests   0      20        7 (incl. 23:30 EST)   0 (a page_view) 5          4
    // errors     0    2 (500, 503)  2 (500, 504)        0          1          1
    // rate     null   2/20 = 10    2/7 = 28.57          null      1/5 = 20   1/4 = 25
    // p95      null   rank 19 of 10..200 → 190          null      rank 5 of 30,40,50,60,90 → 90
    //                         rank 7 of 7 → 400                              rank 4 → 120
    // Nov 9 is after today: left out.
    const history = async (slug: string) => {
      const h = await ny.history(slug, '2023-11-03', '2023-11-09')
      expect(h).toMatchObject({ slug, timezone: 'America/New_York' })
      return h.points
    }
    expect(await history('requests')).toEqual(
      points([
        ['2023-11-03', 0],
        ['2023-11-04', 20],
        ['2023-11-05', 7],
        ['2023-11-06', 0],
        ['2023-11-07', 5],
        ['2023-11-08', 4],
      ]),
    )
    expect((await history('server_errors')).map((p) => p.value)).toEqual([0, 2, 2, 0, 1, 1])
    expect((await history('error_rate')).map((p) => p.value)).toEqual([
      null,
      approx(10),
      approx(200 / 7),
      null,
      approx(20),
      approx(25),
    ])
    expect((await history('p95_latency')).map((p) => p.value)).toEqual([null, 190, 400, null, 90, 120])
    // Active consumers over the 30 × 24 h ending at local midnight after each day:
    //   Nov 3: (Oct 5 04:00Z, Nov 4 04:00Z]: wayne (Oct 7 04:30Z), stark = 2 (old is Oct 1)
    //   Nov 4: (Oct 6 04:00Z, Nov 5 04:00Z]: + acme, globex = 4
    //   Nov 5: the day ends at Nov 6 05:00Z (EST), so the window starts Oct 7 05:00Z and wayne's
    //          04:30Z request has left: stark, acme, globex, initech = 4
    //   Nov 6: 4;  Nov 7: + umbrella = 5;  Nov 8 (now): + hooli = 6
    expect((await history('active_consumers')).map((p) => p.value)).toEqual([2, 4, 4, 4, 5, 6])
  })
})
