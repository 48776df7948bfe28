import { z } from 'zod'
import type { CoreContext } from '../core/context'
import { type IssuePath, TelltaleError, type ValidationIssue, validationError } from '../core/errors'
import { isUuid, uuidv7 } from '../core/ids'
import { toValidationIssues } from '../core/issues'
import { defineOperation } from '../core/operation'
import { eventInputSchema, type PresentEvent, type ValidEvent } from '../schemas/event'
import { isPlainObject } from '../schemas/text'
import type { EventInsertResult, NewEvent, StoredEvent } from '../storage'

/** A stored event as its track call wrote it: `null` fields dropped, the defaults (`timestamp`) filled in. */
export type TrackedEvent = PresentEvent & { timestamp: number }

/** Validates and stores one event. A repeated client `id` returns the first event's id. */
export const trackEvent = defineOperation({
  input: eventInputSchema.extend({ projectId: z.string() }),
  scope: 'write',
  async run(ctx, { projectId, ...event }): Promise<{ id: string; created: boolean; event: TrackedEvent }> {
    const issues = futureIssues(ctx, event, [])
    if (issues.length > 0) throw validationError(issues)
    const tracked = withDefaults(ctx, event)
    const { ids, created } = await storeEvents(ctx, projectId, [tracked])
    return { id: ids[0], created: created === 1, event: tracked }
  },
})

/** Stores every event, or none when any is invalid (the errors name each item: `events.3.name`). */
export const trackEvents = defineOperation({
  input: z.object({ projectId: z.string(), events: z.array(eventInputSchema) }),
  scope: 'write',
  async run(ctx, { projectId, events }): Promise<EventInsertResult> {
    const issues = events.flatMap((event, index) => futureIssues(ctx, event, ['events', index]))
    if (issues.length > 0) throw validationError(issues)
    return storeEvents(
      ctx,
      projectId,
      events.map((event) => withDefaults(ctx, event)),
    )
  },
})

/**
 * Per-item acceptance (Flux batches): the valid events are stored together, atomically; each
 * invalid one is reported with its index and issues (paths relative to the item).
 */
export const trackEventsEach = defineOperation({
  input: z.object({ projectId: z.string(), events: z.array(z.unknown()) }),
  scope: 'write',
  async run(ctx, { projectId, events }) {
    const valid: Array<{ index: number; event: TrackedEvent }> = []
    const rejected: Array<{ index: number; issues: ValidationIssue[] }> = []
    for (const [index, item] of events.entries()) {
      if (!isPlainObject(item)) {
        rejected.push({ index, issues: [{ rule: 'invalid', message: 'Each event must be a JSON object.', path: [] }] })
        continue
      }
      const parsed = eventInputSchema.safeParse(item)
      const issues = parsed.success ? futureIssues(ctx, parsed.data, []) : toValidationIssues(parsed.error.issues, item)
      if (parsed.success && issues.length === 0) valid.push({ index, event: withDefaults(ctx, parsed.data) })
      else rejected.push({ index, issues })
    }
    const { ids } = await storeEvents(
      ctx,
      projectId,
      valid.map((v) => v.event),
    )
    return { accepted: valid.map((v, i) => ({ index: v.index, id: ids[i], event: v.event })), rejected }
  },
})

export const getEvent = defineOperation({
  input: z.object({ projectId: z.string(), id: z.string() }),
  scope: 'read',
  async run(ctx, input): Promise<StoredEvent> {
    const event = isUuid(input.id) ? await ctx.storage.events.get(input) : undefined
    if (!event) throw new TelltaleError('not_found', 'Event not found.')
    return event
  },
})

/** Timestamps more than `limits.futureToleranceMs` ahead of the clock are refused (clock skew). */
function futureIssues(ctx: CoreContext, event: ValidEvent, path: IssuePath): ValidationIssue[] {
  const tolerance = ctx.limits.futureToleranceMs
  if (event.timestamp == null || event.timestamp <= ctx.clock.now() + tolerance) return []
  return [{ rule: 'not_future', toleranceMs: tolerance, path: [...path, 'timestamp'] }]
}

/**
 * Drops `null` fields (absent) and fixes the default timestamp before storing, so a reply shows
 * exactly what was stored. Only the fields present are set, as a spread would.
 */
function withDefaults(ctx: CoreContext, event: ValidEvent): TrackedEvent {
  const tracked = { name: event.name, timestamp: event.timestamp ?? ctx.clock.now() } as TrackedEvent
  for (const field of OPTIONAL_FIELDS)
    if (event[field] != null) (tracked as Record<string, unknown>)[field] = event[field]
  return tracked
}

const OPTIONAL_FIELDS = [
  'id',
  'userId',
  'userEmail',
  'userName',
  'value',
  'properties',
  'tags',
] as const satisfies ReadonlyArray<keyof ValidEvent>
// A field added to the event schema must be added above, or this line stops compiling.
const everyField: Exclude<keyof ValidEvent, (typeof OPTIONAL_FIELDS)[number] | 'name' | 'timestamp'> extends never
  ? true
  : never = true
void everyField

/**
 * One atomic write. Repeated client ids return their first id. Then every domain's
 * `onEventsStored` hook (metrics drops its cached values and marks late days for its history job).
 */
async function storeEvents(ctx: CoreContext, projectId: string, events: TrackedEvent[]): Promise<EventInsertResult> {
  const now = ctx.clock.now()
  const rows = events.map((event) => toNewEvent(event, now))
  const result = await ctx.storage.events.insert({ projectId, events: rows })
  for (const hook of ctx.hooks.onEventsStored) {
    const pending = hook(ctx, projectId, rows)
    if (pending) await pending
  }
  return result
}

function toNewEvent(event: TrackedEvent, now: number): NewEvent {
  return {
    id: uuidv7(now),
    name: event.name,
    timestamp: event.timestamp,
    receivedAt: now,
    userId: event.userId ?? null,
    userEmail: event.userEmail ?? null,
    userName: event.userName ?? null,
    value: event.value ?? null,
    properties: event.properties ?? null,
    tags: event.tags ?? null,
    clientId: event.id ?? null,
  }
}
