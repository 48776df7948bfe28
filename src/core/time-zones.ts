// Calendar days in an IANA time zone, computed with Intl (no tz database of our own). Every helper
// here takes and returns UTC instants (epoch ms). A local day starts at its first instant: local
// midnight, or, when the clock skipped midnight, the moment the clock jumped. A date the zone
// skipped entirely (Pacific/Apia, 2011-12-30) has no day at all.

const DAY = 86_400_000
/** UTC offsets span -12 h to +14 h: the local date of any instant is within these bounds. */
const MAX_AHEAD = 14 * 3_600_000
const MAX_BEHIND = 12 * 3_600_000

const offsetFormatters = new Map<string, Intl.DateTimeFormat>()

function offsetFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = offsetFormatters.get(timeZone)
  if (!f) {
    // `longOffset` ("GMT+05:45") makes `format` give the offset directly: a third of the cost of
    // reading wall-clock fields with formatToParts, which matters for 10,000-day series.
    f = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
    offsetFormatters.set(timeZone, f)
  }
  return f
}

/** Local time minus UTC at `instant`, in ms (Europe/Berlin in summer: +7 200 000). */
export function zoneOffsetMs(instant: number, timeZone: string): number {
  const text = offsetFormatter(timeZone).format(instant)
  const match = /GMT(?:([+-])(\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(text)
  if (!match) throw new RangeError(`telltale: cannot read the UTC offset of ${timeZone} from ${JSON.stringify(text)}`)
  if (!match[1]) return 0
  const ms = (Number(match[2]) * 3600 + Number(match[3]) * 60 + Number(match[4] ?? 0)) * 1000
  return match[1] === '-' ? -ms : ms
}

/** Days since 1970-01-01 of the local date at `instant`. */
function localDayNumber(instant: number, timeZone: string, offset = zoneOffsetMs(instant, timeZone)): number {
  return Math.floor((instant + offset) / DAY)
}

/**
 * The first instant whose local date is `day` or later (`day` in days since 1970-01-01). `hint`
 * is an offset the zone likely has then (the previous day's): when the instant it gives checks
 * out, one Intl call settles the day; around a transition, a binary search over the ±14 h window
 * finds the exact instant (transitions fall on whole seconds).
 */
function firstInstantOfDay(day: number, timeZone: string, hint: number): { instant: number; offset: number } {
  const midnight = day * DAY
  const guess = midnight - hint
  // Same offset as the hint: no transition between (short of two within one day), so `guess`
  // is local midnight and the day's first instant.
  const offset = zoneOffsetMs(guess, timeZone)
  if (offset === hint) return { instant: guess, offset }
  // The offset changed since the hint (a DST day): midnight with the new offset, if it holds there
  // and just before.
  const retry = midnight - offset
  if (zoneOffsetMs(retry, timeZone) === offset && zoneOffsetMs(retry - 1, timeZone) === offset)
    return { instant: retry, offset }
  // Binary search for the first instant of the day, over whole seconds (transitions fall on
  // them), then to the millisecond in case one did not. Bounded: about 17 + 10 steps.
  const isDayOrLater = (ms: number) => localDayNumber(ms, timeZone) >= day
  let before = Math.floor((midnight - MAX_AHEAD) / 1000) - 1 // seconds; local date < day for any offset
  let after = Math.ceil((midnight + MAX_BEHIND) / 1000) // local date >= day for any offset
  while (after - before > 1) {
    const middle = Math.floor((before + after) / 2)
    if (isDayOrLater(middle * 1000)) after = middle
    else before = middle
  }
  let lowMs = after * 1000 - 1000
  let highMs = after * 1000
  while (highMs - lowMs > 1) {
    const middle = Math.floor((lowMs + highMs) / 2)
    if (isDayOrLater(middle)) highMs = middle
    else lowMs = middle
  }
  return { instant: highMs, offset: zoneOffsetMs(highMs, timeZone) }
}

/** The instant the local date `year-month-day` begins in `timeZone` (if it was skipped: the next date's). */
export function localMidnight(year: number, month: number, day: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day)
  return firstInstantOfDay(Math.floor(wall / DAY), timeZone, zoneOffsetMs(wall, timeZone)).instant
}

/** Start of the local day that contains `instant`. */
export function startOfLocalDay(instant: number, timeZone: string): number {
  return dayContaining(instant, timeZone).instant
}

/**
 * The first instant of the local date of `instant`. The hint is the offset half a day before the
 * day's estimated start, not at `instant`: where the clock fell back across midnight (Havana,
 * 2024-11-03), the date's midnight happens twice, and the day starts at the first.
 */
function dayContaining(instant: number, timeZone: string): { instant: number; offset: number } {
  const offset = zoneOffsetMs(instant, timeZone)
  const day = localDayNumber(instant, timeZone, offset)
  return firstInstantOfDay(day, timeZone, zoneOffsetMs(day * DAY - offset - DAY / 2, timeZone))
}

/** Start of the local day after the one that begins at `dayStart` (always later than `dayStart`). */
export function nextLocalDay(dayStart: number, timeZone: string): number {
  const offset = zoneOffsetMs(dayStart, timeZone)
  return firstInstantOfDay(localDayNumber(dayStart, timeZone, offset) + 1, timeZone, offset).instant
}

/**
 * Starts of the local days overlapping `[from, to)`, then the start of the day after the last:
 * n + 1 strictly increasing instants for n day buckets. About one Intl call per day.
 */
export function localDayStarts(from: number, to: number, timeZone: string): number[] {
  let { instant, offset } = dayContaining(from, timeZone)
  const starts = [instant]
  while (instant < to) {
    // A skipped date: the next start already belongs to a later date, which is the next bucket.
    ;({ instant, offset } = firstInstantOfDay(localDayNumber(instant, timeZone, offset) + 1, timeZone, offset))
    starts.push(instant)
  }
  return starts
}

/** `2024-03-31T00:00:00+01:00`: local wall time with its offset. */
export function formatLocalIso(instant: number, timeZone: string): string {
  const offset = zoneOffsetMs(instant, timeZone)
  const local = new Date(Math.floor(instant / 1000) * 1000 + offset).toISOString().slice(0, 19)
  if (offset === 0) return `${local}Z`
  const sign = offset < 0 ? '-' : '+'
  const seconds = Math.abs(offset) / 1000
  const hhmm = `${String(Math.floor(seconds / 3600)).padStart(2, '0')}:${String(Math.floor(seconds / 60) % 60).padStart(2, '0')}`
  // Offsets with seconds (local mean time, e.g. Africa/Monrovia until 1972) keep them.
  return `${local}${sign}${hhmm}${seconds % 60 ? `:${String(seconds % 60).padStart(2, '0')}` : ''}`
}

/** `2024-01-15T10:30:00Z`, with milliseconds only when there are any. */
export function formatUtcIso(instant: number): string {
  return new Date(instant).toISOString().replace('.000Z', 'Z')
}
