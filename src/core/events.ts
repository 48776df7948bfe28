import type { EventInsertResult, NewEvent, StoredEvent } from '../storage'
import { eventInputSchema, type EventInput, type ValidEvent } from '../schemas/event'
import { toValidationIssues } from '../schemas/issues'
import type { CoreContext } from './context'
import { type IssuePath, TelltaleError, type ValidationIssue, validationError } from './errors'
import { isUuid, uuidv7 } from './ids'

export type EventValidation = { ok: true; event: ValidEvent } | { ok: false; issues: ValidationIssue[] }

/**
 * Validates one event in core field names. `path` prefixes issue paths so batch errors name their
 * item (`['events', 3]`). Timestamps more than `limits.futureToleranceMs` ahead are rejected.
 */
export function validateEvent(ctx: CoreContext, input: unknown, path: IssuePath = []): EventValidation {
  const parsed = eventInputSchema.safeParse(input)
  if (!parsed.success) return { ok: false, issues: toValidationIssues(parsed.error.issues, input, path) }
  const { timestamp } = parsed.data
  const tolerance = ctx.limits.futureToleranceMs
  if (timestamp !== undefined && timestamp > ctx.clock.now() + tolerance) {
    return { ok: false, issues: [{ rule: 'not_future', toleranceMs: tolerance, path: [...path, 'timestamp'] }] }
  }
  return { ok: true, event: parsed.data }
}

/** Stores already-validated events in one atomic write. Repeated client ids return their first id. */
export function storeEvents(ctx: CoreContext, input: { projectId: string; events: ValidEvent[] }): Promise<EventInsertResult> {
  const now = ctx.clock.now()
  return ctx.storage.events.insert({ projectId: input.projectId, events: input.events.map((event) => toNewEvent(event, now)) })
}

/** Validates and stores one event. */
export async function trackEvent(ctx: CoreContext, input: EventInput & { projectId: string }): Promise<{ id: string; created: boolean }> {
  const { projectId, ...event } = input
  const result = validateEvent(ctx, event)
  if (!result.ok) throw validationError(result.issues)
  const { ids, created } = await storeEvents(ctx, { projectId, events: [result.event] })
  return { id: ids[0], created: created === 1 }
}

/** Validates every event first; stores all of them, or none when any is invalid. */
export async function trackEvents(ctx: CoreContext, input: { projectId: string; events: EventInput[] }): Promise<EventInsertResult> {
  const valid: ValidEvent[] = []
  const issues: ValidationIssue[] = []
  input.events.forEach((event, index) => {
    const result = validateEvent(ctx, event, ['events', index])
    if (result.ok) valid.push(result.event)
    else issues.push(...result.issues)
  })
  if (issues.length > 0) throw validationError(issues)
  return storeEvents(ctx, { projectId: input.projectId, events: valid })
}

export async function getEvent(ctx: CoreContext, input: { projectId: string; id: string }): Promise<StoredEvent> {
  const event = isUuid(input.id) && isUuid(input.projectId) ? await ctx.storage.events.get(input) : undefined
  if (!event) throw new TelltaleError('not_found', 'Event not found.')
  return event
}

function toNewEvent(event: ValidEvent, now: number): NewEvent {
  return {
    id: uuidv7(now),
    name: event.name,
    timestamp: event.timestamp ?? now,
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
