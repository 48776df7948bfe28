import type { CoreContext } from '../core/context'
import { perStore } from '../core/per-store'
import type { User } from '../storage'

/**
 * How long a verified user is trusted without reading the store again. A change made through an
 * instance drops its entry at once; other instances notice within this time (as with API keys).
 */
export const USER_CACHE_MS = 5_000
const USER_CACHE_SIZE = 10_000
const users = perStore(() => new Map<string, { user: User; until: number }>())

const cacheKey = (projectId: string, id: number) => `${projectId}:${id}`

/** The user, from this instance's cache while it is fresh, else from the store. */
export async function cachedUser(ctx: CoreContext, projectId: string, id: number): Promise<User | undefined> {
  const cache = users(ctx.storage)
  const key = cacheKey(projectId, id)
  const now = ctx.clock.now()
  const hit = cache.get(key)
  if (hit && hit.until > now) return hit.user
  const user = await ctx.storage.users.get({ projectId, id })
  if (!user) return undefined
  if (cache.size >= USER_CACHE_SIZE) cache.delete(cache.keys().next().value!) // oldest first
  cache.set(key, { user, until: now + USER_CACHE_MS })
  return user
}

/** Drops a changed or deleted user from this instance's cache. */
export function forgetUser(ctx: CoreContext, projectId: string, id: number): void {
  users(ctx.storage).delete(cacheKey(projectId, id))
}
