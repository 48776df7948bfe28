// `npm run test:frameworks`: the README's recipes, run as a new user would run them. Builds
// telltale, packs it, installs the tarball into this folder (its own package.json and lock pin the
// frameworks), builds each fixture with the real framework, starts it on 127.0.0.1 and sends real
// HTTP requests through it. Prints PASS/FAIL per check and exits non-zero on any failure.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const DIR = fileURLToPath(new URL('.', import.meta.url))
const FIXTURES = join(DIR, 'fixtures')
const CI = process.env.CI === 'true'
const started = Date.now()

/** A well-formed key that the seeded project has, and one that nobody has. */
const KEY = `tt_${base62(43)}`
const UNKNOWN_KEY = `tt_${base62(43)}`
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

interface Target {
  name: string
  /** Where telltale's routes are, seen from outside. */
  prefix: string
  cwd: string
  /** Built with the framework's own CLI first (nothing for Express and node:http). */
  build?: string[]
  start: string[]
  env?: Record<string, string>
  /** A page of the host app that must still render (Nuxt). */
  page?: string
}

const nitroServer = ['node', '.output/server/index.mjs']
const TARGETS: Target[] = [
  { name: 'Express 5, app.use(toNodeHandler(telltale))', prefix: '', cwd: join(FIXTURES, 'express'), start: ['node', 'server.mjs'] },
  {
    name: "Express 5, app.use('/telltale', toNodeHandler(telltale))",
    prefix: '/telltale',
    cwd: join(FIXTURES, 'express'),
    start: ['node', 'server.mjs'],
    env: { MOUNT: '/telltale' },
  },
  { name: 'node:http, basePath /telltale', prefix: '/telltale', cwd: join(FIXTURES, 'node-http'), start: ['node', 'server.mjs'] },
  {
    name: 'nitropack 2 (h3 v1), toNitroHandler',
    prefix: '/telltale',
    cwd: join(FIXTURES, 'nitropack'),
    build: ['node', join(DIR, 'node_modules/nitropack/dist/cli/index.mjs'), 'build'],
    start: nitroServer,
  },
  {
    name: 'Nitro 3, export default telltale.app',
    prefix: '/telltale',
    cwd: join(FIXTURES, 'nitro3'),
    build: ['node', join(DIR, 'node_modules/nitro/dist/cli/index.mjs'), 'build'],
    start: nitroServer,
  },
  {
    name: 'Nuxt 4 (h3 v1), toNitroHandler',
    prefix: '/telltale',
    cwd: join(FIXTURES, 'nuxt'),
    build: ['node', join(DIR, 'node_modules/nuxt/bin/nuxt.mjs'), 'build'],
    start: nitroServer,
    page: '/',
  },
]

let passed = 0
let failed = 0
const failures: string[] = []
function result(ok: boolean, name: string, detail = ''): void {
  if (ok) passed++
  else {
    failed++
    failures.push(name)
  }
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`)
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'telltale-frameworks-'))
  try {
    await step('npm run build', 'npm', ['run', 'build'], ROOT)
    await step('npm pack', 'npm', ['pack', '--pack-destination', tmp, '--silent'], ROOT)
    const tarball = join(tmp, readdirSync(tmp).find((f) => f.endsWith('.tgz'))!)
    if (CI || !installedFromLock()) await step('npm ci (test/frameworks)', 'npm', ['ci', '--no-audit', '--no-fund'], DIR)
    else console.log('step: npm ci skipped, node_modules is newer than package-lock.json (always runs under CI=true)')
    // The tarball's integrity changes with every build, so it stays out of the lock.
    await step('npm install --no-save telltale.tgz', 'npm', ['install', '--no-save', '--no-audit', '--no-fund', tarball], DIR)

    for (const target of TARGETS) await runTarget(target, tmp)
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
  console.log(`\nframeworks: ${((Date.now() - started) / 1000).toFixed(0)} s`)
  if (failures.length) console.log(`failed:\n${failures.map((f) => `  ${f}`).join('\n')}`)
  console.log(`${passed} passed, ${failed} failed`)
  process.exitCode = failed > 0 || passed === 0 ? 1 : 0
}

async function runTarget(target: Target, tmp: string): Promise<void> {
  console.log(`\n== ${target.name}`)
  if (target.build) {
    try {
      await step(`build (${target.build.slice(-2).join(' ')})`, target.build[0], target.build.slice(1), target.cwd)
    } catch (error) {
      return result(false, `${target.name}: build`, String(error))
    }
  }
  const dataDir = mkdtempSync(join(tmp, 'db-'))
  const db = join(dataDir, 'telltale.db')
  await seed(db)
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const server = startServer(target, { ...target.env, PORT: String(port), HOST: '127.0.0.1', NITRO_PORT: String(port), NITRO_HOST: '127.0.0.1', TELLTALE_DB: db })
  try {
    await waitForServer(server, `${base}/api/v1/users`)
    for (const [name, check] of Object.entries(checks(target, base))) {
      try {
        await check()
        result(true, `${target.name}: ${name}`)
      } catch (error) {
        result(false, `${target.name}: ${name}`, describe(error))
      }
    }
    // Shutdown: the close plugin (or the host's SIGTERM handler) closes telltale, and SQLite then
    // folds its write-ahead log back into the database and removes the -wal file.
    const code = await stop(server.child)
    const walLeft = existsSync(`${db}-wal`)
    result(code === 0 && !walLeft, `${target.name}: SIGTERM exits 0 and closes telltale`, code === 0 && !walLeft ? '' : `exit ${code}, -wal file left: ${walLeft}`)
  } catch (error) {
    result(false, `${target.name}: start`, `${error instanceof Error ? error.message : error}\n${server.output()}`)
  } finally {
    if (server.child.exitCode === null) server.child.kill('SIGKILL')
  }
  if (failures.some((f) => f.startsWith(`${target.name}:`))) console.log(`-- server output:\n${server.output()}`)
}

function checks(target: Target, base: string): Record<string, () => Promise<void>> {
  const api = `${base}${target.prefix}`
  const userId = `user-${base62(8)}`
  let eventId = ''
  const post = (path: string, body: string, key = KEY) =>
    fetch(`${api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body, signal: AbortSignal.timeout(15_000) })
  const all: Record<string, () => Promise<void>> = {
    [`POST ${target.prefix}/api/events → 201`]: async () => {
      const { status, body } = await reply(await post('/api/events', JSON.stringify({ event: 'user_signup', user_id: userId, metadata: { plan: 'pro' } })))
      expect(status === 201 && body?.success === true && UUID.test(body?.event_id), status, body)
      eventId = body.event_id
    },
    [`GET ${target.prefix}/api/v1/events finds it`]: async () => {
      const res = await fetch(`${api}/api/v1/events?user_id=${userId}`, { headers: { authorization: `Bearer ${KEY}` }, signal: AbortSignal.timeout(15_000) })
      const { status, body } = await reply(res)
      const found = body?.data?.find((e: any) => e.id === `evt_${eventId.replaceAll('-', '')}`)
      expect(status === 200 && found?.name === 'user_signup' && found?.properties?.plan === 'pro', status, body)
    },
    '422 in the Laravel shape': async () => {
      const { status, body } = await reply(await post('/api/events', '{"user_id":"1"}'))
      expect(status === 422 && body?.message === 'The event field is required.' && JSON.stringify(body?.errors) === '{"event":["The event field is required."]}', status, body)
    },
    'unknown key → 401': async () => {
      const { status, body } = await reply(await post('/api/events', '{"event":"x"}', UNKNOWN_KEY))
      expect(status === 401 && typeof body?.message === 'string', status, body)
    },
    'body over 1 MiB → 413': async () => {
      const { status, body } = await reply(await post('/api/events', JSON.stringify({ event: 'big', metadata: { pad: 'x'.repeat(1.1 * 1024 * 1024) } })))
      expect(status === 413 && typeof body?.message === 'string', status, body)
    },
    'body over 1 MiB, streamed without Content-Length → 413': async () => {
      const chunk = new TextEncoder().encode('x'.repeat(64 * 1024))
      let sent = 0
      const body = new ReadableStream<Uint8Array>({
        start: (c) => c.enqueue(new TextEncoder().encode('{"event":"big","metadata":{"pad":"')),
        pull: (c) => {
          if (sent++ < 20) return c.enqueue(chunk) // 1.25 MiB
          c.enqueue(new TextEncoder().encode('"}}'))
          c.close()
        },
      })
      const res = await fetch(`${api}/api/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
        body,
        duplex: 'half',
        signal: AbortSignal.timeout(15_000),
      } as RequestInit)
      const { status, body: answer } = await reply(res)
      expect(status === 413 && typeof answer?.message === 'string', status, answer)
    },
    'host route POST /api/auth/login still answers': async () => {
      const res = await fetch(`${base}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"user":"ann"}',
        signal: AbortSignal.timeout(15_000),
      })
      const { status, body } = await reply(res)
      expect(status === 200 && body?.host === 'login' && body?.user === 'ann', status, body)
    },
    'host route GET /api/v1/users still answers': async () => {
      const { status, body } = await reply(await fetch(`${base}/api/v1/users`, { signal: AbortSignal.timeout(15_000) }))
      expect(status === 200 && body?.host === 'users', status, body)
    },
  }
  if (target.page) {
    all[`host page ${target.page} still renders`] = async () => {
      const res = await fetch(`${base}${target.page}`, { signal: AbortSignal.timeout(15_000) })
      const html = await res.text()
      expect(res.status === 200 && html.includes('host page'), res.status, html.slice(0, 300))
    }
  }
  return all
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  return error.cause ? `${error.message} (${describe(error.cause)})` : error.message
}

function expect(ok: boolean, status: number, body: unknown): void {
  if (!ok) throw new Error(`got ${status} ${JSON.stringify(body)?.slice(0, 400)}`)
}

async function reply(res: Response): Promise<{ status: number; body: any }> {
  const text = await res.text()
  try {
    return { status: res.status, body: JSON.parse(text) }
  } catch {
    return { status: res.status, body: text.slice(0, 400) }
  }
}

/** The first project and its key, through telltale's in-process API, from the installed tarball. */
async function seed(file: string): Promise<void> {
  const dist = join(DIR, 'node_modules/telltale/dist')
  const { createTelltale } = await import(pathToFileURL(join(dist, 'index.mjs')).href)
  const { sqliteStorage } = await import(pathToFileURL(join(dist, 'adapters/sqlite.mjs')).href)
  const telltale = createTelltale({ storage: sqliteStorage({ file }) })
  await telltale.ready()
  const { project } = await telltale.api.ensureProject({ name: 'Acme', slug: 'acme' })
  await telltale.api.createApiKey({ projectId: project.id, name: 'frameworks test', key: KEY, scopes: ['read', 'write'] })
  await telltale.close()
}

function startServer(target: Target, env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let output = ''
  const child = spawn(target.start[0], target.start.slice(1), { cwd: target.cwd, env: { ...process.env, NODE_ENV: 'production', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout!.on('data', (chunk) => {
    output += chunk
  })
  child.stderr!.on('data', (chunk) => {
    output += chunk
  })
  return { child, output: () => output.trim() }
}

async function waitForServer(server: { child: ChildProcess }, url: string): Promise<void> {
  const until = Date.now() + 30_000
  while (Date.now() < until) {
    if (server.child.exitCode !== null) throw new Error(`the server exited with ${server.child.exitCode}`)
    try {
      await fetch(url, { signal: AbortSignal.timeout(2_000) })
      return
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  throw new Error('the server did not answer within 30 s')
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve(code)
    })
    child.kill('SIGTERM')
  })
}

/** Runs a command, printing one line with its time; its output only when it fails. */
function step(name: string, command: string, args: string[], cwd: string): Promise<void> {
  const t0 = Date.now()
  return new Promise((resolve, reject) => {
    let output = ''
    const child = spawn(command, args, { cwd, env: { ...process.env, NUXT_TELEMETRY_DISABLED: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout!.on('data', (chunk) => {
      output += chunk
    })
    child.stderr!.on('data', (chunk) => {
      output += chunk
    })
    child.once('error', reject)
    child.once('exit', (code) => {
      console.log(`step: ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
      if (code === 0) resolve()
      else reject(new Error(`${name} exited with ${code}:\n${output.trim().slice(-4000)}`))
    })
  })
}

/** Whether `npm ci` already ran here for the current lock (locally it is then skipped). */
function installedFromLock(): boolean {
  const installed = join(DIR, 'node_modules/.package-lock.json')
  if (!existsSync(installed)) return false
  const newest = Math.max(statSync(join(DIR, 'package-lock.json')).mtimeMs, statSync(join(DIR, 'package.json')).mtimeMs)
  return statSync(installed).mtimeMs > newest
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

function base62(length: number): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
  return Array.from(randomBytes(length), (b) => alphabet[b % 62]).join('')
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error)
  console.log(`${passed} passed, ${failed + 1} failed`)
  process.exitCode = 1
})
