import type { Limits } from './core/context'
import { configError } from './core/errors'
import type { BatchSizes, RateLimits, Surface } from './surfaces'

/** What a host may set; the rest keeps its default. Surfaces and rules are typed from the surfaces themselves. */
export interface LimitsOption {
  maxBodyBytes?: number
  batchSize?: BatchSizes
  futureToleranceMs?: number
  /** How long a user token (StatusCore login) is valid. Default 7 days. */
  tokenTtlMs?: number
  rateLimits?: RateLimits
}

export type { BatchSizes, Limits, RateLimits }

const DEFAULTS = { maxBodyBytes: 1024 * 1024, futureToleranceMs: 60 * 60 * 1000, tokenTtlMs: 7 * 24 * 60 * 60 * 1000 }

/** The option merged over the defaults, which are the surfaces' own (`rateLimits`, `batchSize`). */
export function resolveLimits(
  option: LimitsOption = {},
  surfaces: ReadonlyArray<Pick<Surface, 'id' | 'rateLimits' | 'batchSize'>> = [],
): Limits {
  const rateLimits: Limits['rateLimits'] = {}
  const batchSize: Limits['batchSize'] = {}
  for (const surface of surfaces) {
    rateLimits[surface.id] = { ...surface.rateLimits }
    if (surface.batchSize !== undefined) batchSize[surface.id] = surface.batchSize
  }
  const ids = surfaces.map((s) => s.id).join(', ')
  // A misspelt limit would silently keep the default: say which names exist instead.
  for (const [id, rules] of Object.entries(option.rateLimits ?? {})) {
    const known = rateLimits[id]
    if (!known)
      throw configError(
        `limits.rateLimits.${id} is not a surface; use one of ${ids}, e.g. { rateLimits: { flux: { event: false } } }`,
      )
    for (const [rule, value] of Object.entries(rules ?? {})) {
      if (!(rule in known))
        throw configError(
          `limits.rateLimits.${id}.${rule} is not a rate limit of ${id}; use one of ${Object.keys(known).join(', ')}`,
        )
      const valid =
        value === false ||
        (Number.isSafeInteger(value?.limit) &&
          value.limit > 0 &&
          Number.isSafeInteger(value?.windowMs) &&
          value.windowMs > 0)
      if (!valid)
        throw configError(
          `limits.rateLimits.${id}.${rule} must be false or { limit, windowMs } with positive whole numbers`,
        )
      known[rule] = value
    }
  }
  const whole = (name: string, value: unknown, min: number) => {
    if (value !== undefined && !(Number.isSafeInteger(value) && (value as number) >= min))
      throw configError(`limits.${name} must be a whole number >= ${min} (got ${JSON.stringify(value)})`)
  }
  whole('maxBodyBytes', option.maxBodyBytes, 1)
  whole('futureToleranceMs', option.futureToleranceMs, 0)
  whole('tokenTtlMs', option.tokenTtlMs, 1000)
  for (const [surface, size] of Object.entries(option.batchSize ?? {})) {
    if (!(surface in batchSize))
      throw configError(
        `limits.batchSize.${surface} is not a surface with batches; use ${Object.keys(batchSize).join(' or ')}`,
      )
    whole(`batchSize.${surface}`, size, 1)
    batchSize[surface] = size as number
  }
  return {
    maxBodyBytes: option.maxBodyBytes ?? DEFAULTS.maxBodyBytes,
    futureToleranceMs: option.futureToleranceMs ?? DEFAULTS.futureToleranceMs,
    tokenTtlMs: option.tokenTtlMs ?? DEFAULTS.tokenTtlMs,
    batchSize,
    rateLimits,
  }
}
