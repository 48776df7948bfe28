import { SYSTEM_PROJECT } from '../storage'
import type { CoreContext } from './context'
import { runClaimed } from './jobs'

export const HOUSEKEEPING_EVERY_MS = 10 * 60_000

/** Deletes expired rate-limit windows. Claimed, so one instance does it per period. */
export function housekeeping(ctx: CoreContext, owner: string): Promise<boolean> {
  return runClaimed(
    ctx,
    { projectId: SYSTEM_PROJECT, key: 'housekeeping', owner, everyMs: HOUSEKEEPING_EVERY_MS },
    async () => {
      await ctx.storage.rateLimits.purge({ before: ctx.clock.now() })
    },
  )
}
