import { type Kysely, type Selectable, sql } from 'kysely'
import { ConflictError } from '../index'
import type { DirtyDay, MetricDefinition, MetricRepository, MetricSnapshot } from '../metrics'
import { decodeJson, type SqlDialect } from './dialect'
import type { Int, Json, SqlDomain } from './domain'
import type { Database } from './schema'

export interface MetricDefinitionsTable {
  id: string
  project_id: string
  slug: string
  name: string
  spec: Json
  created_at: Int
  updated_at: Int
}

export interface MetricSnapshotsTable {
  project_id: string
  metric_id: string
  day: string
  value: number | null
  computed_at: Int
}

export interface MetricDirtyDaysTable {
  project_id: string
  day: string
  dirty_at: Int
}

export interface MetricsTables {
  telltale_metric_definitions: MetricDefinitionsTable
  telltale_metric_snapshots: MetricSnapshotsTable
  telltale_metric_dirty_days: MetricDirtyDaysTable
}

/**
 * After projects in the domain list: definitions reference them. `day` compares bytewise (Postgres
 * `collate "C"`), as SQLite and the kv stores compare it, so ranges and order agree everywhere.
 */
export const metricsDomain: SqlDomain = {
  name: 'metrics',
  migrations: {
    async '0002_metrics'(db, d) {
      const { id, text, int, float, json, name } = d.types
      await db.schema
        .createTable('telltale_metric_definitions')
        .addColumn('id', sql.raw(id), (c) => c.primaryKey())
        .addColumn('project_id', sql.raw(id), (c) => c.notNull().references('telltale_projects.id').onDelete('cascade'))
        .addColumn('slug', sql.raw(text), (c) => c.notNull())
        .addColumn('name', sql.raw(text), (c) => c.notNull())
        .addColumn('spec', sql.raw(json), (c) => c.notNull())
        .addColumn('created_at', sql.raw(int), (c) => c.notNull())
        .addColumn('updated_at', sql.raw(int), (c) => c.notNull())
        .addUniqueConstraint('telltale_metric_definitions_slug', ['project_id', 'slug'])
        .execute()
      await db.schema
        .createTable('telltale_metric_snapshots')
        .addColumn('project_id', sql.raw(id), (c) => c.notNull())
        .addColumn('metric_id', sql.raw(id), (c) => c.notNull())
        .addColumn('day', sql.raw(name), (c) => c.notNull())
        .addColumn('value', sql.raw(float))
        .addColumn('computed_at', sql.raw(int), (c) => c.notNull())
        .addPrimaryKeyConstraint('telltale_metric_snapshots_pk', ['project_id', 'metric_id', 'day'])
        .execute()
      await db.schema
        .createTable('telltale_metric_dirty_days')
        .addColumn('project_id', sql.raw(id), (c) => c.notNull())
        .addColumn('day', sql.raw(name), (c) => c.notNull())
        .addColumn('dirty_at', sql.raw(int), (c) => c.notNull())
        .addPrimaryKeyConstraint('telltale_metric_dirty_days_pk', ['project_id', 'day'])
        .execute()
    },
  },
}

/** Rows per insert statement: 5 parameters a row stays far below either engine's limit. */
const CHUNK = 500

export function sqlMetrics(db: Kysely<Database>, dialect: SqlDialect): MetricRepository {
  const definitions = 'telltale_metric_definitions' as const
  const snapshots = 'telltale_metric_snapshots' as const
  const dirty = 'telltale_metric_dirty_days' as const

  const slugConflict = (error: unknown) => (dialect.isUniqueViolation(error) ? new ConflictError('slug') : error)

  return {
    async create({ definition: m }) {
      try {
        await db
          .insertInto(definitions)
          .values({
            id: m.id,
            project_id: m.projectId,
            slug: m.slug,
            name: m.name,
            spec: JSON.stringify(m.spec),
            created_at: m.createdAt,
            updated_at: m.updatedAt,
          })
          .execute()
      } catch (error) {
        throw slugConflict(error)
      }
      return m
    },
    async get({ projectId, id }) {
      const row = await db
        .selectFrom(definitions)
        .selectAll()
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .executeTakeFirst()
      return row && toDefinition(row)
    },
    async getBySlug({ projectId, slug }) {
      const row = await db
        .selectFrom(definitions)
        .selectAll()
        .where('project_id', '=', projectId)
        .where('slug', '=', slug)
        .executeTakeFirst()
      return row && toDefinition(row)
    },
    async listProjects() {
      const rows = await db.selectFrom(definitions).select('project_id').distinct().execute()
      // Sorted here, not by `order by`: the contract's string order, whatever the column type (uuid on Postgres) or collation.
      return rows.map((r) => r.project_id).sort(compare)
    },
    async list({ projectId }) {
      const rows = await db
        .selectFrom(definitions)
        .selectAll()
        .where('project_id', '=', projectId)
        .orderBy('created_at')
        .orderBy('id')
        .execute()
      return rows.map(toDefinition)
    },
    async update({ definition: m }) {
      try {
        const result = await db
          .updateTable(definitions)
          .set({
            slug: m.slug,
            name: m.name,
            spec: JSON.stringify(m.spec),
            created_at: m.createdAt,
            updated_at: m.updatedAt,
          })
          .where('project_id', '=', m.projectId)
          .where('id', '=', m.id)
          .executeTakeFirst()
        return Number(result.numUpdatedRows) > 0
      } catch (error) {
        throw slugConflict(error)
      }
    },
    delete: ({ projectId, id }) =>
      db.transaction().execute(async (trx) => {
        const result = await trx
          .deleteFrom(definitions)
          .where('project_id', '=', projectId)
          .where('id', '=', id)
          .executeTakeFirst()
        if (Number(result.numDeletedRows) === 0) return false
        await trx.deleteFrom(snapshots).where('project_id', '=', projectId).where('metric_id', '=', id).execute()
        return true
      }),
    async putSnapshots({ projectId, snapshots: given }) {
      // The last of duplicates in one call wins (Postgres refuses to upsert one row twice in a statement).
      const unique = [...new Map(given.map((s) => [`${s.metricId}\u0000${s.day}`, s])).values()]
      if (unique.length === 0) return
      const rows = unique.map((s) => ({
        project_id: projectId,
        metric_id: s.metricId,
        day: s.day,
        value: s.value,
        computed_at: s.computedAt,
      }))
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < rows.length; i += CHUNK) {
          await trx
            .insertInto(snapshots)
            .values(rows.slice(i, i + CHUNK))
            .onConflict((oc) =>
              oc
                .columns(['project_id', 'metric_id', 'day'])
                .doUpdateSet({ value: sql.ref('excluded.value'), computed_at: sql.ref('excluded.computed_at') })
                .where(sql.ref(`${snapshots}.computed_at`), '<=', sql.ref('excluded.computed_at')),
            )
            .execute()
        }
      })
    },
    async listSnapshots({ projectId, metricId, fromDay, toDay }) {
      const rows = await db
        .selectFrom(snapshots)
        .selectAll()
        .where('project_id', '=', projectId)
        .where('metric_id', '=', metricId)
        .where('day', '>=', fromDay)
        .where('day', '<=', toDay)
        .orderBy('day')
        .execute()
      return rows.map(toSnapshot)
    },
    async markDirty({ projectId, days, at }) {
      const unique = [...new Set(days)]
      if (unique.length === 0) return
      // One upsert per chunk; an already dirty day keeps the later mark. Atomic per row in both engines.
      for (let i = 0; i < unique.length; i += CHUNK) {
        await db
          .insertInto(dirty)
          .values(unique.slice(i, i + CHUNK).map((day) => ({ project_id: projectId, day, dirty_at: at })))
          .onConflict((oc) =>
            oc.columns(['project_id', 'day']).doUpdateSet({
              dirty_at: sql`case when excluded.dirty_at > ${sql.ref(`${dirty}.dirty_at`)} then excluded.dirty_at else ${sql.ref(`${dirty}.dirty_at`)} end`,
            }),
          )
          .execute()
      }
    },
    async listDirty({ projectId, limit }) {
      if (limit <= 0) return []
      const rows = await db
        .selectFrom(dirty)
        .select(['day', 'dirty_at'])
        .where('project_id', '=', projectId)
        .orderBy('day')
        .limit(limit)
        .execute()
      return rows.map((r): DirtyDay => ({ day: r.day, at: Number(r.dirty_at) }))
    },
    async clearDirty({ projectId, day, at }) {
      const result = await db
        .deleteFrom(dirty)
        .where('project_id', '=', projectId)
        .where('day', '=', day)
        .where('dirty_at', '=', at)
        .executeTakeFirst()
      return Number(result.numDeletedRows) > 0
    },
  }
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

function toDefinition(row: Selectable<MetricDefinitionsTable>): MetricDefinition {
  return {
    id: row.id,
    projectId: row.project_id,
    slug: row.slug,
    name: row.name,
    spec: decodeJson<Record<string, unknown>>(row.spec) ?? {},
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  }
}

function toSnapshot(row: Selectable<MetricSnapshotsTable>): MetricSnapshot {
  return {
    metricId: row.metric_id,
    day: row.day,
    value: row.value === null ? null : Number(row.value),
    computedAt: Number(row.computed_at),
  }
}
