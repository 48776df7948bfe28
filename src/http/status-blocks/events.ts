import type { CoreContext } from '../../core/context'
import { trackEvent, trackEvents } from '../../core/events'
import type { EventInput } from '../../schemas/event'
import { type AuthResolver, authenticate, requireScope } from '../auth'
import { readJsonObject } from '../body'
import type { Router } from '../router'
import { EVENT_FIELDS } from '../surfaces'
import { batchItems, fromWire, isPlainObject } from '../wire'

const FIELDS = EVENT_FIELDS['status-blocks']

/** `POST /api/events` and `POST /api/events/batch` (reference 000, "Send Event", "Batch Events"). */
export function statusBlocksEventRoutes(router: Router, ctx: CoreContext, resolver?: AuthResolver): void {
  router.on('POST', '/api/events', async (event) => {
    const auth = await authenticate(ctx, event.req, resolver)
    requireScope(auth, 'write')
    const body = await readJsonObject(event.req, ctx.limits.maxBodyBytes)
    const { id } = await trackEvent(ctx, { ...(fromStatusBlocks(body) as EventInput), projectId: auth.projectId })
    event.res.status = 201
    return { success: true, event_id: id }
  })

  router.on('POST', '/api/events/batch', async (event) => {
    const auth = await authenticate(ctx, event.req, resolver)
    requireScope(auth, 'write')
    const body = await readJsonObject(event.req, ctx.limits.maxBodyBytes)
    // All-or-nothing: any invalid item rejects the whole batch, naming it (`events.3.event`).
    const items = batchItems(body, { min: 1, max: ctx.limits.batchSize.statusBlocks })
    const { ids } = await trackEvents(ctx, { projectId: auth.projectId, events: items.map((item) => (isPlainObject(item) ? fromStatusBlocks(item) : item) as EventInput) })
    event.res.status = 201
    return { success: true, created_count: ids.length, event_ids: ids }
  })
}

/**
 * Laravel semantics: a `null` field is a missing one (`"event": null` fails `required`, and the
 * optional fields are `nullable`), so nulls are dropped before renaming.
 */
function fromStatusBlocks(item: Record<string, unknown>): Record<string, unknown> {
  return fromWire(Object.fromEntries(Object.entries(item).filter(([, value]) => value !== null)), FIELDS)
}
