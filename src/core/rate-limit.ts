import type { CoreContext } from './context'
import { TelltaleError } from './errors'
import { perStore } from './per-store'

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
 * Requests are counted in the store, so a limit holds across every instance sharing it; but not
 * one store write per request. An instance leases a share of the window's budget (1% of the limit,
 * at least 1 request) with one atomic add, and spends it locally. A lease is granted only up to the
 * limit, so all instances together never admit more than `limit` requests per window. The margin
 * runs the other way: quota leased by an instance and not spent is unavailable to the others, so
 * with n instances up to (n − 1) leases (n − 1 % of the limit) may be refused early. Limits of
 * up to 199 lease one request at a time and are exact.
 */
const LEASE_SHARE = 0.01

interface Lease {
  windowEnd: number
  /** Requests this instance may still admit from what it leased. */
  unspent: number
  /** The window's total in the store at the last lease (every instance's leases). */
  storeCount: number
}

const leases = perStore(() => new Map<string, Lease>())

/**
 * Counts one request against `bucket`. Over the limit: a 429 error carrying `Retry-After` and
 * `RateLimit-*` headers.
 */
export async function consumeRateLimit(
  ctx: CoreContext,
  input: { projectId: string; bucket: string; rule: RateLimitRule },
): Promise<RateLimitState> {
  const { rule } = input
  const now = ctx.clock.now()
  const key = `${input.projectId} ${input.bucket} ${rule.windowMs}`
  const local = leases(ctx.storage)
  let lease = local.get(key)
  // Spent, and the store's budget is gone too: refused without a store trip until the window ends
  // (a client hammering past its limit costs nothing more).
  const exhausted = lease && lease.windowEnd > now && lease.unspent === 0 && lease.storeCount >= rule.limit
  if (!exhausted && (!lease || lease.windowEnd <= now || lease.unspent === 0)) {
    const chunk = Math.max(1, Math.floor(rule.limit * LEASE_SHARE))
    const hit = await ctx.storage.rateLimits.hit({
      projectId: input.projectId,
      bucket: input.bucket,
      windowMs: rule.windowMs,
      now,
      count: chunk,
    })
    const before = hit.count - chunk
    const granted = Math.max(0, Math.min(chunk, rule.limit - before))
    const carried = lease && lease.windowEnd === hit.resetAt ? lease.unspent : 0
    lease = { windowEnd: hit.resetAt, unspent: carried + granted, storeCount: hit.count }
    if (local.size >= 10_000 && !local.has(key)) local.delete(local.keys().next().value!)
    local.set(key, lease)
  }
  lease = lease!
  const resetSeconds = Math.max(1, Math.ceil((lease.windowEnd - now) / 1000))
  if (lease.unspent === 0) {
    const state = { limit: rule.limit, remaining: 0, resetSeconds }
    throw new TelltaleError(
      'rate_limited',
      `Rate limit exceeded: ${rule.limit} requests per ${rule.windowMs / 1000} seconds. Retry in ${resetSeconds} seconds.`,
      {
        headers: { 'Retry-After': String(resetSeconds), ...rateLimitHeaders(state) },
      },
    )
  }
  lease.unspent--
  return { limit: rule.limit, remaining: lease.unspent + Math.max(0, rule.limit - lease.storeCount), resetSeconds }
}

/** IETF draft `RateLimit-*` fields, sent on every rate-limited response. */
export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    'RateLimit-Limit': String(state.limit),
    'RateLimit-Remaining': String(state.remaining),
    'RateLimit-Reset': String(state.resetSeconds),
  }
}
