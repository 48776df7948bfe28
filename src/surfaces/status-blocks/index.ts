import { defineSurface } from '../define'
import { laravelErrors } from '../errors'
import { batchEvents, sendEvent } from './events'
import { WIRE_NAMES } from './fields'

/**
 * Status Blocks (reference 000): product events. Errors in Laravel's shape. The document states
 * no rate limit; these defaults match Flux's single-event budget (6000 events a minute either way).
 */
export const statusBlocks = defineSurface({
  id: 'statusBlocks',
  prefixes: ['/api/events'],
  errors: laravelErrors(WIRE_NAMES),
  rateLimits: {
    event: { limit: 6000, windowMs: 60_000 },
    batch: { limit: 60, windowMs: 60_000 },
  },
  batchSize: 100,
  routes: [sendEvent, batchEvents],
})
