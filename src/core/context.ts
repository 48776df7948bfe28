import type { Storage } from '../storage'
import type { Clock } from './clock'

/** Request size and batch limits. Every field has a default; hosts override what they need. */
export interface Limits {
  /** Largest request body accepted, in bytes (413 above it). Default 1 MiB. */
  maxBodyBytes: number
  /** Items per batch request, per surface (the reference documents' numbers by default). */
  batchSize: { statusBlocks: number; flux: number }
  /** How far in the future an event timestamp may be (clock skew). Default 1 hour. */
  futureToleranceMs: number
}

export const DEFAULT_LIMITS: Limits = {
  maxBodyBytes: 1024 * 1024,
  batchSize: { statusBlocks: 100, flux: 500 },
  futureToleranceMs: 60 * 60 * 1000,
}

export type LimitsOption = Partial<Omit<Limits, 'batchSize'>> & { batchSize?: Partial<Limits['batchSize']> }

export function resolveLimits(option: LimitsOption = {}): Limits {
  return {
    ...DEFAULT_LIMITS,
    ...option,
    batchSize: { ...DEFAULT_LIMITS.batchSize, ...option.batchSize },
  }
}

/** What every core operation receives: the store, the time, the limits. */
export interface CoreContext {
  storage: Storage
  clock: Clock
  limits: Limits
}
