import { configError } from './core/errors'
import type { RateLimitRule } from './core/rate-limit'

/** Request size, batch and rate limits. Every field has a default; hosts override what they need. */
export interface Limits {
  /** Largest request body accepted, in bytes (413 above it). Default 1 MiB. */
  maxBodyBytes: number
  /** Items per batch request, per surface (the reference documents' numbers by default). */
  batchSize: { statusBlocks: number; flux: number }
  /** How far in the future an event timestamp may be (clock skew). Default 1 hour. */
  futureToleranceMs: number
  /**
   * Per-credential request limits by surface and rule, counted in the store (so they hold across
   * instances). `false` turns one off. Defaults live with each surface (`src/surfaces/<id>/index.ts`).
   */
  rateLimits: RateLimits
}

export type RateLimits = Record<string, Record<string, RateLimitRule | false>> & {
  /** `event`: `POST /api/events` (6000/min); `batch`: `POST /api/events/batch` (60/min). */
  statusBlocks?: { event?: RateLimitRule | false; batch?: RateLimitRule | false }
  /** `event` (6000/min), `batch` (10/min), `query`: list, count and stats together (60/min). */
  flux?: { event?: RateLimitRule | false; batch?: RateLimitRule | false; query?: RateLimitRule | false }
  /** `/api/metrics/...`: `read` (600/min), `write` (definitions and templates, 120/min), `recalculate` (10/min). */
  statusBlocksMetrics?: { read?: RateLimitRule | false; write?: RateLimitRule | false; recalculate?: RateLimitRule | false }
}

export type LimitsOption = Partial<Omit<Limits, 'batchSize'>> & { batchSize?: Partial<Limits['batchSize']> }

const DEFAULTS = { maxBodyBytes: 1024 * 1024, batchSize: { statusBlocks: 100, flux: 500 }, futureToleranceMs: 60 * 60 * 1000 }

/** The option merged over the defaults; `surfaceRateLimits` are each surface's own defaults, by surface id. */
export function resolveLimits(option: LimitsOption = {}, surfaceRateLimits: RateLimits = {}): Limits {
  const rateLimits: RateLimits = {}
  for (const id of Object.keys(surfaceRateLimits)) rateLimits[id] = { ...surfaceRateLimits[id] }
  // A misspelt limit would silently keep the default: say which names exist instead.
  for (const [id, rules] of Object.entries(option.rateLimits ?? {})) {
    const known = surfaceRateLimits[id]
    if (!known)
      throw configError(`limits.rateLimits.${id} is not a surface; use one of ${Object.keys(surfaceRateLimits).join(', ')}, e.g. { rateLimits: { flux: { event: false } } }`)
    for (const [rule, value] of Object.entries(rules ?? {})) {
      if (!(rule in known)) throw configError(`limits.rateLimits.${id}.${rule} is not a rate limit of ${id}; use one of ${Object.keys(known).join(', ')}`)
      const valid = value === false || (Number.isSafeInteger(value?.limit) && value.limit > 0 && Number.isSafeInteger(value?.windowMs) && value.windowMs > 0)
      if (!valid) throw configError(`limits.rateLimits.${id}.${rule} must be false or { limit, windowMs } with positive whole numbers`)
      rateLimits[id][rule] = value
    }
  }
  const whole = (name: string, value: unknown, min: number) => {
    if (value !== undefined && !(Number.isSafeInteger(value) && (value as number) >= min))
      throw configError(`limits.${name} must be a whole number >= ${min} (got ${JSON.stringify(value)})`)
  }
  whole('maxBodyBytes', option.maxBodyBytes, 1)
  whole('futureToleranceMs', option.futureToleranceMs, 0)
  for (const [surface, size] of Object.entries(option.batchSize ?? {})) {
    if (!(surface in DEFAULTS.batchSize)) throw configError(`limits.batchSize.${surface} is not a surface with batches; use ${Object.keys(DEFAULTS.batchSize).join(' or ')}`)
    whole(`batchSize.${surface}`, size, 1)
  }
  return {
    maxBodyBytes: option.maxBodyBytes ?? DEFAULTS.maxBodyBytes,
    futureToleranceMs: option.futureToleranceMs ?? DEFAULTS.futureToleranceMs,
    batchSize: { ...DEFAULTS.batchSize, ...option.batchSize },
    rateLimits,
  }
}
