import { type Kysely, type Selectable, sql } from 'kysely'
import { ConflictError } from '../index'
import type { Project, ProjectRepository } from '../projects'
import type { SqlDialect } from './dialect'
import type { Int, SqlDomain } from './domain'
import type { Database } from './schema'

export interface ProjectsTable {
  id: string
  name: string
  slug: string
  timezone: string
  created_at: Int
}

export interface ProjectsTables {
  telltale_projects: ProjectsTable
}

export const projectsDomain: SqlDomain = {
  name: 'projects',
  migrations: {
    async '0001_foundation'(db, d) {
      const { id, text, int } = d.types
      await db.schema
        .createTable('telltale_projects')
        .addColumn('id', sql.raw(id), (c) => c.primaryKey())
        .addColumn('name', sql.raw(text), (c) => c.notNull())
        .addColumn('slug', sql.raw(text), (c) => c.notNull().unique())
        .addColumn('timezone', sql.raw(text), (c) => c.notNull().defaultTo('UTC'))
        .addColumn('created_at', sql.raw(int), (c) => c.notNull())
        .execute()
    },
  },
}

export function sqlProjects(db: Kysely<Database>, dialect: SqlDialect): ProjectRepository {
  const table = 'telltale_projects' as const
  return {
    async create({ project }) {
      try {
        await db
          .insertInto(table)
          .values({
            id: project.id,
            name: project.name,
            slug: project.slug,
            timezone: project.timezone,
            created_at: project.createdAt,
          })
          .execute()
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
