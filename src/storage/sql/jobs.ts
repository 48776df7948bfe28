import { type Kysely, type Selectable, sql } from 'kysely'
import {
  byDueTime,
  checkClaimDue,
  claimableAfterLease,
  type DueJob,
  type DueJobRepository,
  type Job,
  type JobRepository,
} from '../jobs'
import type { SqlDialect } from './dialect'
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

/** Items claimed in batches (`DueJobRepository`). */
export interface DueJobsTable {
  kind: string
  project_id: string
  key: string
  due_at: Int
  /** When the item may be claimed: `due_at` while unclaimed, the lease's end + 1 while claimed. */
  claimable_at: Int
  owner: string | null
  lease_until: NullableInt
  attempts: Int
}

export interface JobsTables {
  telltale_jobs: JobsTable
  telltale_due_jobs: DueJobsTable
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
    async '0004_due_jobs'(db, d) {
      const { text, int } = d.types
      await db.schema
        .createTable('telltale_due_jobs')
        .addColumn('kind', sql.raw(text), (c) => c.notNull())
        .addColumn('project_id', sql.raw(text), (c) => c.notNull())
        .addColumn('key', sql.raw(text), (c) => c.notNull())
        .addColumn('due_at', sql.raw(int), (c) => c.notNull())
        .addColumn('claimable_at', sql.raw(int), (c) => c.notNull())
        .addColumn('owner', sql.raw(text))
        .addColumn('lease_until', sql.raw(int))
        .addColumn('attempts', sql.raw(int), (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('telltale_due_jobs_pk', ['kind', 'project_id', 'key'])
        .execute()
      // A claim reads the kind's claimable items oldest first: a range scan of this index.
      await db.schema
        .createIndex('telltale_due_jobs_claimable')
        .on('telltale_due_jobs')
        .columns(['kind', 'claimable_at'])
        .execute()
    },
  },
}

export function sqlJobs(db: Kysely<Database>, dialect: SqlDialect): JobRepository {
  const table = 'telltale_jobs' as const
  return {
    ...sqlDueJobs(db, dialect),
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

function sqlDueJobs(db: Kysely<Database>, dialect: SqlDialect): DueJobRepository {
  const table = 'telltale_due_jobs' as const
  const held = sql<boolean>`${sql.ref(`${table}.owner`)} is not null`
  // The stored row's value while it has an owner, the new one otherwise.
  const unlessHeld = (column: 'due_at' | 'claimable_at') =>
    sql<number>`case when ${held} then ${sql.ref(`${table}.${column}`)} else ${sql.ref(`excluded.${column}`)} end`
  return {
    async schedule({ kind, projectId, key, dueAt }) {
      // One upsert: creates the item, or moves an unclaimed one; a held one is written back as it is.
      const row = await db
        .insertInto(table)
        .values({
          kind,
          project_id: projectId,
          key,
          due_at: dueAt,
          claimable_at: dueAt,
          owner: null,
          lease_until: null,
          attempts: 0,
        })
        .onConflict((oc) =>
          oc
            .columns(['kind', 'project_id', 'key'])
            .doUpdateSet({ due_at: unlessHeld('due_at'), claimable_at: unlessHeld('claimable_at') }),
        )
        .returningAll()
        .executeTakeFirstOrThrow()
      return toDueJob(row)
    },
    async claimDue({ kind, now, owner, leaseMs, limit }) {
      checkClaimDue({ limit, leaseMs })
      const leaseUntil = now + leaseMs
      // Postgres locks the rows it picks and skips the ones a concurrent claim locked (which then
      // claims them); SQLite runs the statement alone. Either way one statement is the claim.
      const claimable = db
        .selectFrom(table)
        .select(['kind', 'project_id', 'key'])
        .where('kind', '=', kind)
        .where('claimable_at', '<=', now)
        .orderBy('claimable_at')
        .limit(limit)
      const picked = dialect.skipLocked ? claimable.forUpdate().skipLocked() : claimable
      const rows = await db
        .updateTable(table)
        .set({
          owner,
          lease_until: leaseUntil,
          claimable_at: claimableAfterLease(leaseUntil),
          attempts: sql`attempts + 1`,
        })
        .where(({ eb, refTuple }) =>
          eb(refTuple('kind', 'project_id', 'key'), 'in', picked.$asTuple('kind', 'project_id', 'key')),
        )
        .returningAll()
        .execute()
      return rows.map(toDueJob).sort(byDueTime)
    },
    async completeDue({ kind, projectId, key, owner, nextDueAt }) {
      const result = await db
        .updateTable(table)
        .set({ owner: null, lease_until: null, due_at: nextDueAt, claimable_at: nextDueAt, attempts: 0 })
        .where('kind', '=', kind)
        .where('project_id', '=', projectId)
        .where('key', '=', key)
        .where('owner', '=', owner)
        .executeTakeFirst()
      return Number(result.numUpdatedRows) > 0
    },
    async getDue({ kind, projectId, key }) {
      const row = await db
        .selectFrom(table)
        .selectAll()
        .where('kind', '=', kind)
        .where('project_id', '=', projectId)
        .where('key', '=', key)
        .executeTakeFirst()
      return row && toDueJob(row)
    },
    async unschedule({ kind, projectId, key }) {
      const result = await db
        .deleteFrom(table)
        .where('kind', '=', kind)
        .where('project_id', '=', projectId)
        .where('key', '=', key)
        .executeTakeFirst()
      return Number(result.numDeletedRows) > 0
    },
  }
}

function toDueJob(row: Selectable<DueJobsTable>): DueJob {
  return {
    kind: row.kind,
    projectId: row.project_id,
    key: row.key,
    dueAt: Number(row.due_at),
    owner: row.owner,
    leaseUntil: row.lease_until === null ? null : Number(row.lease_until),
    attempts: Number(row.attempts),
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
