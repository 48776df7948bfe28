// Postgres for tests: the URL from the environment, and throwaway schemas.
import { randomBytes } from 'node:crypto'
import pg from 'pg'

export const POSTGRES_URL_ENV = 'TELLTALE_TEST_POSTGRES_URL'

/**
 * The test database URL (`TELLTALE_TEST_POSTGRES_URL`), or `undefined` to skip Postgres tests
 * locally. In CI (`CI=true`) a missing URL throws: the Postgres suite must not silently skip there.
 */
export function postgresTestUrl(): string | undefined {
  const url = process.env[POSTGRES_URL_ENV]
  if (url) return url
  if (process.env.CI === 'true') throw new Error(`${POSTGRES_URL_ENV} is not set: CI must run the Postgres tests`)
  return undefined
}

/** Why Postgres tests are skipped, for `describe.skip`. */
export const postgresSkipReason = `${POSTGRES_URL_ENV} is not set (e.g. postgres://postgres@127.0.0.1:5432/test)`

/** A fresh schema name, `tt_test_<random>`, unique per call. */
export function testSchemaName(prefix = 'tt_test_'): string {
  return `${prefix}${randomBytes(6).toString('hex')}`
}

/** Runs one statement on a short-lived client of its own (not the pool under test). */
async function runOnce(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

const quoted = (schema: string) => `"${schema.replace(/"/g, '""')}"`

export const createSchema = (url: string, schema: string) =>
  runOnce(url, `create schema if not exists ${quoted(schema)}`)

export const dropSchema = (url: string, schema: string) =>
  runOnce(url, `drop schema if exists ${quoted(schema)} cascade`)
