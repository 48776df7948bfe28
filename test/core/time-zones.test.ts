// Zoned calendar days against a brute-force oracle: the oracle scans time in 15-minute steps with
// its own Intl formatter and finds, to the second, each instant where the local date changes.
import { describe, expect, test } from 'vitest'
import {
  formatLocalIso,
  localDayStarts,
  localMidnight,
  nextLocalDay,
  startOfLocalDay,
  zoneOffsetMs,
} from '../../src/core/time-zones'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

function oracleDate(timeZone: string): (ms: number) => string {
  const f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
  return (ms) => f.format(ms)
}

/** Every instant in [from, to) where the local date changes, to the millisecond. */
function dateChanges(timeZone: string, from: number, to: number): number[] {
  const date = oracleDate(timeZone)
  const changes: number[] = []
  for (let t = from + 15 * MINUTE; t < to; t += 15 * MINUTE) {
    if (date(t) === date(t - 15 * MINUTE)) continue
    let [lo, hi] = [t - 15 * MINUTE, t] // date(lo) differs from date(hi)
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2)
      if (date(mid) === date(hi)) hi = mid
      else lo = mid
    }
    changes.push(hi)
  }
  return changes
}

/** What localDayStarts(from, to) must answer, from the oracle. */
function expectedStarts(timeZone: string, from: number, to: number): number[] {
  const changes = dateChanges(timeZone, from - 3 * DAY, to + 3 * DAY)
  const first = changes.filter((c) => c <= from).pop()!
  return [first, ...changes.filter((c) => c > from && c < to), changes.find((c) => c >= to)!]
}

const CASES: Array<[string, string, string]> = [
  ['UTC', '2024-01-01', '2024-03-01'],
  ['Europe/Berlin', '2024-03-20', '2024-11-05'], // both DST changes
  ['America/New_York', '2024-03-01', '2024-11-10'],
  ['Pacific/Apia', '2011-12-20', '2012-01-10'], // skipped 2011-12-30 entirely
  ['Pacific/Fakaofo', '2011-12-20', '2012-01-10'], // skipped 2011-12-30 too
  ['Pacific/Kwajalein', '1993-08-10', '1993-09-01'], // skipped 1993-08-21
  ['America/Sao_Paulo', '2018-10-25', '2019-03-01'], // midnight skipped (Nov 4), midnight repeated (Feb 17)
  ['America/Havana', '2024-03-01', '2024-11-10'], // DST at midnight
  ['Asia/Beirut', '2024-03-25', '2024-11-01'], // DST at midnight
  ['America/Santiago', '2024-03-25', '2024-09-15'], // DST at midnight
  ['Australia/Lord_Howe', '2024-03-30', '2024-10-15'], // 30-minute DST
  ['Asia/Kathmandu', '1985-12-20', '1986-01-10'], // +05:30 → +05:45
  ['Pacific/Chatham', '2024-04-01', '2024-04-15'], // +13:45 / +12:45
  ['Africa/Monrovia', '1972-01-01', '1972-01-15'], // -00:44:30 → UTC
]

describe.each(CASES)('%s from %s to %s', (timeZone, fromDate, toDate) => {
  const from = Date.parse(`${fromDate}T12:34:56Z`)
  const to = Date.parse(`${toDate}T01:02:03Z`)

  test('localDayStarts matches the oracle, strictly increasing', () => {
    const starts = localDayStarts(from, to, timeZone)
    expect(starts.map((s) => formatLocalIso(s, timeZone))).toEqual(
      expectedStarts(timeZone, from, to).map((s) => formatLocalIso(s, timeZone)),
    )
    for (let i = 1; i < starts.length; i++) expect(starts[i]).toBeGreaterThan(starts[i - 1])
  })

  test('startOfLocalDay and nextLocalDay agree with localDayStarts', () => {
    const starts = localDayStarts(from, to, timeZone)
    expect(startOfLocalDay(from, timeZone)).toBe(starts[0])
    for (let i = 1; i < starts.length; i++) {
      expect(nextLocalDay(starts[i - 1], timeZone)).toBe(starts[i])
      expect(startOfLocalDay(starts[i] + 1, timeZone)).toBe(starts[i])
      expect(startOfLocalDay(starts[i] - 1, timeZone)).toBe(starts[i - 1])
    }
  })

  test('each start is the first instant of its local date', () => {
    const date = oracleDate(timeZone)
    for (const start of localDayStarts(from, to, timeZone)) expect(date(start - 1)).not.toBe(date(start))
  })
})

describe('skipped dates', () => {
  test('Pacific/Apia 2011-12-28..2012-01-02 ends, with no bucket for 2011-12-30', () => {
    const from = localMidnight(2011, 12, 28, 'Pacific/Apia')
    const to = localMidnight(2012, 1, 3, 'Pacific/Apia')
    const days = localDayStarts(from, to, 'Pacific/Apia').map((s) => formatLocalIso(s, 'Pacific/Apia').slice(0, 10))
    expect(days).toEqual(['2011-12-28', '2011-12-29', '2011-12-31', '2012-01-01', '2012-01-02', '2012-01-03'])
  })

  test('localMidnight of a skipped date is the start of the next existing one', () => {
    expect(localMidnight(2011, 12, 30, 'Pacific/Apia')).toBe(localMidnight(2011, 12, 31, 'Pacific/Apia'))
    expect(formatLocalIso(localMidnight(2011, 12, 30, 'Pacific/Apia'), 'Pacific/Apia')).toBe(
      '2011-12-31T00:00:00+14:00',
    )
  })

  test('a midnight the clock skipped: the day starts when the clock jumped', () => {
    expect(formatLocalIso(localMidnight(2018, 11, 4, 'America/Sao_Paulo'), 'America/Sao_Paulo')).toBe(
      '2018-11-04T01:00:00-02:00',
    )
  })
})

describe('offsets and formatting', () => {
  test.each([
    ['UTC', '2024-01-15T10:30:00Z', 0, '2024-01-15T10:30:00Z'],
    ['Europe/Berlin', '2024-07-01T00:00:00Z', 2 * HOUR, '2024-07-01T02:00:00+02:00'],
    ['America/St_Johns', '2024-01-15T12:00:00Z', -3.5 * HOUR, '2024-01-15T08:30:00-03:30'],
    ['Asia/Kathmandu', '2024-01-15T12:00:00Z', 5.75 * HOUR, '2024-01-15T17:45:00+05:45'],
    ['Africa/Monrovia', '1971-06-01T12:00:00Z', -(44 * MINUTE + 30_000), '1971-06-01T11:15:30-00:44:30'],
  ])('%s at %s', (timeZone, iso, offset, local) => {
    expect(zoneOffsetMs(Date.parse(iso), timeZone)).toBe(offset)
    expect(formatLocalIso(Date.parse(iso), timeZone)).toBe(local)
  })
})

test('a 10,000-day series has one bucket per day (and ends)', () => {
  const from = Date.UTC(1990, 0, 1)
  expect(localDayStarts(from, from + 10_000 * DAY - 1, 'UTC')).toHaveLength(10_001)
  const berlin = localDayStarts(from, from + 10_000 * DAY - 1, 'Europe/Berlin')
  expect(berlin.length).toBeGreaterThanOrEqual(10_001)
  expect(berlin.length).toBeLessThanOrEqual(10_002)
})
