import { z } from 'zod'
import type { ValidationIssue } from '../core/errors'
import type { EventFilter } from '../storage'
import { EVENT_NAME_MAX, eventNameSchema, timestampSchema, USER_FIELD_MAX } from './event'
import { isTimeZone } from './project'
import { integerIn, safeText, stringMap } from './text'

/** Count intervals and their bucket sizes in ms. */
export const INTERVALS = { '1m': 60_000, '5m': 300_000, '1h': 3_600_000, '1d': 86_400_000 } as const
export type Interval = keyof typeof INTERVALS

/** The one wording of the range rule, for the filter schema and for ranges with defaults filled in. */
export const invalidRange = (): ValidationIssue & { rule: 'invalid' } => ({
  rule: 'invalid',
  message: 'The from timestamp must be before the to timestamp.',
  path: ['range'],
})

/** Which events a query reads; every field narrows (AND). The time range is `[from, to)`. */
export const eventFilterSchema = z
  .object({
    /** Exact name (with `names`: must also be among them). */
    name: eventNameSchema.optional(),
    /** Exact names; an event matches any of them. */
    names: z.array(eventNameSchema).max(100).optional(),
    /** Name starts with this (Flux `name=user.*`). */
    namePrefix: safeText().max(EVENT_NAME_MAX).optional(),
    from: timestampSchema.optional(),
    to: timestampSchema.optional(),
    userId: safeText().max(USER_FIELD_MAX).optional(),
    /** Every pair must be among the event's tags. */
    tags: stringMap().optional(),
  })
  .superRefine((filter, ctx) => {
    if (filter.from !== undefined && filter.to !== undefined && filter.from >= filter.to) {
      const { path, ...rule } = invalidRange()
      ctx.addIssue({ code: 'custom', path, message: rule.message, params: rule })
    }
  })
  .transform(
    ({ name, names, ...filter }): EventFilter =>
      name === undefined
        ? { ...filter, names }
        : { ...filter, names: names ? names.filter((n) => n === name) : [name] },
  )

export const timeZoneSchema = z.string().refine(isTimeZone, { params: { rule: 'timezone' } })
const projectId = z.string()
const filter = eventFilterSchema.default({})

export const listEventsInput = z.object({
  projectId,
  filter,
  limit: integerIn(1, 1000).default(100),
  offset: integerIn(0, 1_000_000_000).default(0),
})

export const countEventsInput = z
  .object({
    projectId,
    filter,
    /** Adds a zero-filled series of this bucket size over the range. */
    interval: z.enum(Object.keys(INTERVALS) as [Interval, ...Interval[]]).optional(),
    /** IANA zone: day buckets start at local midnight (`interval: '1d'` only). */
    timeZone: timeZoneSchema.optional(),
    /** Adds counts per value of this tag. */
    groupByTag: safeText().min(1).max(EVENT_NAME_MAX).optional(),
  })
  .superRefine((input, ctx) => {
    if (input.timeZone !== undefined && input.interval !== undefined && input.interval !== '1d') {
      ctx.addIssue({
        code: 'custom',
        path: ['interval'],
        message: 'tz with 1d only',
        params: { rule: 'invalid', message: 'The tz parameter applies to interval=1d only.' },
      })
    }
  })

/** The number a numeric aggregation reads: the event's `value`, or a numeric property. */
export const eventFieldSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('value') }),
  z.object({ kind: z.literal('property'), key: safeText().min(1).max(EVENT_NAME_MAX) }),
])

export const eventStatsInput = z.object({
  projectId,
  filter,
  field: eventFieldSchema.default({ kind: 'value' }),
})
