import type { Limits } from '../limits'
import type { Storage } from '../storage'
import type { Clock } from './clock'

/** What every core operation receives: the store, the time, the limits. */
export interface CoreContext {
  storage: Storage
  clock: Clock
  limits: Limits
}
