import type { CoreContext } from '../../core/context'
import { validationError, type ValidationIssue } from '../../core/errors'
import { storeEvents, validateEvent } from '../../core/events'
import type { ValidEvent } from '../../schemas/event'
import { type AuthResolver, authenticate, requireScope } from '../auth'
import { readJsonObject } from '../body'
import type { Router } from '../router'
import { fromWire, isPlainObject } from '../wire'

/** Status Blocks wire name → core name. `id` and `timestamp` are telltale additions. */
const FIELDS = {
  event: 'name',
  user_id: 'userId',
  user_email: 'userEmail',
  user_name: 'userName',
  value: 'value',
  metadata: 'properties',
  timestamp: 'timestamp',
  id: 'id',
}

/** `POST /api/events` and `POST /api/events/batch` (reference 000, "Send Event", "Batch Events"). */
export function statusBlocksEventRoutes(router: Router, ctx: CoreContext, resolver?: AuthResolver): void {
  router.on('POST', '/api/events', async (event) => {
    const auth = await authenticate(ctx, event.req, resolver)
    requireScope(auth, 'write')
    const body = await readJsonObject(event.req, ctx.limits.maxBodyBytes)
    const result = validateEvent(ctx, fromStatusBlocks(body))
    if (!result.ok) throw validationError(result.issues)
    const { ids } = await storeEvents(ctx, { projectId: auth.projectId, events: [result.event] })
    event.res.status = 201
    return { success: true, event_id: ids[0] }
  })

  router.on('POST', '/api/events/batch', async (event) => {
    const auth = await authenticate(ctx, event.req, resolver)
    requireScope(auth, 'write')
    const body = await readJsonObject(event.req, ctx.limits.maxBodyBytes)
    const events = validateBatch(ctx, body.events)
    const { ids } = await storeEvents(ctx, { projectId: auth.projectId, events })
    event.res.status = 201
    return { success: true, created_count: ids.length, event_ids: ids }
  })
}

/** All-or-nothing: any invalid item rejects the whole batch, naming the item (`events.3.event`). */
function validateBatch(ctx: CoreContext, items: unknown): ValidEvent[] {
  const max = ctx.limits.batchSize.statusBlocks
  if (items === undefined || items === null) throw validationError([{ rule: 'required', path: ['events'] }])
  if (!Array.isArray(items)) throw validationError([{ rule: 'array', path: ['events'] }])
  if (items.length < 1) throw validationError([{ rule: 'min_items', min: 1, path: ['events'] }])
  if (items.length > max) throw validationError([{ rule: 'max_items', max, path: ['events'] }])
  const valid: ValidEvent[] = []
  const issues: ValidationIssue[] = []
  items.forEach((item, index) => {
    if (!isPlainObject(item)) return void issues.push({ rule: 'object', path: ['events', index] })
    const result = validateEvent(ctx, fromStatusBlocks(item), ['events', index])
    if (result.ok) valid.push(result.event)
    else issues.push(...result.issues)
  })
  if (issues.length > 0) throw validationError(issues)
  return valid
}

/**
 * Laravel semantics: a `null` field is a missing one (`"event": null` fails `required`, and the
 * optional fields are `nullable`), so nulls are dropped before renaming.
 */
function fromStatusBlocks(item: Record<string, unknown>): Record<string, unknown> {
  return fromWire(Object.fromEntries(Object.entries(item).filter(([, value]) => value !== null)), FIELDS)
}
