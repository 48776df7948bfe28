import type { CoreContext } from './context'
import { TelltaleError } from './errors'

/** At most `limit` requests per `windowMs`, per credential. */
export interface RateLimitRule {
  limit: number
  windowMs: number
}

export interface RateLimitState {
  limit: number
  remaining: number
  /** Seconds until the window resets. */
  resetSeconds: number
}

/**
 * Counts one request against `bucket` in the store, so the limit holds across every instance
 * sharing it. Over the limit: a 429 error carrying `Retry-After` and `RateLimit-*` headers.
 */
export async function consumeRateLimit(ctx: CoreContext, input: { projectId: string; bucket: string; rule: RateLimitRule }): Promise<RateLimitState> {
  const { rule } = input
  const now = ctx.clock.now()
  const hit = await ctx.storage.rateLimits.hit({ projectId: input.projectId, bucket: input.bucket, windowMs: rule.windowMs, now })
  const state = { limit: rule.limit, remaining: Math.max(0, rule.limit - hit.count), resetSeconds: Math.max(1, Math.ceil((hit.resetAt - now) / 1000)) }
  if (hit.count > rule.limit) {
    throw new TelltaleError('rate_limited', `Rate limit exceeded: ${rule.limit} requests per ${rule.windowMs / 1000} seconds. Retry in ${state.resetSeconds} seconds.`, {
      headers: { 'Retry-After': String(state.resetSeconds), ...rateLimitHeaders(state) },
    })
  }
  return state
}

/** IETF draft `RateLimit-*` fields, sent on every rate-limited response. */
export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return { 'RateLimit-Limit': String(state.limit), 'RateLimit-Remaining': String(state.remaining), 'RateLimit-Reset': String(state.resetSeconds) }
}
