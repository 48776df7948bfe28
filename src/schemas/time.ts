// ISO-8601 as clients send it: a date (`2024-01-15`, midnight UTC) or a date-time with seconds,
// optional fraction, and `Z` or an offset. Anything else (`yesterday`, `01/15/2024`) is rejected
// rather than guessed, because `Date.parse` accepts many local-time formats.
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i

/**
 * The instants telltale stores: 1970-01-01 to 9999-12-31, whole milliseconds. Every backend and
 * every formatter handles these (bucket arithmetic on negative epochs would round the wrong way,
 * and `Date` cannot print past year 275760).
 */
export const MIN_TIMESTAMP = 0
export const MAX_TIMESTAMP = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

export const inTimestampRange = (ms: number): boolean => ms >= MIN_TIMESTAMP && ms <= MAX_TIMESTAMP

/** Epoch ms for an ISO-8601 string, or `undefined` when it is not one. */
export function parseIsoTimestamp(text: string): number | undefined {
  const trimmed = text.trim()
  if (ISO_DATE.test(trimmed)) {
    const ms = Date.parse(`${trimmed}T00:00:00Z`)
    return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== trimmed ? undefined : ms
  }
  if (!ISO_DATE_TIME.test(trimmed)) return undefined
  const ms = Date.parse(trimmed.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'))
  return Number.isNaN(ms) ? undefined : ms
}

/** True for the date-only form, which query endpoints widen to the whole day. */
export function isDateOnly(text: string): boolean {
  return ISO_DATE.test(text.trim())
}
