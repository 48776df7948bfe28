import type { CoreContext } from './context'

/**
 * Runs `fn` only if this instance wins the job's claim in the store; the scheduler merely ticks.
 * On success the job is rescheduled `everyMs` later; on failure it is released for a retry at the
 * next tick. Returns whether this instance ran it.
 */
export async function runClaimed(
  ctx: CoreContext,
  job: { projectId: string; key: string; owner: string; everyMs: number; leaseMs?: number },
  fn: () => Promise<void>,
): Promise<boolean> {
  const now = ctx.clock.now()
  await ctx.storage.jobs.ensure({ projectId: job.projectId, key: job.key, runAt: now })
  const claimed = await ctx.storage.jobs.claim({
    projectId: job.projectId,
    key: job.key,
    owner: job.owner,
    now,
    leaseMs: job.leaseMs ?? 5 * 60_000,
  })
  if (!claimed) return false
  let nextRunAt = now
  try {
    await fn()
    nextRunAt = ctx.clock.now() + job.everyMs
  } finally {
    await ctx.storage.jobs.complete({ projectId: job.projectId, key: job.key, owner: job.owner, nextRunAt })
  }
  return true
}
