// Hand-written comparison servers: what someone would write without telltale, as they would
// write it. No auth and no validation, straight SQL on the same table schema (created by
// telltale's migrations, then left alone). Plain JavaScript, run by plain `node`.
import { randomUUID } from 'node:crypto'
import Database from 'better-sqlite3'
import express from 'express'
import { H3 } from 'h3'
import pg from 'pg'
import { postgresStorage } from 'telltale/adapters/postgres'
import { sqliteStorage } from 'telltale/adapters/sqlite'

/** The fixed project id the baselines write under (telltale_events.project_id). */
const PROJECT_ID = '00000000-0000-7000-8000-000000000001'
const COLUMNS = [
  'id',
  'project_id',
  'name',
  'ts',
  'received_at',
  'user_id',
  'user_email',
  'user_name',
  'value',
  'properties',
  'tags',
  'client_id',
]
const INSERT_ONE = `insert into telltale_events (${COLUMNS.join(', ')}) values (${COLUMNS.map(() => '?').join(', ')})`

/** One Status Blocks wire event as a row, in `COLUMNS` order. */
function toRow(e, now) {
  const metadata = e.metadata === undefined || e.metadata === null ? null : JSON.stringify(e.metadata)
  return [
    randomUUID(),
    PROJECT_ID,
    e.event,
    now,
    now,
    e.user_id ?? null,
    e.user_email ?? null,
    e.user_name ?? null,
    e.value ?? null,
    metadata,
    null,
    null,
  ]
}

/** Parses the JSON body and answers 201: the floor under any h3 JSON endpoint. */
export function bareH3() {
  const app = new H3().post('/api/events', async (event) => {
    await event.req.json()
    event.res.status = 201
    return { success: true }
  })
  return { handler: app, close: async () => {} }
}

async function migrated(storage) {
  await storage.migrate()
  await storage.close()
}

function openSqlite(file) {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  return db
}

/** Express with `express.json()` and one better-sqlite3 INSERT per request: the route a user writes by hand. */
export async function expressRoute(file) {
  await migrated(sqliteStorage({ file }))
  const db = openSqlite(file)
  const insert = db.prepare(INSERT_ONE)
  const app = express()
  app.disable('x-powered-by')
  app.use(express.json())
  app.post('/api/events', (req, res) => {
    const row = toRow(req.body, Date.now())
    insert.run(row)
    res.status(201).json({ success: true, event_id: row[0] })
  })
  return { handler: app, close: async () => db.close() }
}

/** h3 + better-sqlite3: a batch inserted with one prepared INSERT per row in one transaction. */
export async function sqliteBatch(file) {
  await migrated(sqliteStorage({ file }))
  const db = openSqlite(file)
  const insert = db.prepare(INSERT_ONE)
  const insertAll = db.transaction((rows) => {
    for (const row of rows) insert.run(row)
  })
  const app = new H3().post('/api/events/batch', async (event) => {
    const now = Date.now()
    const rows = JSON.parse(await event.req.text()).events.map((e) => toRow(e, now))
    insertAll(rows)
    event.res.status = 201
    return { success: true, created_count: rows.length, event_ids: rows.map((r) => r[0]) }
  })
  return { handler: app, close: async () => db.close() }
}

/** h3 + a pg Pool (10 connections, like telltale's default): one parameterised INSERT per request. */
export async function pgRoutes(connectionString, schema) {
  await migrated(postgresStorage({ connectionString, schema }))
  const pool = new pg.Pool({ connectionString, max: 10, options: `-c search_path=${schema}` })
  const insertSql = (rows) => {
    const tuples = Array.from(
      { length: rows },
      (_, r) => `(${COLUMNS.map((_, c) => `$${r * COLUMNS.length + c + 1}`).join(', ')})`,
    )
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
      const rows = JSON.parse(await event.req.text()).events.map((e) => toRow(e, now))
      await pool.query(insertSql(rows.length), rows.flat())
      event.res.status = 201
      return { success: true, created_count: rows.length, event_ids: rows.map((r) => r[0]) }
    })
  return { handler: app, close: () => pool.end() }
}
