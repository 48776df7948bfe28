import { defineDomain } from '../core/domain'
import { countEvents, eventStats, listEvents } from './queries'
import { getEvent, trackEvent, trackEvents, trackEventsEach } from './track'

/**
 * Events: ingest and queries. After each write it calls every domain's `onEventsStored` hook
 * (from `ctx.hooks`), so it imports none of the domains that react to events.
 */
export const events = defineDomain({
  id: 'events',
  operations: { trackEvent, trackEvents, trackEventsEach, getEvent, listEvents, countEvents, eventStats },
})

export { type CountResult, countEvents, eventStats, listEvents, MAX_BUCKETS } from './queries'
export { getEvent, type TrackedEvent, trackEvent, trackEvents, trackEventsEach } from './track'
