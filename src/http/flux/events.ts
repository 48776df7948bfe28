import type { CoreContext } from '../../core/context'
import { validationError, type ValidationIssue } from '../../core/errors'
import { storeEvents, validateEvent } from '../../core/events'
import type { ValidEvent } from '../../schemas/event'
import { type AuthResolver, authenticate, requireScope } from '../auth'
import { readJsonObject } from '../body'
import { fluxIssueBody } from '../errors'
import type { Router } from '../router'
import { EVENT_FIELDS } from '../surfaces'
import { batchItems, fromWire, isPlainObject } from '../wire'
import { fluxTracked } from './format'
import { applyFluxRateLimit } from './limits'

const FIELDS = EVENT_FIELDS.flux

/** `POST /api/v1/events` and `POST /api/v1/events/batch` (reference 001, "Track Event", "Batch Track"). */
export function fluxTrackRoutes(router: Router, ctx: CoreContext, resolver?: AuthResolver): void {
  router.on('POST', '/api/v1/events', async (event) => {
    const auth = await authenticate(ctx, event.req, resolver)
    requireScope(auth, 'write')
    await applyFluxRateLimit(ctx, event, auth, 'fluxEvent')
    const body = await readJsonObject(event.req, ctx.limits.maxBodyBytes)
    const result = validateEvent(ctx, fromWire(body, FIELDS))
    if (!result.ok) throw validationError(result.issues)
    const tracked = withTimestamp(result.event, ctx.clock.now())
    const { ids } = await storeEvents(ctx, { projectId: auth.projectId, events: [tracked] })
    event.res.status = 201
    return { data: reply(ids[0], tracked) }
  })

  // Per-item acceptance: valid items are stored (atomically, together), invalid ones are counted
  // as rejected and listed with their index, code and message.
  router.on('POST', '/api/v1/events/batch', async (event) => {
    const auth = await authenticate(ctx, event.req, resolver)
    requireScope(auth, 'write')
    await applyFluxRateLimit(ctx, event, auth, 'fluxBatch')
    const body = await readJsonObject(event.req, ctx.limits.maxBodyBytes)
    const items = batchItems(body, { min: 0, max: ctx.limits.batchSize.flux })

    const now = ctx.clock.now()
    const accepted: Array<{ index: number; event: Timed }> = []
    const errors: Array<{ index: number; code: string; message: string }> = []
    items.forEach((item, index) => {
      const result = isPlainObject(item) ? validateEvent(ctx, fromWire(item, FIELDS)) : { ok: false as const, issues: [{ rule: 'invalid', message: 'Each event must be a JSON object.', path: [] } as ValidationIssue] }
      if (result.ok) accepted.push({ index, event: withTimestamp(result.event, now) })
      else errors.push({ index, ...fluxIssueBody(result.issues) })
    })
    const { ids } = accepted.length ? await storeEvents(ctx, { projectId: auth.projectId, events: accepted.map((a) => a.event) }) : { ids: [] }
    event.res.status = accepted.length > 0 || items.length === 0 ? 201 : 422
    return {
      data: {
        accepted: accepted.length,
        rejected: errors.length,
        events: accepted.map((a, i) => ({ index: a.index, ...reply(ids[i], a.event) })),
        errors,
      },
    }
  })
}

type Timed = ValidEvent & { timestamp: number }

const reply = (id: string, event: Timed) => fluxTracked({ id, name: event.name, timestamp: event.timestamp, userId: event.userId ?? null, value: event.value ?? null })

/** Fixes the default timestamp before storing, so the reply shows exactly what was stored. */
function withTimestamp(event: ValidEvent, now: number): Timed {
  return { ...event, timestamp: event.timestamp ?? now }
}
