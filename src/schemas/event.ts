import { z } from 'zod'
import { jsonObject, safeText, stringMap } from './text'
import { inTimestampRange, MAX_TIMESTAMP, MIN_TIMESTAMP, parseIsoTimestamp } from './time'

/**
 * One event as every surface hands it to the core, in core field names. Surfaces rename their
 * wire fields (Status Blocks `event`/`metadata`, Flux `name`/`properties`) to these and back.
 * Limits are the Status Blocks document's: name ≤ 100, user fields ≤ 255.
 */
export const EVENT_NAME_MAX = 100
export const USER_FIELD_MAX = 255

/**
 * `null` means absent (Laravel's `nullable`). The schema lets it through and the core drops it
 * once per event (`withDefaults` in events/track.ts): a zod transform on each field made
 * validation cost more than everything else telltale does for an event (measured: 11,900 →
 * 14,500 single events per server CPU-second without the transforms).
 */
const optional = <T extends z.ZodType>(schema: T) => schema.nullish()

/**
 * ISO-8601 string or epoch ms (in-process callers may pass a Date). Becomes whole epoch ms in
 * 1970..9999: a fraction of a millisecond is dropped; anything outside the range is refused.
 */
export const timestampSchema = z.union([z.string(), z.number(), z.date()]).transform((input, ctx) => {
  const ms = typeof input === 'string' ? parseIsoTimestamp(input) : input instanceof Date ? input.getTime() : input
  if (ms === undefined || !Number.isFinite(ms)) {
    ctx.addIssue({ code: 'custom', message: 'invalid date', params: { rule: 'date' } })
    return z.NEVER
  }
  const whole = Math.floor(ms)
  if (!inTimestampRange(whole)) {
    ctx.addIssue({
      code: 'custom',
      message: 'date out of range',
      params: { rule: 'date_range', min: MIN_TIMESTAMP, max: MAX_TIMESTAMP },
    })
    return z.NEVER
  }
  return whole
})

export const eventNameSchema = safeText().min(1).max(EVENT_NAME_MAX)

export const eventInputSchema = z.object({
  /** Client-chosen idempotency key: the same id twice stores one event. */
  id: optional(safeText().min(1).max(USER_FIELD_MAX)),
  name: eventNameSchema,
  timestamp: optional(timestampSchema),
  userId: optional(safeText().max(USER_FIELD_MAX)),
  userEmail: optional(z.email().max(USER_FIELD_MAX)),
  userName: optional(safeText().max(USER_FIELD_MAX)),
  value: optional(z.number()),
  properties: optional(jsonObject()),
  tags: optional(stringMap()),
})

/** What callers send (`api.trackEvent`, or a surface after renaming its fields). */
export type EventInput = z.input<typeof eventInputSchema>
/** After validation: timestamps are epoch ms; absent fields are `undefined` or `null`. */
export type ValidEvent = z.output<typeof eventInputSchema>
/** A valid event with `null` fields dropped: absent is `undefined` only. */
export type PresentEvent = { [K in keyof ValidEvent]: Exclude<ValidEvent[K], null> }
