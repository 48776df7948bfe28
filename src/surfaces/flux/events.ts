import { trackEvent, trackEventsEach } from '../../events'
import { isPlainObject } from '../../schemas/text'
import { defineRoute } from '../define'
import { batchItems, fromWire } from '../wire'
import { fluxItemError } from './errors'
import { EVENT_FIELDS } from './fields'
import { fluxTracked } from './format'

/** `POST /api/v1/events` (reference 001, "Track Event"). */
export const track = defineRoute({
  method: 'POST',
  path: '/api/v1/events',
  operation: trackEvent,
  rateLimit: 'event',
  body: (body) => fromWire(body, EVENT_FIELDS),
  status: 201,
  reply: ({ id, event }) => ({ data: fluxTracked({ id, ...stored(event) }) }),
})

/**
 * `POST /api/v1/events/batch` (reference 001, "Batch Track"): per-item acceptance. Valid items
 * are stored together; invalid ones are listed with their index, code and message. 201 when any
 * item (or none at all) was accepted, 422 when every item was rejected.
 */
export const batchTrack = defineRoute({
  method: 'POST',
  path: '/api/v1/events/batch',
  operation: trackEventsEach,
  rateLimit: 'batch',
  body: (body, { batchSize }) => ({
    events: batchItems(body, { min: 0, max: batchSize }).map((item) =>
      isPlainObject(item) ? fromWire(item, EVENT_FIELDS) : item,
    ),
  }),
  status: ({ accepted, rejected }) => (accepted.length > 0 || rejected.length === 0 ? 201 : 422),
  reply: ({ accepted, rejected }) => ({
    data: {
      accepted: accepted.length,
      rejected: rejected.length,
      events: accepted.map(({ index, id, event }) => ({ index, ...fluxTracked({ id, ...stored(event) }) })),
      errors: rejected.map(({ index, issues }) => ({ index, ...fluxItemError(issues) })),
    },
  }),
})

const stored = (event: { name: string; timestamp: number; userId?: string; value?: number }) => ({
  name: event.name,
  timestamp: event.timestamp,
  userId: event.userId ?? null,
  value: event.value ?? null,
})
