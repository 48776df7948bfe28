import { defineSurface } from '../define'
import { fluxErrors } from './errors'
import { batchTrack, track } from './events'
import { count, list, stats } from './queries'

/** Flux (reference 001): the events API with queries. Rate limits as documented ("Rate Limits"). */
export const flux = defineSurface({
  id: 'flux',
  prefixes: ['/api/v1'],
  errors: fluxErrors,
  rateLimits: {
    event: { limit: 6000, windowMs: 60_000 },
    batch: { limit: 10, windowMs: 60_000 },
    query: { limit: 60, windowMs: 60_000 },
  },
  batchSize: 500,
  routes: [track, batchTrack, list, count, stats],
})
