import { type Kysely, type Selectable, sql } from 'kysely'
import type { Job, JobRepository } from '../jobs'
import type { Int, NullableInt, SqlDomain } from './domain'
import type { Database } from './schema'

export interface JobsTable {
  project_id: string
  key: string
  run_at: Int
  owner: string | null
  lease_until: NullableInt
  attempts: Int
}

export interface JobsTables {
  telltale_jobs: JobsTable
}

export const jobsDomain: SqlDomain = {
  name: 'jobs',
  migrations: {
    async '0001_foundation'(db, d) {
      const { text, int } = d.types
      await db.schema
        .createTable('telltale_jobs')
        .addColumn('project_id', sql.raw(text), (c) => c.notNull())
        .addColumn('key', sql.raw(text), (c) => c.notNull())
        .addColumn('run_at', sql.raw(int), (c) => c.notNull())
        .addColumn('owner', sql.raw(text))
        .addColumn('lease_until', sql.raw(int))
        .addColumn('attempts', sql.raw(int), (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('telltale_jobs_pk', ['project_id', 'key'])
        .execute()
    },
  },
}

export function sqlJobs(db: Kysely<Database>): JobRepository {
  const table = 'telltale_jobs' as const
  return {
    async ensure({ projectId, key, runAt }) {
      await db
        .insertInto(table)
        .values({ project_id: projectId, key, run_at: runAt, owner: null, lease_until: null, attempts: 0 })
        .onConflict((oc) => oc.columns(['project_id', 'key']).doNothing())
        .execute()
    },
    async claim({ projectId, key, owner, now, leaseMs }) {
      // The WHERE clause is the claim: one UPDATE succeeds, concurrent ones match no row.
      const row = await db
        .updateTable(table)
        .set({ owner, lease_until: now + leaseMs, attempts: sql`attempts + 1` })
        .where('project_id', '=', projectId)
        .where('key', '=', key)
        .where('run_at', '<=', now)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
        .returningAll()
        .executeTakeFirst()
      return row && toJob(row)
    },
    async complete({ projectId, key, owner, nextRunAt }) {
      const result = await db
        .updateTable(table)
        .set({ owner: null, lease_until: null, run_at: nextRunAt, attempts: 0 })
        .where('project_id', '=', projectId)
        .where('key', '=', key)
        .where('owner', '=', owner)
        .executeTakeFirst()
      return Number(result.numUpdatedRows) > 0
    },
    async get({ projectId, key }) {
      const row = await db
        .selectFrom(table)
        .selectAll()
        .where('project_id', '=', projectId)
        .where('key', '=', key)
        .executeTakeFirst()
      return row && toJob(row)
    },
    async list({ projectId, keyPrefix }) {
      // substr, not LIKE (no wildcards to escape) nor a range (Postgres compares text by collation).
      const rows = await db
        .selectFrom(table)
        .selectAll()
        .where('project_id', '=', projectId)
        .where(sql<boolean>`substr(${sql.ref('key')}, 1, ${keyPrefix.length}) = ${keyPrefix}`)
        .execute()
      return rows.map(toJob).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    },
    async delete({ projectId, key }) {
      const result = await db
        .deleteFrom(table)
        .where('project_id', '=', projectId)
        .where('key', '=', key)
        .executeTakeFirst()
      return Number(result.numDeletedRows) > 0
    },
  }
}

function toJob(row: Selectable<JobsTable>): Job {
  return {
    projectId: row.project_id,
    key: row.key,
    runAt: Number(row.run_at),
    owner: row.owner,
    leaseUntil: row.lease_until === null ? null : Number(row.lease_until),
    attempts: Number(row.attempts),
  }
}
