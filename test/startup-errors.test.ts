// A misconfigured start says in one line what to fix: every option and adapter failure at
// createTelltale (or the adapter factory it is given) and at ready() is a TelltaleError of kind
// `config` or `unavailable` whose first line names the option or package and the fix. On the real
// drivers: a real SQLite file, a real Postgres and Redis (and ports nothing listens on).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { createTelltale, isTelltaleError, type TelltaleError } from 'telltale'
import { kvStorage } from 'telltale/adapters/kv'
import { manualScheduler } from 'telltale/adapters/manual'
import { postgresStorage } from 'telltale/adapters/postgres'
import { redisStorage } from 'telltale/adapters/redis'
import { sqliteStorage } from 'telltale/adapters/sqlite'
import { afterAll, describe, expect, test, vi } from 'vitest'
import { importDriver, requireDriver } from '../adapters/driver'
import { freePort } from './helpers/ports'
import { postgresTestUrl } from './helpers/postgres'
import { redisTestUrl, testRedisPrefix } from './helpers/redis'

const dir = mkdtempSync(join(tmpdir(), 'telltale-startup-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The TelltaleError that `run` throws or rejects with; anything else fails the test. */
async function startupError(run: () => unknown): Promise<TelltaleError> {
  let error: unknown
  try {
    await run()
  } catch (caught) {
    error = caught
  }
  if (!isTelltaleError(error))
    throw new Error(
      `expected a TelltaleError, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    )
  expect(error.message.split('\n')).toHaveLength(1)
  return error
}

/** Starts a telltale on the storage the factory makes (the factory may throw too). */
async function start(makeStorage: () => Parameters<typeof createTelltale>[0]['storage']): Promise<void> {
  const telltale = createTelltale({ storage: makeStorage(), scheduler: manualScheduler() })
  try {
    await telltale.ready()
  } finally {
    await telltale.close()
  }
}

describe('createTelltale options', () => {
  test.each([
    ['no options', undefined, /^telltale: createTelltale needs its options: createTelltale\(\{ storage: sqliteStorage/],
    [
      'storage missing',
      {},
      /^telltale: createTelltale needs a storage: .*sqliteStorage\(\{ file: '\.\/telltale\.db' \}\)/,
    ],
    ['storage undefined', { storage: undefined }, /createTelltale needs a storage/],
    ['storage as the factory, not called', { storage: sqliteStorage }, /createTelltale storage is a function: call it/],
    ['storage that is no storage', { storage: { file: './x.db' } }, /createTelltale storage is not a telltale storage/],
    ['a misspelt option', { storag: 1 }, /createTelltale has no option "storag": did you mean "storage"\?/],
    ['an unknown option', { database: 'x' }, /createTelltale has no option "database" \(the options are storage, /],
    [
      'a scheduler that is not one',
      { storage: sqliteStorage({ file: ':memory:' }), scheduler: {} },
      /createTelltale scheduler must be a Scheduler: cronerScheduler\(\)/,
    ],
    [
      'basePath not a string',
      { storage: sqliteStorage({ file: ':memory:' }), basePath: 1 },
      /createTelltale basePath must be a path/,
    ],
    [
      'a clock without now',
      { storage: sqliteStorage({ file: ':memory:' }), clock: Date },
      /createTelltale clock must be \{ now\(\): number \}/,
    ],
    [
      'a rate limit of no surface',
      { storage: sqliteStorage({ file: ':memory:' }), limits: { rateLimits: { fluxx: {} } } },
      /limits\.rateLimits\.fluxx is not a surface; use one of/,
    ],
    [
      'a body limit that is not a number',
      { storage: sqliteStorage({ file: ':memory:' }), limits: { maxBodyBytes: '1mb' } },
      /limits\.maxBodyBytes must be a whole number >= 1/,
    ],
  ])('%s', async (_name, options, message) => {
    const error = await startupError(() => createTelltale(options as never))
    expect(error.kind).toBe('config')
    expect(error.message).toMatch(message)
  })
})

describe('SQLite', () => {
  test('a file in a directory that does not exist names the directory and mkdir', async () => {
    const missing = join(dir, 'no', 'such')
    const error = await startupError(() => start(() => sqliteStorage({ file: join(missing, 'telltale.db') })))
    expect(error.kind).toBe('config')
    expect(error.message).toBe(
      `telltale: sqliteStorage file ${missing}/telltale.db is in a directory that does not exist (${missing}): create it (mkdir -p ${missing}) or choose a file in an existing directory`,
    )
  })

  test('a directory in place of the file', async () => {
    const error = await startupError(() => start(() => sqliteStorage({ file: dir })))
    expect(error.kind).toBe('config')
    expect(error.message).toMatch(/sqliteStorage file .* is a directory: name a database file/)
  })

  test('a file that is not a SQLite database', async () => {
    const notes = join(dir, 'notes.txt')
    writeFileSync(notes, 'not a database\n'.repeat(200))
    const error = await startupError(() => start(() => sqliteStorage({ file: notes })))
    expect(error.kind).toBe('config')
    expect(error.message).toMatch(/sqliteStorage file .*notes\.txt is not a SQLite database: choose a new file/)
  })

  test('options of the wrong kind', async () => {
    expect((await startupError(() => sqliteStorage({ file: 42 as never }))).message).toMatch(
      /sqliteStorage file must be a path/,
    )
    expect((await startupError(() => sqliteStorage({ synchronous: 'extra' as never }))).message).toMatch(
      /sqliteStorage synchronous must be 'normal' or 'full'/,
    )
    expect((await startupError(() => sqliteStorage({ database: {} as never }))).message).toMatch(
      /sqliteStorage database must be a better-sqlite3 Database/,
    )
  })
})

describe('a driver package that is not installed', () => {
  test('names the package and the npm install line', async () => {
    const missing = 'telltale-no-such-driver' // a variable, so that TypeScript does not look for its types
    const error = await startupError(async () =>
      requireDriver(await importDriver(() => import(missing)), 'telltale-no-such-driver', 'someStorage'),
    )
    expect(error.kind).toBe('config')
    expect(error.message).toBe(
      'telltale: someStorage needs the telltale-no-such-driver package, which is not installed: npm install telltale-no-such-driver',
    )
  })
})

const pgUrl = postgresTestUrl()
describe.runIf(pgUrl)('Postgres', () => {
  test('nothing listens at the host and port: unavailable, naming connectionString', async () => {
    const port = await freePort()
    const error = await startupError(() =>
      start(() => postgresStorage({ connectionString: `postgres://postgres@127.0.0.1:${port}/test` })),
    )
    expect(error.kind).toBe('unavailable')
    expect(error.message).toBe(
      `telltale: Postgres at 127.0.0.1:${port} refused the connection (nothing listens there): start Postgres, or fix the host and port in connectionString`,
    )
  })

  test('a database that does not exist', async () => {
    const url = new URL(pgUrl!)
    url.pathname = '/telltale_no_such_database'
    const error = await startupError(() => start(() => postgresStorage({ connectionString: url.href })))
    expect(error.kind).toBe('config')
    expect(error.message).toMatch(
      /^telltale: the Postgres database "telltale_no_such_database" does not exist on .*: create it \(createdb telltale_no_such_database\)/,
    )
  })

  test.each(['tt-test', '1abc', 'a'.repeat(64), 'public; drop table x'])('schema name %j', async (schema) => {
    const error = await startupError(() => start(() => postgresStorage({ connectionString: pgUrl!, schema })))
    expect(error.kind).toBe('config')
    expect(error.message).toMatch(
      /^telltale: postgresStorage schema .* is not a plain identifier: use letters, digits and _/,
    )
  })

  test('a connection string that is not a Postgres URL, without repeating it', async () => {
    const error = await startupError(() =>
      start(() => postgresStorage({ connectionString: 'mysql://root:hunter2@127.0.0.1/app' })),
    )
    expect(error.message).toBe(
      'telltale: postgresStorage connectionString is not a Postgres URL: write it as postgres://user:password@host:5432/database',
    )
  })

  test('a request while the store is down gets a 503 that names nothing of the setup; the reason goes to the log', async () => {
    const port = await freePort()
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const telltale = createTelltale({
      storage: postgresStorage({ connectionString: `postgres://postgres@127.0.0.1:${port}/test` }),
      scheduler: manualScheduler(),
    })
    try {
      const response = await telltale.fetch(
        new Request('http://x/api/events', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"event":"x"}',
        }),
      )
      expect(response.status).toBe(503)
      expect(await response.json()).toEqual({ message: 'The service is unavailable.' })
      expect(log).toHaveBeenCalledWith(
        expect.stringMatching(
          /^\[telltale\] cannot serve requests: telltale: Postgres at 127\.0\.0\.1:\d+ refused the connection/,
        ),
      )
    } finally {
      log.mockRestore()
      await telltale.close()
    }
  })
})

const redisUrl = redisTestUrl()
describe.runIf(redisUrl)('Redis', () => {
  test('nothing listens at the host and port: unavailable, naming the url', async () => {
    const port = await freePort()
    const error = await startupError(() => start(() => redisStorage({ url: `redis://127.0.0.1:${port}` })))
    expect(error.kind).toBe('unavailable')
    expect(error.message).toMatch(
      new RegExp(
        `^telltale: Redis at 127\\.0\\.0\\.1:${port} does not answer \\(.*ECONNREFUSED.*\\): start it, or fix the url$`,
      ),
    )
  })

  test('a database the server does not have fails the start and writes nothing to database 0', async () => {
    const prefix = testRedisPrefix()
    const url = new URL(redisUrl!)
    url.pathname = '/99' // the test Redis has the default 16 databases
    const error = await startupError(() => start(() => redisStorage({ url: url.href, prefix })))
    expect(error.kind).toBe('config')
    expect(error.message).toMatch(
      /^telltale: this Redis has no database 99 \(ERR DB index is out of range\): use one it has/,
    )
    const db0 = new Redis(redisUrl!)
    try {
      expect(await db0.keys(`${prefix}*`)).toEqual([])
    } finally {
      db0.disconnect()
    }
  })

  test('a url that is not a Redis URL', async () => {
    const error = await startupError(() => redisStorage({ url: 'http://127.0.0.1:6379' }))
    expect(error.message).toBe(
      'telltale: redisStorage url must start with redis://, rediss:// or unix:// (e.g. redis://127.0.0.1:6379/0)',
    )
  })
})

test('kv without an unstorage storage', async () => {
  const error = await startupError(() => kvStorage({} as never))
  expect(error.kind).toBe('config')
  expect(error.message).toMatch(
    /^telltale: kvStorage needs \{ storage \}: an unstorage Storage, e\.g\. kvStorage\(\{ storage: createStorage\(\) \}\)/,
  )
})
