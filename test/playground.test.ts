// `npm start` as a person runs it: the real playground in a child process. A misconfiguration
// prints one line on stderr that says what to fix, no stack, and exits non-zero; a good config
// serves requests until SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { escapeHtml } from '../playground/home'
import { closeServer as close, freePort, listenOnFreePort, portOf } from './helpers/ports'
import { postgresSkipReason, postgresTestUrl } from './helpers/postgres'
import { dropRedisPrefix, redisSkipReason, redisTestUrl } from './helpers/redis'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const STARTED = /^telltale playground on (http:\/\/127\.0\.0\.1:(\d+)) \(database (.*)\)$/m
const KEY_LINE = /^API key for the demo project: (tt_[0-9A-Za-z]{43})$/m
const STACK_LINE = /^ {4}at /m

interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** `node --import tsx playground/server.ts` with only the given playground variables set. */
function startPlayground(env: Record<string, string>): ChildProcess & { output: { stdout: string; stderr: string } } {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => name !== 'PORT' && !name.startsWith('TELLTALE_')),
  )
  const child = spawn(process.execPath, ['--import', 'tsx', 'playground/server.ts'], {
    cwd: ROOT,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output = { stdout: '', stderr: '' }
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output.stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output.stderr += chunk))
  return Object.assign(child, { output })
}

function exited(child: ReturnType<typeof startPlayground>, timeoutMs = 15_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(
        new Error(
          `playground still running after ${timeoutMs} ms; output so far:\n${child.output.stdout}${child.output.stderr}`,
        ),
      )
    }, timeoutMs)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, ...child.output })
    })
  })
}

/** Resolves once the "playground on" line and the key line are out. */
function started(
  child: ReturnType<typeof startPlayground>,
  timeoutMs = 15_000,
): Promise<{ base: string; line: string; key: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `no "playground on" line after ${timeoutMs} ms; output so far:\n${child.output.stdout}${child.output.stderr}`,
          ),
        ),
      timeoutMs,
    )
    const check = () => {
      const match = STARTED.exec(child.output.stdout)
      const key = KEY_LINE.exec(child.output.stdout)?.[1]
      if (!match || !key) return
      clearTimeout(timer)
      child.stdout?.off('data', check)
      resolve({ base: match[1], line: match[0], key })
    }
    child.stdout?.on('data', check)
    child.once('close', () => {
      clearTimeout(timer)
      reject(new Error(`playground exited before listening:\n${child.output.stdout}${child.output.stderr}`))
    })
  })
}

/** Runs a misconfigured start and checks the one-line answer. */
async function expectOneLine(env: Record<string, string>, hint: RegExp): Promise<string> {
  const run = await exited(startPlayground(env))
  expect(run.code, `exit code; stderr:\n${run.stderr}`).not.toBe(0)
  expect(run.code).not.toBeNull()
  expect(run.stderr).not.toMatch(STACK_LINE)
  expect(run.stderr.endsWith('\n')).toBe(true)
  const lines = run.stderr.trimEnd().split('\n')
  expect(lines, run.stderr).toHaveLength(1)
  expect(lines[0]).toMatch(hint)
  expect(run.stdout).toBe('')
  return lines[0]
}

const dir = mkdtempSync(join(tmpdir(), 'telltale-playground-'))
const dbFile = (name: string) => join(dir, `${name}.db`)
afterAll(() => {
  if (existsSync(join(dir, 'readonly'))) chmodSync(join(dir, 'readonly'), 0o755)
  rmSync(dir, { recursive: true, force: true })
})

/**
 * A directory this process cannot create files in. root can write to any directory with plain
 * permissions, so as root it is /proc (Linux), where nobody can create files.
 */
function unwritableDir(): string | undefined {
  if (process.getuid?.() === 0) return existsSync('/proc/self') ? '/proc' : undefined
  const readonly = join(dir, 'readonly')
  mkdirSync(readonly, { mode: 0o555 })
  return readonly
}

describe('a misconfigured playground prints one line and exits', () => {
  it('TELLTALE_API_KEY in the wrong format', async () => {
    const line = await expectOneLine(
      { TELLTALE_DB: dbFile('key'), PORT: '0', TELLTALE_API_KEY: 'tt_not-a-real-key' },
      /^TELLTALE_API_KEY .*tt_ followed by 43 letters or digits.*unset it/,
    )
    expect(line).not.toContain('not-a-real-key') // a key is a secret: not echoed
  })

  it('a key one character too long', async () => {
    await expectOneLine(
      { TELLTALE_DB: dbFile('key-long'), PORT: '0', TELLTALE_API_KEY: `tt_${'A'.repeat(44)}` },
      /got 47 characters/,
    )
  })

  it.each(['abc', '70000', '-1', '3.5'])('PORT=%s', async (port) => {
    await expectOneLine(
      { TELLTALE_DB: dbFile(`port-${port}`), PORT: port },
      /^PORT=".*" is not a port: set PORT to a whole number from 0 to 65535/,
    )
  })

  it('the port is already in use', async () => {
    const taken = await listenOnFreePort()
    try {
      const port = portOf(taken)
      await expectOneLine(
        { TELLTALE_DB: dbFile('in-use'), PORT: String(port) },
        new RegExp(`^port ${port} on 127\\.0\\.0\\.1 is already in use: .*PORT=\\d+ npm start`),
      )
    } finally {
      await close(taken)
    }
  })

  it('TELLTALE_DB in a directory that does not exist', async () => {
    const missing = join(dir, 'missing', 'deeper')
    await expectOneLine(
      { TELLTALE_DB: join(missing, 'telltale.db'), PORT: '0' },
      new RegExp(`does not exist .*mkdir -p ${missing}`),
    )
  })

  it('TELLTALE_DB in a directory that is not writable', async ({ skip }) => {
    const readonly = unwritableDir()
    if (!readonly) skip('no unwritable directory for root on this system')
    await expectOneLine(
      { TELLTALE_DB: join(readonly!, 'telltale.db'), PORT: '0' },
      /cannot be opened or created .*point TELLTALE_DB at a file in a directory you can write to/,
    )
  })

  it('TELLTALE_DB is a directory', async () => {
    await expectOneLine({ TELLTALE_DB: dir, PORT: '0' }, /is a directory: point TELLTALE_DB at a database file/)
  })

  it('TELLTALE_DB is not a SQLite database', async () => {
    const notes = join(dir, 'notes.txt')
    writeFileSync(notes, 'these are not the tables you are looking for\n'.repeat(100))
    await expectOneLine({ TELLTALE_DB: notes, PORT: '0' }, /is not a SQLite database: point TELLTALE_DB at a new file/)
  })

  it('TELLTALE_DATABASE_URL that is not a Postgres URL', async () => {
    const line = await expectOneLine(
      { TELLTALE_DATABASE_URL: 'mysql://root:hunter2@127.0.0.1/app', PORT: '0' },
      /^TELLTALE_DATABASE_URL is not a Postgres URL: write it as postgres:\/\//,
    )
    expect(line).not.toContain('hunter2')
  })

  it('both TELLTALE_DB and TELLTALE_DATABASE_URL', async () => {
    await expectOneLine(
      { TELLTALE_DB: dbFile('both'), TELLTALE_DATABASE_URL: 'postgres://postgres@127.0.0.1/test', PORT: '0' },
      /^TELLTALE_DB and TELLTALE_DATABASE_URL are set: set only one \(TELLTALE_STORAGE takes any of postgres:\/\/.*redis:\/\/.*kv:memory, kv:fs:/,
    )
  })

  it('TELLTALE_STORAGE of a kind no adapter serves, without repeating its password', async () => {
    const line = await expectOneLine(
      { TELLTALE_STORAGE: 'mysql://root:hunter2@127.0.0.1/app', PORT: '0' },
      /^TELLTALE_STORAGE is not a storage this playground knows: write it as one of postgres:\/\//,
    )
    expect(line).not.toContain('hunter2')
    await expectOneLine(
      { TELLTALE_STORAGE: 'kv:s3', PORT: '0' },
      /^TELLTALE_STORAGE=kv:s3 is not a kv store this playground knows: use kv:memory, or kv:fs:<directory>/,
    )
  })

  it('TELLTALE_STORAGE together with TELLTALE_DB', async () => {
    await expectOneLine(
      { TELLTALE_STORAGE: 'kv:memory', TELLTALE_DB: dbFile('both-storage'), PORT: '0' },
      /^TELLTALE_STORAGE and TELLTALE_DB are set: set only one/,
    )
  })

  it('no Redis server at TELLTALE_STORAGE (connection refused)', async () => {
    const port = await freePort()
    await expectOneLine(
      { TELLTALE_STORAGE: `redis://127.0.0.1:${port}`, PORT: '0' },
      new RegExp(`^no Redis server answers at 127\\.0\\.0\\.1:${port} \\(connection refused\\): start Redis`),
    )
  })

  it('errors name TELLTALE_STORAGE when it named the store', async () => {
    const port = await freePort()
    await expectOneLine(
      { TELLTALE_STORAGE: `postgres://postgres@127.0.0.1:${port}/test`, PORT: '0' },
      /start Postgres, or fix the host and port in TELLTALE_STORAGE$/,
    )
    const missing = join(dir, 'missing-storage', 'deeper')
    await expectOneLine(
      { TELLTALE_STORAGE: `sqlite:${join(missing, 'telltale.db')}`, PORT: '0' },
      new RegExp(
        `^TELLTALE_STORAGE=sqlite:${missing}/telltale\\.db is in a directory that does not exist .*point TELLTALE_STORAGE at a file`,
      ),
    )
    const notes = join(dir, 'notes-storage.txt')
    writeFileSync(notes, 'not a database\n'.repeat(200))
    await expectOneLine(
      { TELLTALE_STORAGE: `sqlite:${notes}`, PORT: '0' },
      /^TELLTALE_STORAGE=sqlite:.* is not a SQLite database: point TELLTALE_STORAGE at a new file/,
    )
  })

  it('no Postgres server at TELLTALE_DATABASE_URL (connection refused)', async () => {
    const port = await freePort()
    await expectOneLine(
      { TELLTALE_DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/test`, PORT: '0' },
      new RegExp(`no Postgres server answers at 127\\.0\\.0\\.1:${port} \\(connection refused\\): start Postgres`),
    )
  })
})

const pgUrl = postgresTestUrl()
if (!pgUrl) describe.skip(`playground on postgres: ${postgresSkipReason}`, () => {})

describe.runIf(pgUrl)('playground on postgres', () => {
  it('a database name that does not exist', async () => {
    const url = new URL(pgUrl!)
    url.pathname = '/telltale_no_such_database'
    await expectOneLine(
      { TELLTALE_DATABASE_URL: url.href, PORT: '0' },
      /the Postgres database "telltale_no_such_database" does not exist on .*: create it \(createdb .*\) or fix the database name in TELLTALE_DATABASE_URL$/,
    )
    await expectOneLine(
      { TELLTALE_STORAGE: url.href, PORT: '0' },
      /does not exist on .* or fix the database name in TELLTALE_STORAGE$/,
    )
  })

  describe('in a throwaway database', () => {
    // A database of its own: telltale's tables in the shared test database's public schema
    // would disturb the other suites' migrations (see test/bench/postgres.ts).
    const name = `telltale_playground_${process.pid}_${Date.now().toString(36)}`
    const admin = async (statement: string) => {
      const client = new pg.Client({ connectionString: pgUrl })
      await client.connect()
      try {
        await client.query(statement)
      } finally {
        await client.end()
      }
    }
    beforeAll(() => admin(`create database "${name}"`))
    afterAll(() => admin(`drop database if exists "${name}" with (force)`))

    it('starts, serves and stops on SIGTERM', async () => {
      const url = new URL(pgUrl!)
      url.pathname = `/${name}`
      url.password = 'not-shown'
      const child = startPlayground({ TELLTALE_DATABASE_URL: url.href, PORT: '0' })
      try {
        const { base, line } = await started(child)
        expect(line).toContain(', demo data seeded')
        expect(line).not.toContain('not-shown')
        expect(line).toContain(`:***@`)
        expect(await fetch(`${base}/healthz`).then((r) => r.json())).toEqual({ ok: true })
      } finally {
        child.kill('SIGTERM')
      }
      const run = await exited(child)
      expect(run.code).toBe(0)
      expect(run.stderr).toBe('')
    })
  })
})

/** Starts, checks the first line names the store, takes an event with the printed key, stops cleanly on SIGTERM. */
async function serves(env: Record<string, string>, shown: string, seeded: boolean) {
  const child = startPlayground({ ...env, PORT: '0' })
  try {
    const { base, line, key } = await started(child)
    expect(line).toBe(`telltale playground on ${base} (database ${shown}${seeded ? ', demo data seeded' : ''})`)
    expect(await fetch(`${base}/healthz`).then((r) => r.json())).toEqual({ ok: true })
    // The home page: what runs, on which store, the key's prefix (never the key), links into the README.
    const home = await fetch(`${base}/`)
    expect(home.status).toBe(200)
    expect(home.headers.get('content-type')).toMatch(/^text\/html/)
    const html = await home.text()
    expect(html).toContain(`<code>${escapeHtml(shown)}</code>`)
    expect(html).toContain(`<code>${key.slice(0, 15)}…</code>`)
    expect(html).not.toContain(key)
    expect(html).toContain(`curl -X POST ${base}/api/events`)
    for (const anchor of ['embed-it', 'storage-adapters', 'in-process-api']) {
      expect(html).toContain(`href="/readme#${anchor}"`)
    }
    expect(await fetch(`${base}/readme`).then((r) => r.text())).toContain('<h2 id="embed-it">Embed it</h2>')
    const response = await fetch(`${base}/api/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'user_signup', user_id: '123' }),
    })
    expect(response.status).toBe(201)
    // The demo project has the SaaS pack, computed from the seeded payments.
    const metrics = await fetch(`${base}/api/metrics/values`, { headers: { authorization: `Bearer ${key}` } }).then(
      (r) => r.json(),
    )
    expect(metrics.data).toHaveLength(11)
    if (seeded) expect(metrics.data.find((m: { slug: string }) => m.slug === 'mrr').value).toBeGreaterThan(0)
    // The printed demo login signs in (StatusCore), as an admin of the demo project.
    const [, email, password] = /^Demo login \(StatusCore\): (\S+) \/ (\S+)$/m.exec(child.output.stdout) ?? []
    const signedIn = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    }).then(async (r) => ({ status: r.status, body: await r.json() }))
    expect(signedIn).toMatchObject({ status: 200, body: { user: { email: 'demo@example.com' } } })
  } finally {
    child.kill('SIGTERM')
  }
  const run = await exited(child)
  expect(run.code).toBe(0)
  expect(run.stderr).toBe('')
}

describe('a well-configured playground', () => {
  it('starts on a fresh SQLite file, takes an event with the printed key, and stops on SIGTERM', async () => {
    const file = dbFile('happy')
    await serves({ TELLTALE_DB: file }, file, true)
  })
})

describe('TELLTALE_STORAGE picks any adapter without code', () => {
  it('kv:memory', async () => {
    await serves({ TELLTALE_STORAGE: 'kv:memory' }, 'kv:memory, gone when the process exits', true)
  })

  it('kv:fs:<dir> keeps its data across restarts', async () => {
    const data = join(dir, 'kv-data')
    await serves({ TELLTALE_STORAGE: `kv:fs:${data}` }, `kv:fs:${data}`, true)
    await serves({ TELLTALE_STORAGE: `kv:fs:${data}` }, `kv:fs:${data}`, false)
  })

  it('sqlite:<file>', async () => {
    const file = dbFile('storage-sqlite')
    await serves({ TELLTALE_STORAGE: `sqlite:${file}` }, file, true)
  })

  const redisUrl = redisTestUrl()
  it.runIf(redisUrl)('redis://', async () => {
    // Database 9 of the test Redis, so the playground's default prefix meets no other test's keys.
    const url = new URL(redisUrl!)
    url.pathname = '/9'
    try {
      await serves({ TELLTALE_STORAGE: url.href }, url.href, true)
      await serves({ TELLTALE_STORAGE: url.href }, url.href, false)
    } finally {
      await dropRedisPrefix(url.href, 'telltale:')
    }
  })
  it.runIf(redisUrl)(
    'redis:// naming a database the server does not have fails the start, writing nothing to database 0',
    async () => {
      const url = new URL(redisUrl!)
      url.pathname = '/99' // the test Redis has the default 16 databases
      const db0 = new Redis(redisUrl!)
      try {
        const before = await db0.exists('telltale:schema')
        await expectOneLine(
          { TELLTALE_STORAGE: url.href, PORT: '0' },
          /^TELLTALE_STORAGE: this Redis has no database 99 .*use one it has/,
        )
        expect(await db0.exists('telltale:schema')).toBe(before)
        if (before === 0) expect(await db0.keys('telltale:*')).toEqual([])
      } finally {
        db0.disconnect()
      }
    },
  )
  if (!redisUrl) it.skip(`redis://: ${redisSkipReason}`, () => {})
})
