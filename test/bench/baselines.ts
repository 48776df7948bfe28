// Hand-written comparison servers: what someone would write without telltale. Plain h3 routes,
// `JSON.parse` of the body, no auth and no validation, straight SQL on the same table schema.
import Database from 'better-sqlite3'
import { H3 } from 'h3'
import pg from 'pg'
import { postgresStorage } from '../../adapters/postgres'
import { sqliteStorage } from '../../adapters/sqlite'
import { uuidv7 } from '../../src/core/ids'

/** The fixed project id the baselines write under (telltale_events.project_id). */
const PROJECT_ID = '00000000-0000-7000-8000-000000000001'

const COLUMNS = ['id', 'project_id', 'name', 'ts', 'received_at', 'user_id', 'user_email', 'user_name', 'value', 'properties', 'tags', 'client_id']

type WireEvent = Record<string, any>
export interface Baseline {
  app: H3
  close(): Promise<void>
}

/** One wire event as a row, in `COLUMNS` order. */
function toRow(e: WireEvent, now: number): unknown[] {
  const metadata = e.metadata === undefined || e.metadata === null ? null : JSON.stringify(e.metadata)
  return [uuidv7(now), PROJECT_ID, e.event, now, now, e.user_id ?? null, e.user_email ?? null, e.user_name ?? null, e.value ?? null, metadata, null, null]
}

/** Parses the JSON body and answers 201: the floor under any h3 JSON endpoint. */
export function bareH3(): Baseline {
  const app = new H3().post('/api/events', async (event) => {
    await event.req.json()
    event.res.status = 201
    return { success: true }
  })
  return { app, close: async () => {} }
}

/** better-sqlite3: one prepared INSERT, one transaction per request, WAL, synchronous=NORMAL. */
export async function sqliteBaseline(file: string): Promise<Baseline> {
  // The same tables and indexes as telltale's: created by its migrations, then left alone.
  const schema = sqliteStorage({ file })
  await schema.migrate()
  await schema.close()

  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  const insert = db.prepare(`insert into telltale_events (${COLUMNS.join(', ')}) values (${COLUMNS.map(() => '?').join(', ')})`)
  const insertAll = db.transaction((rows: unknown[][]) => {
    for (const row of rows) insert.run(row)
  })

  const app = new H3()
    .post('/api/events', async (event) => {
      const row = toRow(JSON.parse(await event.req.text()), Date.now())
      insertAll([row])
      event.res.status = 201
      return { success: true, event_id: row[0] }
    })
    .post('/api/events/batch', async (event) => {
      const now = Date.now()
      const rows = (JSON.parse(await event.req.text()).events as WireEvent[]).map((e) => toRow(e, now))
      insertAll(rows)
      event.res.status = 201
      return { success: true, created_count: rows.length, event_ids: rows.map((r) => r[0]) }
    })
  return {
    app,
    close: async () => {
      db.close()
    },
  }
}

/** pg Pool (10 connections, like telltale's default): one parameterized INSERT per request. */
export async function pgBaseline(connectionString: string, schema: string): Promise<Baseline> {
  const setup = postgresStorage({ connectionString, schema })
  await setup.migrate()
  await setup.close()

  const pool = new pg.Pool({ connectionString, max: 10, options: `-c search_path=${schema}` })
  const insertSql = (rows: number) => {
    const tuples = Array.from({ length: rows }, (_, r) => `(${COLUMNS.map((_, c) => `$${r * COLUMNS.length + c + 1}`).join(', ')})`)
    return `insert into telltale_events (${COLUMNS.join(', ')}) values ${tuples.join(', ')}`
  }
  const single = insertSql(1)

  const app = new H3()
    .post('/api/events', async (event) => {
      const row = toRow(JSON.parse(await event.req.text()), Date.now())
      await pool.query(single, row)
      event.res.status = 201
      return { success: true, event_id: row[0] }
    })
    .post('/api/events/batch', async (event) => {
      const now = Date.now()
      const rows = (JSON.parse(await event.req.text()).events as WireEvent[]).map((e) => toRow(e, now))
      await pool.query(insertSql(rows.length), rows.flat())
      event.res.status = 201
      return { success: true, created_count: rows.length, event_ids: rows.map((r) => r[0]) }
    })
  return { app, close: () => pool.end() }
}
