import { z } from 'zod'
import { TelltaleError } from '../core/errors'
import { randomBase62, uuidv7 } from '../core/ids'
import { defineOperation } from '../core/operation'
import { requireProject } from '../core/project-cache'
import { projectInputSchema } from '../schemas/project'
import { ConflictError, type Project } from '../storage'

export const createProject = defineOperation({
  input: projectInputSchema,
  scope: 'admin',
  async run(ctx, { name, slug, timezone }): Promise<Project> {
    const now = ctx.clock.now()
    const project: Project = {
      id: uuidv7(now),
      name,
      slug: slug ?? slugify(name),
      timezone: timezone ?? 'UTC',
      createdAt: now,
    }
    try {
      return await ctx.storage.projects.create({ project })
    } catch (error) {
      if (!(error instanceof ConflictError) || slug) throw asConflict(error)
      // A derived slug collided: keep the name readable and make the slug unique.
      return ctx.storage.projects.create({
        project: { ...project, slug: `${project.slug.slice(0, 56)}-${randomBase62(6).toLowerCase()}` },
      })
    }
  },
})

/**
 * Get-or-create by slug, for code that runs on every boot (an embedded install's setup): the
 * project with `slug` if it exists (unchanged, whatever name or time zone is passed), else a new
 * one. `created` says which, so a first key can be made and shown exactly once. Two instances
 * booting at once get the same project: the loser of the insert reads the winner's.
 */
export const ensureProject = defineOperation({
  input: projectInputSchema.required({ slug: true }),
  scope: 'admin',
  async run(ctx, input): Promise<{ project: Project; created: boolean }> {
    const existing = await ctx.storage.projects.getBySlug({ slug: input.slug })
    if (existing) return { project: existing, created: false }
    try {
      return { project: await createProject.run(ctx, input), created: true }
    } catch (error) {
      const winner =
        error instanceof TelltaleError && error.kind === 'conflict'
          ? await ctx.storage.projects.getBySlug({ slug: input.slug })
          : undefined
      if (!winner) throw error
      return { project: winner, created: false }
    }
  },
})

export const getProject = defineOperation({
  input: z.object({ projectId: z.string() }),
  scope: 'read',
  requiresProject: false, // `run` is the check
  run: (ctx, { projectId }) => requireProject(ctx, projectId),
})

/** The project with this slug, or `undefined`. */
export const getProjectBySlug = defineOperation({
  input: z.object({ slug: z.string() }),
  scope: 'read',
  run: async (ctx, { slug }): Promise<Project | undefined> =>
    projectInputSchema.shape.slug.safeParse(slug).success ? ctx.storage.projects.getBySlug({ slug }) : undefined,
})

function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '')
  return slug || 'project'
}

function asConflict(error: unknown): unknown {
  return error instanceof ConflictError
    ? new TelltaleError('conflict', `The ${error.field} has already been taken.`)
    : error
}
