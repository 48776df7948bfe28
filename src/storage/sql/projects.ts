import type { Kysely, Selectable } from 'kysely'
import { ConflictError } from '../index'
import type { Project, ProjectRepository } from '../projects'
import type { SqlDialect } from './dialect'
import type { Database, ProjectsTable } from './schema'

export function sqlProjects(db: Kysely<Database>, dialect: SqlDialect): ProjectRepository {
  const table = 'telltale_projects' as const
  return {
    async create({ project }) {
      try {
        await db.insertInto(table).values({ id: project.id, name: project.name, slug: project.slug, timezone: project.timezone, created_at: project.createdAt }).execute()
      } catch (error) {
        if (dialect.isUniqueViolation(error)) throw new ConflictError('slug')
        throw error
      }
      return project
    },
    async get({ projectId }) {
      const row = await db.selectFrom(table).selectAll().where('id', '=', projectId).executeTakeFirst()
      return row && toProject(row)
    },
    async getBySlug({ slug }) {
      const row = await db.selectFrom(table).selectAll().where('slug', '=', slug).executeTakeFirst()
      return row && toProject(row)
    },
  }
}

function toProject(row: Selectable<ProjectsTable>): Project {
  return { id: row.id, name: row.name, slug: row.slug, timezone: row.timezone, createdAt: Number(row.created_at) }
}
