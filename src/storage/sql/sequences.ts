import { type Kysely, sql } from 'kysely'
import type { SequenceRepository } from '../users'
import type { Int, SqlDomain } from './domain'
import type { Database } from './schema'

export interface SequencesTable {
  project_id: string
  kind: string
  value: Int
}

export interface SequencesTables {
  telltale_sequences: SequencesTable
}

export const sequencesDomain: SqlDomain = {
  name: 'sequences',
  migrations: {
    async '0003_accounts'(db, d) {
      const { text, int } = d.types
      await db.schema
        .createTable('telltale_sequences')
        .addColumn('project_id', sql.raw(text), (c) => c.notNull())
        .addColumn('kind', sql.raw(text), (c) => c.notNull())
        .addColumn('value', sql.raw(int), (c) => c.notNull())
        .addPrimaryKeyConstraint('telltale_sequences_pk', ['project_id', 'kind'])
        .execute()
    },
  },
}

/**
 * The next value, in one statement (an upsert that increments and returns), so it can run inside
 * the transaction that inserts the row it numbers: a rolled-back insert gives its number back.
 */
export async function nextSequenceValue(db: Kysely<Database>, projectId: string, kind: string): Promise<number> {
  const row = await db
    .insertInto('telltale_sequences')
    .values({ project_id: projectId, kind, value: 1 })
    .onConflict((oc) =>
      oc.columns(['project_id', 'kind']).doUpdateSet({ value: sql<number>`telltale_sequences.value + 1` }),
    )
    .returning('value')
    .executeTakeFirstOrThrow()
  return Number(row.value)
}

export function sqlSequences(db: Kysely<Database>): SequenceRepository {
  return { next: ({ projectId, kind }) => nextSequenceValue(db, projectId, kind) }
}
