// The context operations get, for code that calls operations without createTelltale (the query
// and metrics benches): the store and clock given, default limits, no hooks, no options.
import { type Clock, systemClock } from '../../src/core/clock'
import type { CoreContext } from '../../src/core/context'
import { resolveLimits } from '../../src/limits'
import type { Storage } from '../../src/storage'

export const bareContext = (storage: Storage, clock: Clock = systemClock): CoreContext => ({
  storage,
  clock,
  limits: resolveLimits(),
  hooks: { onEventsStored: [] },
  network: {},
  secret: undefined,
  location: { id: 'default', name: 'default' },
})
