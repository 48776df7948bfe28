import type { Project } from '../storage'
import type { CoreContext } from './context'
import { TelltaleError } from './errors'
import { isUuid } from './ids'
import { perStore } from './per-store'

/**
 * Projects known to exist, per store, so that checking the project of every event costs a map
 * look-up, not a query. Projects are never deleted today; the time limit bounds how long a
 * deleted one would still be accepted once they can be.
 */
const CACHE_MS = 60_000
const CACHE_SIZE = 10_000
const knownProjects = perStore(() => new Map<string, { project: Project; until: number }>())

/** The project, or a not-found `TelltaleError` (also for ids that cannot be project ids). */
export async function requireProject(ctx: CoreContext, projectId: string): Promise<Project> {
  const cache = knownProjects(ctx.storage)
  const now = ctx.clock.now()
  const hit = cache.get(projectId)
  if (hit && hit.until > now) return hit.project
  // Ids are UUIDs (a uuid column on Postgres): anything else cannot name a project.
  const project = isUuid(projectId) ? await ctx.storage.projects.get({ projectId }) : undefined
  if (!project) throw new TelltaleError('not_found', 'Project not found.')
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!)
  cache.set(projectId, { project, until: now + CACHE_MS })
  return project
}

/** The project if this instance verified it recently, without waiting: the ingest path's fast check. */
export function cachedProject(ctx: CoreContext, projectId: string): Project | undefined {
  const hit = knownProjects(ctx.storage).get(projectId)
  return hit && hit.until > ctx.clock.now() ? hit.project : undefined
}
