// What each shipped migration creates, per dialect, against a fixture that never changes: a
// migration that has shipped must build the same tables, columns, constraints and indexes (same
// names, same order) forever, or existing databases and new ones drift apart. A new migration
// adds its own fixture here; never update an existing one.
import Database from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { postgresDialect, sqliteDialect } from '../../src/storage/sql'
import { migrations } from '../../src/storage/sql/migrations'
import { createSchema, dropSchema, postgresTestUrl, testSchemaName } from '../helpers/postgres'

const SHIPPED = ['0001_foundation', '0002_metrics', '0003_accounts', '0004_due_jobs']

/** Every object in creation order, with the DDL SQLite stored for it. */
async function sqliteSchema(db: Kysely<any>): Promise<string> {
  const { rows } = await sql<{
    type: string
    name: string
    tbl_name: string
    sql: string | null
  }>`select type, name, tbl_name, sql from sqlite_master order by rowid`.execute(db)
  return rows.map((r) => `-- ${r.type} ${r.name} on ${r.tbl_name}\n${r.sql ?? '(automatic)'};\n`).join('\n')
}

/** Tables in creation order, then columns, constraints and indexes as the catalog describes them. */
async function postgresSchema(db: Kysely<any>, schema: string): Promise<string> {
  const unqualified = (text: string) => text.replaceAll(`${schema}.`, '')
  const tables = await sql<{
    name: string
  }>`select relname as name from pg_class where relnamespace = ${schema}::regnamespace and relkind = 'r' order by oid`.execute(
    db,
  )
  const columns = await sql<Record<string, unknown>>`
    select table_name, column_name, data_type, collation_name, is_nullable, column_default
    from information_schema.columns where table_schema = ${schema} order by table_name, ordinal_position`.execute(db)
  const constraints = await sql<{ table: string; name: string; definition: string }>`
    select conrelid::regclass::text as table, conname as name, pg_get_constraintdef(oid) as definition
    from pg_constraint where connamespace = ${schema}::regnamespace order by 1, 2`.execute(db)
  const indexes = await sql<{ table: string; name: string; definition: string }>`
    select tablename as table, indexname as name, indexdef as definition from pg_indexes where schemaname = ${schema} order by 1, 2`.execute(
    db,
  )
  return [
    '-- tables, in creation order',
    ...tables.rows.map((r) => r.name),
    '',
    '-- columns: table, column, type, collation, nullable, default',
    ...columns.rows.map((r) =>
      Object.values(r)
        .map((v) => v ?? '-')
        .join(' | '),
    ),
    '',
    '-- constraints',
    ...constraints.rows.map((r) => `${unqualified(r.table)} ${r.name}: ${unqualified(r.definition)}`),
    '',
    '-- indexes',
    ...indexes.rows.map((r) => `${r.table} ${r.name}: ${unqualified(r.definition)}`),
    '',
  ].join('\n')
}

describe('schema of each shipped migration', () => {
  it('lists the shipped migrations in order, at the start of the list', () => {
    expect(Object.keys(migrations(sqliteDialect)).sort().slice(0, SHIPPED.length)).toEqual(SHIPPED)
    expect(Object.keys(migrations(postgresDialect)).sort().slice(0, SHIPPED.length)).toEqual(SHIPPED)
  })

  // Each fixture is the whole schema after its migration ran on top of the ones before it.
  for (const [i, name] of SHIPPED.entries()) {
    it(`sqlite: ${name}`, async () => {
      const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) })
      try {
        for (const previous of SHIPPED.slice(0, i + 1)) await migrations(sqliteDialect)[previous].up(db)
        await expect(await sqliteSchema(db)).toMatchFileSnapshot(`./fixtures/schema/${name}.sqlite.sql`)
      } finally {
        await db.destroy()
      }
    })
  }

  const url = postgresTestUrl()
  describe.skipIf(!url)('postgres', () => {
    const schemas: string[] = []
    afterAll(async () => {
      for (const schema of schemas) await dropSchema(url!, schema)
    })

    for (const [i, name] of SHIPPED.entries()) {
      it(`postgres: ${name}`, async () => {
        const schema = testSchemaName()
        schemas.push(schema)
        await createSchema(url!, schema)
        const pool = new pg.Pool({ connectionString: url, max: 1, options: `-c search_path=${schema}` })
        const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) })
        try {
          for (const previous of SHIPPED.slice(0, i + 1)) await migrations(postgresDialect)[previous].up(db)
          await expect(await postgresSchema(db, schema)).toMatchFileSnapshot(`./fixtures/schema/${name}.postgres.txt`)
        } finally {
          await db.destroy()
        }
      })
    }
  })
})
