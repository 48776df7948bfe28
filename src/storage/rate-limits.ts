export interface RateLimitHit {
  /** Requests counted in the current window, this one included. */
  count: number
  /** When the current window ends (epoch ms). */
  resetAt: number
}

/**
 * Fixed-window counters kept in the store, so a limit holds across every instance that shares it.
 */
export interface RateLimitRepository {
  /**
   * Atomically counts one request against `bucket` in the window that contains `now`
   * (windows start at multiples of `windowMs`). A new window starts from 1.
   */
  hit(input: { projectId: string; bucket: string; windowMs: number; now: number }): Promise<RateLimitHit>
  /** Deletes windows that ended before `before`. Returns how many were removed. */
  purge(input: { before: number }): Promise<number>
}
