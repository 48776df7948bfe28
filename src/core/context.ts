import type { Storage } from '../storage'
import type { Clock } from './clock'
import type { DomainHooks } from './domain'
import type { RateLimitRule } from './rate-limit'

/** What every operation and job receives: the store, the time, the limits, the domains' hooks. */
export interface CoreContext {
  storage: Storage
  clock: Clock
  limits: Limits
  hooks: DomainHooks
}

/**
 * Request size, batch and rate limits, resolved: every field has a value. Hosts set them through
 * `limits` (`src/limits.ts`, typed by the surfaces' own declarations).
 */
export interface Limits {
  /** Largest request body accepted, in bytes (413 above it). Default 1 MiB. */
  maxBodyBytes: number
  /** Items per batch request, by surface id (each surface's own `batchSize` by default). */
  batchSize: Record<string, number>
  /** How far in the future an event timestamp may be (clock skew). Default 1 hour. */
  futureToleranceMs: number
  /**
   * Per-credential request limits by surface and rule, counted in the store (so they hold across
   * instances). `false` turns one off. Defaults live with each surface (`src/surfaces/<id>/index.ts`).
   */
  rateLimits: Record<string, Record<string, RateLimitRule | false>>
}
