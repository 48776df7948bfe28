import { z } from 'zod'
import { ConflictError, type Project } from '../storage'
import { projectInputSchema, type ProjectInput } from '../schemas/project'
import { toValidationIssues } from '../schemas/issues'
import type { CoreContext } from './context'
import { TelltaleError, validationError } from './errors'
import { isUuid, randomBase62, uuidv7 } from './ids'

export async function createProject(ctx: CoreContext, input: ProjectInput): Promise<Project> {
  const parsed = projectInputSchema.safeParse(input)
  if (!parsed.success) throw validationError(toValidationIssues(parsed.error.issues, input))
  const { name, slug, timezone } = parsed.data
  const now = ctx.clock.now()
  const project: Project = { id: uuidv7(now), name, slug: slug ?? slugify(name), timezone: timezone ?? 'UTC', createdAt: now }
  try {
    return await ctx.storage.projects.create({ project })
  } catch (error) {
    if (!(error instanceof ConflictError) || slug) throw asConflict(error)
    // A derived slug collided: keep the name readable and make the slug unique.
    return ctx.storage.projects.create({ project: { ...project, slug: `${project.slug.slice(0, 56)}-${randomBase62(6).toLowerCase()}` } })
  }
}

export async function getProject(ctx: CoreContext, input: { projectId: string }): Promise<Project> {
  // Ids are UUIDs (a uuid column on Postgres): anything else cannot name a project.
  const project = isUuid(input.projectId) ? await ctx.storage.projects.get(input) : undefined
  if (!project) throw new TelltaleError('not_found', 'Project not found.')
  return project
}

export function getProjectBySlug(ctx: CoreContext, input: { slug: string }): Promise<Project | undefined> {
  return z.string().min(1).safeParse(input.slug).success ? ctx.storage.projects.getBySlug(input) : Promise.resolve(undefined)
}

function slugify(name: string): string {
  const slug = name.normalize('NFKD').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64).replace(/-+$/, '')
  return slug || 'project'
}

function asConflict(error: unknown): unknown {
  return error instanceof ConflictError ? new TelltaleError('conflict', `The ${error.field} has already been taken.`) : error
}
