import type { Storage } from '../storage'
import type { Clock } from './clock'
import type { RateLimitRule } from './rate-limit'

/** Request size and batch limits. Every field has a default; hosts override what they need. */
export interface Limits {
  /** Largest request body accepted, in bytes (413 above it). Default 1 MiB. */
  maxBodyBytes: number
  /** Items per batch request, per surface (the reference documents' numbers by default). */
  batchSize: { statusBlocks: number; flux: number }
  /** How far in the future an event timestamp may be (clock skew). Default 1 hour. */
  futureToleranceMs: number
  /**
   * Per-credential request limits, counted in the store (so they hold across instances).
   * `false` turns one off. Defaults: the Flux document's numbers.
   */
  rateLimits: {
    /** Flux `POST /api/v1/events`. Default 6000 per minute. */
    fluxEvent: RateLimitRule | false
    /** Flux `POST /api/v1/events/batch`. Default 10 per minute. */
    fluxBatch: RateLimitRule | false
    /** Flux `GET /api/v1/events...` (list, count, stats together). Default 60 per minute. */
    fluxQuery: RateLimitRule | false
  }
}

export const DEFAULT_LIMITS: Limits = {
  maxBodyBytes: 1024 * 1024,
  batchSize: { statusBlocks: 100, flux: 500 },
  futureToleranceMs: 60 * 60 * 1000,
  rateLimits: {
    fluxEvent: { limit: 6000, windowMs: 60_000 },
    fluxBatch: { limit: 10, windowMs: 60_000 },
    fluxQuery: { limit: 60, windowMs: 60_000 },
  },
}

export type LimitsOption = Partial<Omit<Limits, 'batchSize' | 'rateLimits'>> & {
  batchSize?: Partial<Limits['batchSize']>
  rateLimits?: Partial<Limits['rateLimits']>
}

export function resolveLimits(option: LimitsOption = {}): Limits {
  return {
    ...DEFAULT_LIMITS,
    ...option,
    batchSize: { ...DEFAULT_LIMITS.batchSize, ...option.batchSize },
    rateLimits: { ...DEFAULT_LIMITS.rateLimits, ...option.rateLimits },
  }
}

/** What every core operation receives: the store, the time, the limits. */
export interface CoreContext {
  storage: Storage
  clock: Clock
  limits: Limits
}
