// Group commit: calls that queue behind a write share the next transaction; a call the database
// refuses rejects alone, found by splitting the group, in a logarithmic number of transactions.
import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { expect, test } from 'vitest'
import { sqliteDialect } from '../../src/storage/sql'
import { createEventWriter, kyselyTransaction } from '../../src/storage/sql/event-writer'
import { migrateToLatest } from '../../src/storage/sql/migrations'
import { event as storedEvent } from './conformance'

const PROJECT = '01940000-0000-7000-8000-0000000000aa'
const event = (id: string) => storedEvent('e', 1_700_000_000_000, { id })
const id = (n: number) => `01940000-0000-7000-8000-${String(n).padStart(12, '0')}`

test('one refused call among 200 fails alone, in O(log n) transactions', async () => {
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) })
  await migrateToLatest(db, sqliteDialect)
  await db
    .insertInto('telltale_projects')
    .values({ id: PROJECT, name: 'p', slug: 'p', timezone: 'UTC', created_at: 0 })
    .execute()
  let transactions = 0
  const writer = createEventWriter(kyselyTransaction(db), 'sqlite', { onTransaction: () => transactions++ })
  await writer.insert(PROJECT, [event(id(0))])
  transactions = 0

  // Call 137 reuses a stored primary key: the database refuses it.
  const calls = Array.from({ length: 200 }, (_, i) => writer.insert(PROJECT, [event(i === 137 ? id(0) : id(i + 1))]))
  const results = await Promise.allSettled(calls)
  expect(results.filter((r) => r.status === 'rejected').map((_, i) => i)).toHaveLength(1)
  expect(results[137].status).toBe('rejected')
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(199)
  const stored = await db
    .selectFrom('telltale_events')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow()
  expect(Number(stored.n)).toBe(200) // the first event and the 199 accepted ones
  // The first call writes alone; the 199 queued behind it are one group: 1 failing write, then
  // two halves per level down to the bad call (2 * ceil(log2(199)) = 16), not 199.
  expect(transactions).toBeLessThanOrEqual(1 + 1 + 16)
  await db.destroy()
})
