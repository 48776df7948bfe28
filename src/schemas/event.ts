import { z } from 'zod'
import { parseIsoTimestamp } from './time'

/**
 * One event as every surface hands it to the core, in core field names. Surfaces rename their
 * wire fields (Status Blocks `event`/`metadata`, Flux `name`/`properties`) to these and back.
 * Limits are the Status Blocks document's: name ≤ 100, user fields ≤ 255.
 */
export const EVENT_NAME_MAX = 100
export const USER_FIELD_MAX = 255

const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined)

/** ISO-8601 string or epoch ms (in-process callers may pass a Date). Becomes epoch ms. */
export const timestampSchema = z
  .union([z.string(), z.number(), z.date()])
  .transform((input, ctx) => {
    const ms = typeof input === 'string' ? parseIsoTimestamp(input) : input instanceof Date ? input.getTime() : input
    if (ms === undefined || !Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: 'invalid date', params: { rule: 'date' } })
      return z.NEVER
    }
    return ms
  })

export const eventInputSchema = z.object({
  /** Client-chosen idempotency key: the same id twice stores one event. */
  id: optional(z.string().min(1).max(USER_FIELD_MAX)),
  name: z.string().min(1).max(EVENT_NAME_MAX),
  timestamp: optional(timestampSchema),
  userId: optional(z.string().max(USER_FIELD_MAX)),
  userEmail: optional(z.email().max(USER_FIELD_MAX)),
  userName: optional(z.string().max(USER_FIELD_MAX)),
  value: optional(z.number()),
  properties: optional(z.record(z.string(), z.unknown())),
  tags: optional(z.record(z.string(), z.string())),
})

/** What callers send (`api.trackEvent`, or a surface after renaming its fields). */
export type EventInput = z.input<typeof eventInputSchema>
/** After validation: timestamps are epoch ms, absent fields are `undefined`. */
export type ValidEvent = z.output<typeof eventInputSchema>
