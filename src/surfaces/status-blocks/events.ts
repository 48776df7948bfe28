import { trackEvent, trackEvents } from '../../events'
import { isPlainObject } from '../../schemas/text'
import { defineRoute } from '../define'
import { batchItems, fromWire } from '../wire'
import { EVENT_FIELDS } from './fields'

/** `POST /api/events` (reference 000, "Send Event"). */
export const sendEvent = defineRoute({
  method: 'POST',
  path: '/api/events',
  operation: trackEvent,
  rateLimit: 'event',
  body: (body) => fromStatusBlocks(body),
  status: 201,
  reply: ({ id }) => ({ success: true, event_id: id }),
})

/** `POST /api/events/batch` (reference 000, "Batch Events"): all-or-nothing; errors name the item (`events.3.event`). */
export const batchEvents = defineRoute({
  method: 'POST',
  path: '/api/events/batch',
  operation: trackEvents,
  rateLimit: 'batch',
  body: (body, { batchSize }) => ({
    events: batchItems(body, { min: 1, max: batchSize }).map((item) =>
      isPlainObject(item) ? fromStatusBlocks(item) : item,
    ),
  }),
  status: 201,
  reply: ({ ids }) => ({ success: true, created_count: ids.length, event_ids: ids }),
})

/**
 * Laravel semantics: a `null` field is a missing one (`"event": null` fails `required`, and the
 * optional fields are `nullable`), so nulls are dropped before renaming.
 */
function fromStatusBlocks(item: Record<string, unknown>): Record<string, unknown> {
  const event = fromWire(item, EVENT_FIELDS)
  for (const key of Object.keys(event)) if (event[key] === null) delete event[key]
  return event
}
