/**
 * Calendar arithmetic in a project's time zone for metric windows and daily history: local days
 * as `YYYY-MM-DD`, months, and "the same local time n months earlier". Instants are epoch ms.
 */
import { localMidnight, nextLocalDay, startOfLocalDay, zoneOffsetMs } from '../core/time-zones'
import type { Window } from './definition'

const DAY_MS = 86_400_000

/** The local date of `instant` as `YYYY-MM-DD`. */
export function localDay(instant: number, timeZone: string): string {
  return new Date(instant + zoneOffsetMs(instant, timeZone)).toISOString().slice(0, 10)
}

/** The first instant of a local `YYYY-MM-DD`. */
export function dayStart(day: string, timeZone: string): number {
  const [y, m, d] = day.split('-').map(Number)
  return localMidnight(y, m, d, timeZone)
}

/** The first instant after a local `YYYY-MM-DD`: where "the window ending at the end of that day" ends. */
export function dayEnd(day: string, timeZone: string): number {
  return nextLocalDay(dayStart(day, timeZone), timeZone)
}

/** `YYYY-MM-DD` plus `n` calendar days (UTC arithmetic on the date alone: no zone involved). */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10)
}

/** Calendar days from `a` to `b` (`b` - `a`). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS)
}

/** The earlier and the later of two `YYYY-MM-DD` days (they sort as text). */
export const minDay = (a: string, b: string): string => (a < b ? a : b)
export const maxDay = (a: string, b: string): string => (a > b ? a : b)

/** Every `YYYY-MM-DD` from `from` to `to`, inclusive. */
export function dayRange(from: string, to: string): string[] {
  const n = daysBetween(from, to)
  const days: string[] = []
  for (let i = 0; i <= n; i++) days.push(addDays(from, i))
  return days
}

/** Whether `text` is a real calendar date written `YYYY-MM-DD`. */
export function isDay(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false
  const parsed = new Date(`${text}T00:00:00Z`)
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === text
}

/**
 * When a payment made at `instant` stops covering, `months` calendar months on: the same local
 * wall-clock time n months later, or, when that month is too short for the day (a payment on
 * Jan 31), the end of that month's last day (Mar 1 00:00). Never decreases as `instant` grows,
 * so the payments covering a moment are exactly those made from `coverageStart` on.
 */
export function coverageEnd(instant: number, months: number, timeZone: string): number {
  const start = startOfLocalDay(instant, timeZone)
  const [y, m, d] = localDay(start, timeZone).split('-').map(Number)
  const index = y * 12 + (m - 1) + months
  const year = Math.floor(index / 12)
  const month = (index % 12) + 1
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate()
  if (d > last) return localMidnight(Math.floor((index + 1) / 12), ((index + 1) % 12) + 1, 1, timeZone)
  return wallTime(Date.UTC(year, month - 1, d) + wallMsIntoDay(instant, timeZone), timeZone)
}

/** Milliseconds since local midnight on the wall clock (23:30 is 23.5 h, even on a 23-hour day). */
function wallMsIntoDay(instant: number, timeZone: string): number {
  const wall = instant + zoneOffsetMs(instant, timeZone)
  return ((wall % 86_400_000) + 86_400_000) % 86_400_000
}

/** The instant a local wall-clock time (as UTC-based ms) happens; a time a DST gap skipped lands an hour off. */
function wallTime(wall: number, timeZone: string): number {
  const guess = wall - zoneOffsetMs(wall, timeZone)
  return wall - zoneOffsetMs(guess, timeZone)
}

/**
 * The first instant whose payment still covers `at` (its `coverageEnd` is at or after `at`): a
 * binary search over the months before `at`, since month lengths and time zones make the inverse
 * irregular (about 32 steps of a few zone look-ups).
 */
export function coverageStart(at: number, months: number, timeZone: string): number {
  let low = at - (months * 31 + 2) * 86_400_000 // covers nothing as late as `at`
  let high = at // covers `at`
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2)
    if (coverageEnd(middle, months, timeZone) >= at) high = middle
    else low = middle
  }
  return high
}

/**
 * The window ending at `end` (exclusive): `[from, end)`. `day` and `month` are the local calendar
 * day and month holding the last instant before `end`; `7d` and `30d` are the 7 x 24 h and 30 x 24 h
 * before `end`. `null`: no start (all time).
 */
export function windowStart(window: Window | null, end: number, timeZone: string): number | undefined {
  switch (window) {
    case null:
      return undefined
    case '7d':
      return end - 7 * DAY_MS
    case '30d':
      return end - 30 * DAY_MS
    case 'day':
      return startOfLocalDay(end - 1, timeZone)
    case 'month': {
      const [y, m] = localDay(end - 1, timeZone)
        .split('-')
        .map(Number)
      return localMidnight(y, m, 1, timeZone)
    }
  }
}

/** How many days after a changed day the value of a window over it can change (`Infinity`: all). */
export function windowReachDays(window: Window | null): number {
  switch (window) {
    case null:
      return Number.POSITIVE_INFINITY
    case 'day':
      return 0
    case '7d':
      return 7
    case '30d':
      return 30
    case 'month':
      return 31
  }
}
