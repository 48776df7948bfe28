/**
 * The history job and the late-event marks that feed it. Each tick, every project with metrics
 * is claimed in the store by one instance (`runClaimed`), which then computes the completed days
 * that have no current snapshot and recomputes the days late events made dirty, with every later
 * day whose window reaches back to them. A day with a current snapshot is never computed again,
 * so across instances each project-day is computed once.
 */

import type { CoreContext } from '../core/context'
import { runClaimed } from '../core/jobs'
import { cachedProject, requireProject } from '../core/project-cache'
import { nextLocalDay, startOfLocalDay } from '../core/time-zones'
import type { NewEvent, Project } from '../storage'
import { addDays, dayRange, localDay, maxDay, minDay } from './calendar'
import { toMetric } from './evaluate'
import { computeSnapshots, firstEventDay, HISTORY_MAX_DAYS, MetricSet, runQueuedHistoryWork } from './history'
import { invalidateValues } from './values'

/** How often instances tick; a late event's day is recomputed within this (the issue asks ≤ 5 min). */
export const METRIC_HISTORY_EVERY_MS = 60_000
/** Completed days a tick makes sure are stored, so a new metric's recent history fills on its own. */
export const FILL_DAYS = 30
/** Dirty days one tick takes on; the rest wait for the next tick. */
const DIRTY_PER_TICK = 100
/**
 * How long a claim on a project's history lasts. Longer than housekeeping's: a late payment can
 * make a year of MRR history dirty, which takes minutes on a large Redis store, and another
 * instance must not take the project over (and compute the same days again) meanwhile.
 */
const HISTORY_LEASE_MS = 30 * 60_000

/** One tick over every project that has metrics. Returns how many snapshots were written. */
export async function metricHistoryTick(ctx: CoreContext, owner: string): Promise<number> {
  let written = 0
  for (const projectId of await ctx.storage.metrics.listProjects()) {
    await runClaimed(
      ctx,
      { projectId, key: 'metrics:history', owner, everyMs: METRIC_HISTORY_EVERY_MS, leaseMs: HISTORY_LEASE_MS },
      async () => {
        written += await updateProjectHistory(ctx, projectId)
      },
    )
  }
  return written
}

/** The project's missing completed days and dirty days, computed and stored. */
export async function updateProjectHistory(ctx: CoreContext, projectId: string): Promise<number> {
  const project = await ctx.storage.projects.get({ projectId })
  if (!project) return 0
  const set = new MetricSet(project, (await ctx.storage.metrics.list({ projectId })).map(toMetric))
  if (set.metrics.length === 0) return 0
  const yesterday = addDays(localDay(ctx.clock.now(), project.timezone), -1)
  const oldest = addDays(yesterday, -(HISTORY_MAX_DAYS - 1))
  const dirty = await ctx.storage.metrics.listDirty({ projectId, limit: DIRTY_PER_TICK })
  const work: Array<{ metric: (typeof set.metrics)[number]; days: string[] }> = []
  // Days before the first event are never stored (they read as the value over no events).
  const firstDay = await firstEventDay(ctx, set)
  const fillFrom = firstDay === undefined ? undefined : maxDay(addDays(yesterday, -(FILL_DAYS - 1)), firstDay)
  for (const metric of set.metrics) {
    const days = new Set<string>()
    const reach = set.reachDays(metric)
    for (const { day } of dirty) {
      if (day > yesterday) continue
      const last = reach === Number.POSITIVE_INFINITY ? yesterday : minDay(addDays(day, reach), yesterday)
      for (const d of dayRange(maxDay(day, oldest), last)) days.add(d)
    }
    if (fillFrom !== undefined && fillFrom <= yesterday) {
      const changedAt = set.changedAt(metric)
      const stored = await ctx.storage.metrics.listSnapshots({
        projectId,
        metricId: metric.definition.id,
        fromDay: fillFrom,
        toDay: yesterday,
      })
      const current = new Set(stored.filter((s) => s.computedAt >= changedAt).map((s) => s.day))
      for (const d of dayRange(fillFrom, yesterday)) if (!current.has(d)) days.add(d)
    }
    if (days.size > 0) work.push({ metric, days: [...days].sort() })
  }
  const written = await computeSnapshots(ctx, set, work)
  for (const { day, at } of dirty) if (day <= yesterday) await ctx.storage.metrics.clearDirty({ projectId, day, at })
  // Then what requests left to the job (a long history, a large recalculation), a slice per tick.
  return written.length + (await runQueuedHistoryWork(ctx, set, { yesterday, firstDay }, QUEUED_PER_TICK))
}

/** Metric-days of queued request work one tick computes per project. */
const QUEUED_PER_TICK = 2000

/** Today's bounds per time zone, so telling a late event costs a comparison, not a zone lookup. */
const todays = new Map<string, { start: number; end: number }>()

function todayIn(timeZone: string, now: number): { start: number; end: number } {
  let today = todays.get(timeZone)
  if (!today || now < today.start || now >= today.end) {
    const start = startOfLocalDay(now, timeZone)
    today = { start, end: nextLocalDay(start, timeZone) }
    if (todays.size > 1000) todays.clear()
    todays.set(timeZone, today)
  }
  return today
}

/**
 * After events are stored: drops the project's cached values, and marks dirty each earlier local
 * day that received an event (a late event, a batch import), so the next tick recomputes it.
 * Returns a promise only when there is something to wait for: the ingest path stays synchronous
 * for events of today.
 */
export function afterEventsStored(ctx: CoreContext, projectId: string, events: NewEvent[]): Promise<void> | undefined {
  invalidateValues(ctx.storage, projectId)
  const project = cachedProject(ctx, projectId)
  if (!project) return requireProject(ctx, projectId).then((p) => markLateDays(ctx, p, events))
  return markLateDays(ctx, project, events)
}

function markLateDays(ctx: CoreContext, project: Project, events: NewEvent[]): Promise<void> | undefined {
  const now = ctx.clock.now()
  const todayStart = todayIn(project.timezone, now).start
  let late: Set<string> | undefined
  for (const event of events) {
    if (event.timestamp >= todayStart) continue
    late ??= new Set()
    late.add(localDay(event.timestamp, project.timezone))
  }
  return late ? ctx.storage.metrics.markDirty({ projectId: project.id, days: [...late], at: now }) : undefined
}
