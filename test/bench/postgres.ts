// Postgres for the bench: a reachability check, and a throwaway database holding one schema per
// measurement, all dropped at the end.
//
// Why a database of its own: telltale's migrator (Kysely's, without `migrationTableSchema`) looks
// for its bookkeeping tables in *every* schema of the database. If another telltale schema exists
// in the shared database (someone else's tests or bench), migrating a new schema fails with
// `relation "telltale_migrations_lock" does not exist`. For the same reason each schema here is
// dropped before the next one is created.
import pg from 'pg'

export const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** `undefined` when Postgres answers, else why not. */
export async function postgresProblem(): Promise<string | undefined> {
  try {
    await withClient(PG_URL, (client) => client.query('select 1'))
    return undefined
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  }
}

export interface BenchDatabase {
  /** Connection string of the throwaway database. */
  url: string
  /** Runs `use` with a fresh schema name (the server creates the schema), then drops the schema. */
  withSchema<T>(label: string, use: (schema: string) => Promise<T>): Promise<T>
  /** Drops the database (forcing out any connection still open). */
  drop(): Promise<void>
}

export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `telltale_bench_${process.pid}_${Date.now().toString(36)}`
  await withClient(PG_URL, (client) => client.query(`create database "${name}"`))
  const url = new URL(PG_URL)
  url.pathname = `/${name}`
  let dropped = false
  return {
    url: url.href,
    async withSchema(label, use) {
      const schema = `bench_${label.replace(/[^a-z0-9]/gi, '_')}`.toLowerCase()
      try {
        return await use(schema)
      } finally {
        await withClient(url.href, (client) => client.query(`drop schema if exists "${schema}" cascade`))
      }
    },
    async drop() {
      if (dropped) return
      dropped = true
      await withClient(PG_URL, (client) => client.query(`drop database if exists "${name}" with (force)`))
    },
  }
}

async function withClient<T>(connectionString: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 5000 })
  await client.connect()
  try {
    return await use(client)
  } finally {
    await client.end().catch(() => {})
  }
}
