// HTTP fuzzing of every route, against a telltale server in a child process (a request that hangs
// the event loop cannot be caught in-process). See test/fuzz/README.md.
//
//   FUZZ_SEED=1234        replay a run (the seed is printed with every failure)
//   FUZZ_REQUESTS=2000    requests per adapter
//   FUZZ_TIMEOUT_MS=5000  how long a request may take before it counts as a hang
//   FUZZ_SURFACES=test/surfaces/echo/index.ts#echo
//                         test-only surfaces served besides telltale's own (module#export, comma-separated;
//                         empty for none): the generic pass fuzzes them from their definition
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { dropSchema, postgresSkipReason, postgresTestUrl, testSchemaName } from '../helpers/postgres'
import { seedFromEnv } from '../helpers/prng'
import { dropRedisPrefix, redisSkipReason, redisTestUrl, testRedisPrefix } from '../helpers/redis'
import { tempSqliteFile } from '../helpers/sqlite'
import { formatReport, writeJsonReport } from './report'
import { type RunResult, runFuzz } from './runner'
import type { ServerSpec } from './server'
import { surfaceRefs } from './surfaces'

const SEED = seedFromEnv()
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 2000)
const TIMEOUT_MS = Number(process.env.FUZZ_TIMEOUT_MS ?? 5000)
const MAX_LISTED = 20
/** By default the test-only echo surface: proof that a surface nobody wrote requests for is fuzzed. */
const SURFACES = surfaceRefs(process.env.FUZZ_SURFACES ?? 'test/surfaces/echo/index.ts#echo')

// Throws under CI=true when the URL is missing; locally Postgres is skipped with one line.
const postgresUrl = postgresTestUrl()
const redisUrl = redisTestUrl()

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const newKey = () => `tt_${[...randomBytes(43)].map((b) => BASE62[b % 62]).join('')}`

async function fuzz(label: string, spec: ServerSpec): Promise<RunResult> {
  const result = await runFuzz({
    label,
    spec: { ...spec, surfaces: SURFACES },
    seed: SEED,
    requests: REQUESTS,
    timeoutMs: TIMEOUT_MS,
    log: (line) => console.log(line),
  })
  const report = formatReport(result, MAX_LISTED)
  const file = writeJsonReport(result)
  console.log(`${report}\nfull report: ${file}`)
  return result
}

function verdict(result: RunResult): void {
  if (result.failures.length === 0) return
  const report = formatReport(result, MAX_LISTED)
  expect.fail(
    `${report}\n\nReplay with FUZZ_SEED=${result.seed}. In each curl, $BASE is the server (e.g. npm start's http://127.0.0.1:3000) and $KEY a read+write key.`,
  )
}

// The adapters run concurrently: each has its own server process, and the parent mostly waits.
describe.concurrent(`http fuzz (FUZZ_SEED=${SEED})`, () => {
  test('sqlite', async () => {
    const db = tempSqliteFile('fuzz')
    try {
      verdict(await fuzz('sqlite', { adapter: 'sqlite', file: db.file, keys: { fuzz: newKey(), other: newKey() } }))
    } finally {
      db.remove()
    }
  }, 180_000)

  if (postgresUrl) {
    const schema = testSchemaName('tt_fuzz_')
    afterAll(() => dropSchema(postgresUrl, schema))
    test('postgres', async () => {
      verdict(
        await fuzz('postgres', {
          adapter: 'postgres',
          url: postgresUrl,
          schema,
          keys: { fuzz: newKey(), other: newKey() },
        }),
      )
    }, 180_000)
  } else {
    test.skip(`postgres: ${postgresSkipReason}`, () => {})
  }

  if (redisUrl) {
    test('redis', async () => {
      const prefix = testRedisPrefix()
      try {
        verdict(
          await fuzz('redis', { adapter: 'redis', url: redisUrl, prefix, keys: { fuzz: newKey(), other: newKey() } }),
        )
      } finally {
        await dropRedisPrefix(redisUrl, prefix)
      }
    }, 180_000)
  } else {
    test.skip(`redis: ${redisSkipReason}`, () => {})
  }

  test('kv (fs driver)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'telltale-fuzz-kv-'))
    try {
      verdict(await fuzz('kv', { adapter: 'kv', dir, keys: { fuzz: newKey(), other: newKey() } }))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 180_000)
})
