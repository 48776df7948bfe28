export interface RateLimitHit {
  /** Requests counted in the current window, these included. */
  count: number
  /** When the current window ends (epoch ms). */
  resetAt: number
}

/**
 * Fixed-window counters kept in the store, so a limit holds across every instance that shares it.
 */
export interface RateLimitRepository {
  /**
   * Atomically adds `count` (default 1) to `bucket` in the window that contains `now` (windows
   * start at multiples of `windowMs`); a new window starts from `count`. Returns the total.
   */
  hit(input: {
    projectId: string
    bucket: string
    windowMs: number
    now: number
    count?: number
  }): Promise<RateLimitHit>
  /** Deletes windows that ended before `before`. Returns how many were removed. */
  purge(input: { before: number }): Promise<number>
}
