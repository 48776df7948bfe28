// Loading the data set. Two ways, chosen with BENCH_LOAD:
//  - `bulk` (default): straight into telltale_events, the table telltale migrated, bypassing the
//    storage API: on SQLite one prepared INSERT run in a transaction per chunk (better-sqlite3), on
//    Postgres one `INSERT ... SELECT FROM unnest($1::uuid[], ...)` per chunk (12 array parameters,
//    so no 65535-parameter limit and one round trip per chunk; pg has no COPY without an extra
//    package). Same rows, same columns, same encoding as storage.events.insert writes.
//  - `insert`: through storage.events.insert({ projectId, events }) in chunks: the real ingest
//    path, several times slower.
import type Database from 'better-sqlite3'
import type pg from 'pg'
import type { NewEvent, Storage } from '../../../src/storage'

export type LoadMode = 'bulk' | 'insert'

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
] as const

const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v))

export interface Loader {
  /** Writes one chunk. */
  load(events: NewEvent[]): Promise<void>
}

export function storageLoader(storage: Storage, projectId: string): Loader {
  return {
    async load(events) {
      await storage.events.insert({ projectId, events })
    },
  }
}

export function sqliteBulkLoader(db: Database.Database, projectId: string): Loader {
  const insert = db.prepare(
    `insert into telltale_events (${COLUMNS.join(', ')}) values (${COLUMNS.map(() => '?').join(', ')})`,
  )
  const many = db.transaction((events: NewEvent[]) => {
    for (const e of events) {
      insert.run(
        e.id,
        projectId,
        e.name,
        e.timestamp,
        e.receivedAt,
        e.userId,
        e.userEmail,
        e.userName,
        e.value,
        json(e.properties),
        json(e.tags),
        e.clientId,
      )
    }
  })
  return {
    async load(events) {
      many(events)
    },
  }
}

export function postgresBulkLoader(client: pg.Client, projectId: string): Loader {
  const types = ['uuid', 'uuid', 'text', 'bigint', 'bigint', 'text', 'text', 'text', 'float8', 'jsonb', 'jsonb', 'text']
  const text = `insert into telltale_events (${COLUMNS.join(', ')}) select * from unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`
  return {
    async load(events) {
      const columns: unknown[][] = COLUMNS.map(() => new Array(events.length))
      events.forEach((e, i) => {
        const row = [
          e.id,
          projectId,
          e.name,
          e.timestamp,
          e.receivedAt,
          e.userId,
          e.userEmail,
          e.userName,
          e.value,
          json(e.properties),
          json(e.tags),
          e.clientId,
        ]
        for (let c = 0; c < row.length; c++) columns[c][i] = row[c]
      })
      await client.query(text, columns)
    },
  }
}
