import { type Kysely, sql } from 'kysely'
import type { RateLimitRepository } from '../rate-limits'
import type { Int, SqlDomain } from './domain'
import type { Database } from './schema'

export interface RateLimitsTable {
  project_id: string
  bucket: string
  window_start: Int
  window_end: Int
  count: Int
}

export interface RateLimitsTables {
  telltale_rate_limits: RateLimitsTable
}

export const rateLimitsDomain: SqlDomain = {
  name: 'rate-limits',
  migrations: {
    async '0001_foundation'(db, d) {
      const { text, int } = d.types
      await db.schema
        .createTable('telltale_rate_limits')
        .addColumn('project_id', sql.raw(text), (c) => c.notNull())
        .addColumn('bucket', sql.raw(text), (c) => c.notNull())
        .addColumn('window_start', sql.raw(int), (c) => c.notNull())
        .addColumn('window_end', sql.raw(int), (c) => c.notNull())
        .addColumn('count', sql.raw(int), (c) => c.notNull())
        .addPrimaryKeyConstraint('telltale_rate_limits_pk', ['project_id', 'bucket'])
        .execute()
    },
  },
}

export function sqlRateLimits(db: Kysely<Database>): RateLimitRepository {
  const table = 'telltale_rate_limits' as const
  return {
    async hit({ projectId, bucket, windowMs, now, count = 1 }) {
      const windowStart = Math.floor(now / windowMs) * windowMs
      const windowEnd = windowStart + windowMs
      // One upsert: the same window counts up, a new window restarts at `count`. Atomic in both
      // SQLite and Postgres, so concurrent instances never lose a hit.
      const row = await db
        .insertInto(table)
        .values({ project_id: projectId, bucket, window_start: windowStart, window_end: windowEnd, count })
        .onConflict((oc) =>
          oc.columns(['project_id', 'bucket']).doUpdateSet({
            count: sql`case when ${sql.ref(`${table}.window_start`)} = excluded.window_start then ${sql.ref(`${table}.count`)} + excluded.count else excluded.count end`,
            window_start: sql.ref('excluded.window_start'),
            window_end: sql.ref('excluded.window_end'),
          }),
        )
        .returning(['count', 'window_end'])
        .executeTakeFirstOrThrow()
      return { count: Number(row.count), resetAt: Number(row.window_end) }
    },
    async purge({ before }) {
      const result = await db.deleteFrom(table).where('window_end', '<', before).executeTakeFirst()
      return Number(result.numDeletedRows)
    },
  }
}
