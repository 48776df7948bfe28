// Calendar days in an IANA time zone, computed with Intl (no tz database of our own). Days are
// 23, 24 or 25 hours long across DST changes; every helper here returns UTC instants (epoch ms).

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
    formatters.set(timeZone, f)
  }
  return f
}

/** The wall-clock fields of `instant` in `timeZone`. */
function wallClock(instant: number, timeZone: string): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const parts: Record<string, number> = {}
  for (const part of formatter(timeZone).formatToParts(instant)) if (part.type !== 'literal') parts[part.type] = Number(part.value)
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour, minute: parts.minute, second: parts.second }
}

/** Local time minus UTC at `instant`, in ms (Europe/Berlin in summer: +7 200 000). */
export function zoneOffsetMs(instant: number, timeZone: string): number {
  const w = wallClock(instant, timeZone)
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(instant / 1000) * 1000
}

/** The instant the local date `year-month-day` begins in `timeZone`. */
export function localMidnight(year: number, month: number, day: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day)
  // Two rounds settle the offset even when the guess lands on the other side of a DST change.
  let instant = wall - zoneOffsetMs(wall, timeZone)
  instant = wall - zoneOffsetMs(instant, timeZone)
  return instant
}

/** Start of the local day that contains `instant`. */
export function startOfLocalDay(instant: number, timeZone: string): number {
  const w = wallClock(instant, timeZone)
  return localMidnight(w.year, w.month, w.day, timeZone)
}

/** Start of the local day after the one that begins at `dayStart`. */
export function nextLocalDay(dayStart: number, timeZone: string): number {
  const w = wallClock(dayStart + 12 * 3_600_000, timeZone) // noon: safely inside the same day
  const next = new Date(Date.UTC(w.year, w.month - 1, w.day + 1))
  return localMidnight(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), timeZone)
}

/** `2024-03-31T00:00:00+01:00`: local wall time with its offset. */
export function formatLocalIso(instant: number, timeZone: string): string {
  const offset = zoneOffsetMs(instant, timeZone)
  const local = new Date(Math.floor(instant / 1000) * 1000 + offset).toISOString().slice(0, 19)
  if (offset === 0) return `${local}Z`
  const sign = offset < 0 ? '-' : '+'
  const minutes = Math.abs(offset) / 60_000
  return `${local}${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`
}

/** `2024-01-15T10:30:00Z`, with milliseconds only when there are any. */
export function formatUtcIso(instant: number): string {
  return new Date(instant).toISOString().replace('.000Z', 'Z')
}

/**
 * Starts of the local days overlapping `[from, to)`, then the start of the day after the last:
 * n + 1 ascending instants for n day buckets. (Interim version; replaced by the fast one.)
 */
export function localDayStarts(from: number, to: number, timeZone: string): number[] {
  const bounds: number[] = []
  for (let start = startOfLocalDay(from, timeZone); start < to; start = nextLocalDay(start, timeZone)) bounds.push(start)
  bounds.push(nextLocalDay(bounds[bounds.length - 1], timeZone))
  return bounds
}
