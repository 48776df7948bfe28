// `npm run test:frameworks`: the README's "Embed it" recipes, run as a new user would run them.
//
// The apps come from README.md, not from copies kept here. A code block whose fence starts on the
// line right after a marker comment is a file of the recipes the marker names:
//
//   <!-- recipe: express, express-prefix file: server.mjs -->                     the whole file
//   <!-- recipe: express-prefix file: server.mjs patch: app.use(toNodeHandler(telltale)) -->
//
// A block with `patch: TEXT` replaces the one line of that file (as the blocks above it in the
// README left it) that contains TEXT, with the block's lines. Recipe names are the ids in RECIPES
// below. A recipe fails with a message saying what to fix when a block it needs is missing, when a
// patch's TEXT is not on exactly one line, or when a marker is malformed or names no recipe.
//
// What the README does not show comes from fixtures/hosts/<host>/, committed: the host app's own
// routes (POST /api/auth/logout, GET /api/v1/users), Nuxt's nuxt.config.ts and app.vue. Its files
// are copied into the app as they are, except your-own-routes.txt: its lines replace the line
// `// your own routes` of the README's blocks (indented as that line is).
//
// Every run writes each app afresh into fixtures/apps/<id>/ (gitignored; under fixtures/ because
// the root tsconfig leaves that folder out). fixtures/apps/nitro3/package.json is committed and
// kept: it makes that folder an npm workspace, so that Nitro 3 gets h3 v2 while nitropack 2 and
// Nuxt get h3 v1 from this folder's package.json. Per recipe: build with the framework's CLI, seed
// the app's store (./telltale.db) with project `acme` and a known key through the packed tarball's
// in-process API, start it, probe it, SIGTERM it, start it again on the same store and probe
// again. The in-process example runs twice with node instead.
//
// Beside them (concurrently), a strict consumer project in os.tmpdir() installs the tarball:
// node scripts check the error each adapter gives while its driver is missing, then `tsc` checks
// fixtures/consumer/index.ts against the declarations with skipLibCheck: false.
//
// Prints PASS/FAIL per check and `N passed, N failed`; exits non-zero on any failure.
// FRAMEWORKS_ONLY=nitropack,nitro3 (recipe ids, and `consumer`) runs only those.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const DIR = fileURLToPath(new URL('.', import.meta.url))
const HOSTS = join(DIR, 'fixtures/hosts')
const APPS = join(DIR, 'fixtures/apps')
const CONSUMER = join(DIR, 'fixtures/consumer')
const README = join(ROOT, 'README.md')
const PLACEHOLDER = /^(\s*)\/\/ your own routes\s*$/
const HOST_ROUTES = 'your-own-routes.txt'
const INSTALL_LINE = 'npm install telltale better-sqlite3'
const CI = process.env.CI === 'true'
/** FRAMEWORKS_ONLY=nitropack,nitro3 runs only those recipes (and the consumer checks only if `consumer` is listed). */
const ONLY = process.env.FRAMEWORKS_ONLY?.split(',').map((s) => s.trim())
const started = Date.now()

/** A well-formed key that the seeded project has, and one that nobody has. */
const KEY = `tt_${base62(43)}`
const UNKNOWN_KEY = `tt_${base62(43)}`
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

interface Recipe {
  /** The name README markers use. */
  id: string
  name: string
  /** Files the README must give whole (patches come on top of them). */
  files: string[]
  /** fixtures/hosts/<host>/: the host app's files the README does not show. */
  host?: string
  /** Where telltale's routes are, seen from outside. */
  prefix: string
  /** Built with the framework's own CLI first (nothing for Express and node:http). */
  build?: string[]
  start: string[]
  /** The host's own routes answer beside telltale (not on node:http without basePath: every request is telltale's). */
  hostRoutes: boolean
  /** A page of the host app that must still render (Nuxt). */
  page?: string
  /** The in-process example: a script run twice, not a server. */
  script?: boolean
}

const nitroServer = ['node', '.output/server/index.mjs']
const RECIPES: Recipe[] = [
  {
    id: 'in-process',
    name: 'In process, telltale.api',
    files: ['telltale.mjs', 'try.mjs'],
    prefix: '',
    start: ['node', 'try.mjs'],
    hostRoutes: false,
    script: true,
  },
  {
    id: 'express',
    name: 'Express 5, app.use(toNodeHandler(telltale))',
    files: ['telltale.mjs', 'server.mjs'],
    host: 'express',
    prefix: '',
    start: ['node', 'server.mjs'],
    hostRoutes: true,
  },
  {
    id: 'express-prefix',
    name: "Express 5, app.use('/telltale', toNodeHandler(telltale))",
    files: ['telltale.mjs', 'server.mjs'],
    host: 'express',
    prefix: '/telltale',
    start: ['node', 'server.mjs'],
    hostRoutes: true,
  },
  {
    id: 'node-http',
    name: 'node:http, createServer(toNodeHandler(telltale))',
    files: ['telltale.mjs', 'server.mjs'],
    prefix: '',
    start: ['node', 'server.mjs'],
    hostRoutes: false,
  },
  {
    id: 'node-http-basepath',
    name: 'node:http, basePath /telltale',
    files: ['telltale.mjs', 'server.mjs'],
    host: 'node-http-basepath',
    prefix: '/telltale',
    start: ['node', 'server.mjs'],
    hostRoutes: true,
  },
  {
    id: 'nitropack',
    name: 'nitropack 2 (h3 v1), toNitroHandler',
    files: [
      'nitro.config.ts',
      'server/utils/telltale.ts',
      'server/routes/telltale/[...].ts',
      'server/plugins/telltale.ts',
    ],
    host: 'nitropack',
    prefix: '/telltale',
    build: ['node', join(DIR, 'node_modules/nitropack/dist/cli/index.mjs'), 'build'],
    start: nitroServer,
    hostRoutes: true,
  },
  {
    id: 'nitro3',
    name: 'Nitro 3, export default telltale.app',
    files: [
      'nitro.config.ts',
      'server/utils/telltale.ts',
      'server/routes/telltale/[...].ts',
      'server/plugins/telltale.ts',
    ],
    host: 'nitro3',
    prefix: '/telltale',
    build: ['node', join(DIR, 'node_modules/nitro/dist/cli/index.mjs'), 'build'],
    start: nitroServer,
    hostRoutes: true,
  },
  {
    id: 'nuxt',
    name: 'Nuxt 4 (h3 v1), toNitroHandler',
    files: ['server/utils/telltale.ts', 'server/routes/telltale/[...].ts', 'server/plugins/telltale.ts'],
    host: 'nuxt',
    prefix: '/telltale',
    build: ['node', join(DIR, 'node_modules/nuxt/bin/nuxt.mjs'), 'build'],
    start: nitroServer,
    hostRoutes: true,
    page: '/',
  },
]

type Result = { ok: boolean; name: string; detail: string }
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
  const readme = readFileSync(README, 'utf8')
  const { blocks, errors } = readmeBlocks(readme)
  const tmp = mkdtempSync(join(tmpdir(), 'telltale-frameworks-'))
  let consumer: Promise<{ log: string[]; results: Result[] }> | undefined
  try {
    console.log('== README')
    result(errors.length === 0, 'README: every recipe marker is well-formed and names a recipe', errors.join('\n  '))
    const install = installLineBesideFirstRecipe(readme)
    result(install === '', `README: "${INSTALL_LINE}" is the block right above the first recipe block`, install)

    await step('npm run build', 'npm', ['run', 'build'], ROOT)
    await step('npm pack', 'npm', ['pack', '--pack-destination', tmp, '--silent'], ROOT)
    const tarball = join(tmp, readdirSync(tmp).find((f) => f.endsWith('.tgz'))!)
    if (ONLY) console.log(`step: FRAMEWORKS_ONLY=${ONLY.join(',')}: the other recipes are skipped`)
    if (!ONLY || ONLY.includes('consumer')) consumer = consumerChecks(tarball, tmp) // runs beside the apps: npm install, then one tsc
    if (CI || !installedFromLock())
      await step('npm ci (test/frameworks)', 'npm', ['ci', '--no-audit', '--no-fund'], DIR)
    else console.log('step: npm ci skipped, node_modules is newer than package-lock.json (always runs under CI=true)')
    // The tarball's integrity changes with every build, so it stays out of the lock.
    await step(
      'npm install --no-save telltale.tgz',
      'npm',
      ['install', '--no-save', '--no-audit', '--no-fund', tarball],
      DIR,
    )

    for (const recipe of RECIPES.filter((r) => !ONLY || ONLY.includes(r.id))) {
      const t0 = Date.now()
      console.log(`\n== ${recipe.name} (recipe: ${recipe.id})`)
      const files = assemble(recipe, blocks)
      if (typeof files === 'string') result(false, `${recipe.name}: README blocks`, files)
      else if (recipe.script) await runScript(recipe, writeApp(recipe, files))
      else await runServerRecipe(recipe, files)
      console.log(`(${recipe.id}: ${((Date.now() - t0) / 1000).toFixed(1)} s)`)
    }
  } finally {
    if (consumer) {
      console.log('\n== strict consumer (os.tmpdir(), the packed tarball)')
      const { log, results } = await consumer.catch((error) => ({
        log: [],
        results: [{ ok: false, name: 'consumer', detail: describe(error) }],
      }))
      for (const line of log) console.log(line)
      for (const r of results) result(r.ok, r.name, r.detail)
    }
    rmSync(tmp, { recursive: true, force: true })
  }
  console.log(`\nframeworks: ${((Date.now() - started) / 1000).toFixed(0)} s`)
  if (failures.length) console.log(`failed:\n${failures.map((f) => `  ${f}`).join('\n')}`)
  console.log(`${passed} passed, ${failed} failed`)
  process.exitCode = failed > 0 || passed === 0 ? 1 : 0
}

// ---------------------------------------------------------------------------------------------
// README → files

interface Block {
  recipes: string[]
  file: string
  patch?: string
  code: string
  line: number
}

const MARKER = /^<!--\s*recipe:\s*(.+?)\s+file:\s*(\S+)(?:\s+patch:\s*(.+?))?\s*-->\s*$/

function readmeBlocks(readme: string): { blocks: Block[]; errors: string[] } {
  const lines = readme.split('\n')
  const ids = new Set(RECIPES.map((r) => r.id))
  const blocks: Block[] = []
  const errors: string[] = []
  for (let i = 0; i < lines.length; i++) {
    if (!/^<!--\s*recipe:/.test(lines[i])) continue
    const at = `README.md:${i + 1}`
    const m = MARKER.exec(lines[i])
    if (!m) {
      errors.push(`${at}: write the marker as <!-- recipe: NAME[, NAME...] file: PATH [patch: TEXT] -->`)
      continue
    }
    const recipes = m[1].split(',').map((s) => s.trim())
    for (const id of recipes)
      if (!ids.has(id)) errors.push(`${at}: no recipe is called "${id}" (there are: ${[...ids].join(', ')})`)
    if (!/^```/.test(lines[i + 1] ?? '')) {
      errors.push(`${at}: the code block must start on the line right after the marker`)
      continue
    }
    const end = lines.findIndex((l, j) => j > i + 1 && /^```\s*$/.test(l))
    if (end < 0) {
      errors.push(`${at}: the code block never closes`)
      continue
    }
    blocks.push({ recipes, file: m[2], patch: m[3], code: lines.slice(i + 2, end).join('\n'), line: i + 1 })
    i = end
  }
  return { blocks, errors }
}

/** The recipe's files from the README (whole blocks, then patches, in README order), or what is wrong. */
function assemble(recipe: Recipe, blocks: Block[]): Map<string, string> | string {
  const files = new Map<string, string>()
  for (const block of blocks.filter((b) => b.recipes.includes(recipe.id))) {
    const at = `README.md:${block.line}`
    if (block.patch === undefined) {
      if (files.has(block.file))
        return `${at}: a second whole block for ${block.file}; mark the change as a patch (patch: TEXT)`
      files.set(block.file, block.code)
      continue
    }
    const current = files.get(block.file)
    if (current === undefined) return `${at}: patches ${block.file}, but no whole block for it comes before`
    const lines = current.split('\n')
    const hits = lines.flatMap((l, i) => (l.includes(block.patch!) ? [i] : []))
    if (hits.length !== 1)
      return `${at}: the patch text "${block.patch}" is on ${hits.length} lines of ${block.file}, not exactly one`
    lines.splice(hits[0], 1, ...block.code.split('\n'))
    files.set(block.file, lines.join('\n'))
  }
  const missing = recipe.files.filter((f) => !files.has(f))
  if (missing.length > 0)
    return `README.md has no block for ${missing.join(', ')}: mark it with <!-- recipe: ${recipe.id} file: ${missing[0]} --> on the line above the block`
  const routes = recipe.host && join(HOSTS, recipe.host, HOST_ROUTES)
  if (routes && existsSync(routes)) {
    const fragment = readFileSync(routes, 'utf8').trimEnd().split('\n')
    let placed = 0
    for (const [file, text] of files) {
      const lines = text.split('\n').flatMap((line) => {
        const m = PLACEHOLDER.exec(line)
        if (!m) return [line]
        placed++
        return fragment.map((f) => (f ? m[1] + f : f))
      })
      files.set(file, lines.join('\n'))
    }
    if (placed === 0)
      return `no line "// your own routes" in the README's ${recipe.files.join(', ')}: the host's routes (fixtures/hosts/${recipe.host}/${HOST_ROUTES}) go there`
  }
  return files
}

/** The `npm install` line must be the code block right above the first recipe block. */
function installLineBesideFirstRecipe(readme: string): string {
  const lines = readme.split('\n')
  const first = lines.findIndex((l) => MARKER.test(l))
  if (first < 0) return 'no recipe marker in README.md'
  let close = first - 1
  while (close >= 0 && !/^```\s*$/.test(lines[close])) close--
  let open = close - 1
  while (open >= 0 && !/^```/.test(lines[open])) open--
  const between = lines.slice(close + 1, first).filter((l) => /^```/.test(l)).length
  if (open < 0 || between > 0 || !lines.slice(open + 1, close).some((l) => l.trim() === INSTALL_LINE)) {
    return `README.md:${first + 1}: the block above the first recipe block must be \`${INSTALL_LINE}\``
  }
  return ''
}

/** fixtures/apps/<id>/ afresh: the host's files, then the README's. A workspace keeps its package.json and node_modules. */
function writeApp(recipe: Recipe, files: Map<string, string>): string {
  const app = join(APPS, recipe.id)
  const keep =
    existsSync(join(app, 'package.json')) && isWorkspace(app)
      ? new Set(['package.json', 'node_modules'])
      : new Set<string>()
  mkdirSync(app, { recursive: true })
  for (const entry of readdirSync(app)) if (!keep.has(entry)) rmSync(join(app, entry), { recursive: true, force: true })
  if (recipe.host)
    cpSync(join(HOSTS, recipe.host), app, { recursive: true, filter: (src) => !src.endsWith(HOST_ROUTES) })
  for (const [file, text] of files) {
    mkdirSync(dirname(join(app, file)), { recursive: true })
    writeFileSync(join(app, file), `${text.trimEnd()}\n`)
  }
  return app
}

function isWorkspace(app: string): boolean {
  const { workspaces = [] } = JSON.parse(readFileSync(join(DIR, 'package.json'), 'utf8')) as { workspaces?: string[] }
  return workspaces.some((w) => join(DIR, w) === app)
}

// ---------------------------------------------------------------------------------------------
// Running the apps

async function runServerRecipe(recipe: Recipe, files: Map<string, string>): Promise<void> {
  const app = writeApp(recipe, files)
  if (recipe.build) {
    try {
      await step(`build (${recipe.build.slice(-2).join(' ')})`, recipe.build[0], recipe.build.slice(1), app)
    } catch (error) {
      return result(false, `${recipe.name}: build`, String(error))
    }
  }
  if (recipe.build) {
    // A deployment copies .output alone: Nitro's file tracer must have found the driver telltale loads.
    const shipped = existsSync(join(app, '.output/server/node_modules/better-sqlite3/package.json'))
    result(shipped, `${recipe.name}: the build's .output/server/node_modules carries better-sqlite3`)
  }
  const db = join(app, 'telltale.db')
  await seed(db)
  const state: RunState = { userId: `user-${base62(8)}`, events: [] }
  const outputs: string[] = []
  const before = failures.length
  for (const run of [1, 2] as const) {
    const label = `${recipe.name}, start ${run}`
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    const server = startServer(recipe, app, {
      PORT: String(port),
      HOST: '127.0.0.1',
      NITRO_PORT: String(port),
      NITRO_HOST: '127.0.0.1',
    })
    try {
      await waitForServer(server, `${base}${recipe.prefix}/api/v1/events`)
      for (const [name, check] of Object.entries(checks(recipe, base, run, state))) {
        try {
          await check()
          result(true, `${label}: ${name}`)
        } catch (error) {
          result(false, `${label}: ${name}`, describe(error))
        }
      }
      // Shutdown: the close plugin (or the SIGTERM handler) closes telltale, and SQLite then folds
      // its write-ahead log back into the database and removes the -wal file.
      const code = await stop(server.child)
      const walLeft = existsSync(`${db}-wal`)
      result(
        code === 0 && !walLeft,
        `${label}: SIGTERM exits 0 and closes telltale`,
        code === 0 && !walLeft ? '' : `exit ${code}, -wal file left: ${walLeft}`,
      )
    } catch (error) {
      result(false, `${label}: start`, describe(error))
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGKILL')
      outputs.push(`-- start ${run} output:\n${server.output()}`)
    }
  }
  if (failures.length > before) console.log(outputs.join('\n'))
}

interface RunState {
  userId: string
  /** Event ids (Status Blocks uuids) accepted so far, over both starts. */
  events: string[]
}

function checks(recipe: Recipe, base: string, run: 1 | 2, state: RunState): Record<string, () => Promise<void>> {
  const p = recipe.prefix
  const api = `${base}${p}`
  const timeout = () => AbortSignal.timeout(15_000)
  const post = (path: string, body: string, key = KEY) =>
    fetch(`${api}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body,
      signal: timeout(),
    })
  const get = (path: string) =>
    fetch(`${api}${path}`, { headers: { authorization: `Bearer ${KEY}` }, signal: timeout() })
  const all: Record<string, () => Promise<void>> = {
    [`POST ${p}/api/events → 201`]: async () => {
      const { status, body } = await reply(
        await post(
          '/api/events',
          JSON.stringify({ event: 'user_signup', user_id: state.userId, metadata: { plan: 'pro' } }),
        ),
      )
      expect(status === 201 && body?.success === true && UUID.test(body?.event_id), status, body)
      state.events.push(body.event_id)
    },
    [`GET ${p}/api/v1/events lists ${run === 1 ? 'it' : "it and the first start's event"}`]: async () => {
      const { status, body } = await reply(await get(`/api/v1/events?user_id=${state.userId}`))
      const ids = new Set((body?.data ?? []).map((e: any) => e.id))
      const all = state.events.length === run && state.events.every((id) => ids.has(`evt_${id.replaceAll('-', '')}`))
      expect(
        status === 200 && all && body.data.every((e: any) => e.name === 'user_signup' && e.properties?.plan === 'pro'),
        status,
        body,
      )
    },
  }
  if (run === 1) {
    all[`POST ${p}/api/metrics/definitions (count of user_signup) → 201`] = async () => {
      const definition = { name: 'Signups', event: 'user_signup', aggregation: 'count', window: '30d' }
      const { status, body } = await reply(await post('/api/metrics/definitions', JSON.stringify(definition)))
      expect(status === 201 && body?.data?.slug === 'signups', status, body)
    }
  }
  all[`GET ${p}/api/metrics/values/signups → ${run}`] = async () => {
    const { status, body } = await reply(await get('/api/metrics/values/signups'))
    expect(status === 200 && body?.data?.value === state.events.length, status, body)
  }
  if (run === 1) {
    Object.assign(all, {
      '422 in the Laravel shape': async () => {
        const { status, body } = await reply(await post('/api/events', '{"user_id":"1"}'))
        expect(
          status === 422 &&
            body?.message === 'The event field is required.' &&
            JSON.stringify(body?.errors) === '{"event":["The event field is required."]}',
          status,
          body,
        )
      },
      'unknown key → 401': async () => {
        const { status, body } = await reply(await post('/api/events', '{"event":"x"}', UNKNOWN_KEY))
        expect(status === 401 && typeof body?.message === 'string', status, body)
      },
      'body over 1 MiB → 413': async () => {
        const { status, body } = await reply(
          await post('/api/events', JSON.stringify({ event: 'big', metadata: { pad: 'x'.repeat(1.1 * 1024 * 1024) } })),
        )
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
          signal: timeout(),
        } as RequestInit)
        const { status, body: answer } = await reply(res)
        expect(status === 413 && typeof answer?.message === 'string', status, answer)
      },
    })
  }
  if (recipe.hostRoutes) {
    // Under a prefix StatusCore serves (its login), a path telltale does not serve stays the host's.
    all['host route POST /api/auth/logout still answers'] = async () => {
      const res = await fetch(`${base}/api/auth/logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"user":"ann"}',
        signal: timeout(),
      })
      const { status, body } = await reply(res)
      expect(status === 200 && body?.host === 'logout' && body?.user === 'ann', status, body)
    }
    all['host route GET /api/v1/users still answers'] = async () => {
      const { status, body } = await reply(await fetch(`${base}/api/v1/users`, { signal: timeout() }))
      expect(status === 200 && body?.host === 'users', status, body)
    }
  }
  if (recipe.page) {
    all[`host page ${recipe.page} still renders`] = async () => {
      const res = await fetch(`${base}${recipe.page}`, { signal: timeout() })
      const html = await res.text()
      expect(res.status === 200 && html.includes('host page'), res.status, html.slice(0, 300))
    }
  }
  return all
}

/** The in-process example: run twice on one (unseeded) store; the first run creates the key. */
async function runScript(recipe: Recipe, app: string): Promise<void> {
  const db = join(app, 'telltale.db')
  for (const run of [1, 2] as const) {
    const label = `${recipe.name}, run ${run}`
    const { code, output } = await exec(recipe.start[0], recipe.start.slice(1), app, 30_000)
    const count = /user_signup events: (\d+)/.exec(output)?.[1]
    const keyPrinted = /your API key \(shown this once\): tt_[0-9A-Za-z]{43}\b/.test(output)
    result(
      code === 0 && count === String(run),
      `${label}: exits 0 and prints "user_signup events: ${run}"`,
      code === 0 && count === String(run) ? '' : `exit ${code}:\n${output}`,
    )
    result(
      keyPrinted === (run === 1),
      `${label}: ${run === 1 ? 'prints the new API key' : 'prints no key (the project exists)'}`,
      keyPrinted === (run === 1) ? '' : output,
    )
    result(!existsSync(`${db}-wal`), `${label}: telltale.close() left no -wal file`)
  }
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
  await telltale.api.createApiKey({
    projectId: project.id,
    name: 'frameworks test',
    key: KEY,
    scopes: ['read', 'write'],
  })
  await telltale.close()
}

function startServer(
  recipe: Recipe,
  cwd: string,
  env: Record<string, string>,
): { child: ChildProcess; output: () => string } {
  let output = ''
  const child = spawn(recipe.start[0], recipe.start.slice(1), {
    cwd,
    env: { ...process.env, NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.on('data', (chunk) => {
    output += chunk
  })
  child.stderr!.on('data', (chunk) => {
    output += chunk
  })
  return { child, output: () => output.trim() }
}

async function waitForServer(server: { child: ChildProcess; output: () => string }, url: string): Promise<void> {
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

// ---------------------------------------------------------------------------------------------
// The strict consumer

const DRIVERS = [
  { adapter: 'sqlite', driver: 'better-sqlite3' },
  { adapter: 'postgres', driver: 'pg' },
  { adapter: 'redis', driver: 'ioredis' },
]

/**
 * A project of its own in os.tmpdir() (so TypeScript cannot reach the repository's node_modules or
 * @types): the tarball, TypeScript and @types/node first; each adapter's error without its driver;
 * then the drivers, and `tsc -p .` (strict, skipLibCheck: false) over fixtures/consumer/index.ts.
 * Buffers its output, since it runs beside the apps.
 */
async function consumerChecks(tarball: string, tmp: string): Promise<{ log: string[]; results: Result[] }> {
  const log: string[] = []
  const results: Result[] = []
  const dir = mkdtempSync(join(tmp, 'consumer-'))
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'telltale-consumer', private: true, type: 'module' }, null, 2)}\n`,
  )
  for (const file of readdirSync(CONSUMER)) copyFileSync(join(CONSUMER, file), join(dir, file))
  const npmInstall = async (what: string[]) => {
    // --ignore-scripts: only types are needed, and npm 11 only warns about better-sqlite3's install
    // script and runs it (a node-gyp build: about a minute of CPU with no prebuilt binary to fetch).
    const r = await exec(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', ...what],
      dir,
      300_000,
    )
    log.push(
      `step: npm install ${what.map((w) => (w === tarball ? 'telltale.tgz' : w)).join(' ')} (${r.seconds.toFixed(1)} s)`,
    )
    if (r.code !== 0) throw new Error(`npm install exited with ${r.code}:\n${r.output.slice(-3000)}`)
  }
  try {
    await npmInstall([tarball, 'typescript@~5.9', '@types/node@^20'])
  } catch (error) {
    return { log, results: [{ ok: false, name: 'consumer: install telltale.tgz', detail: describe(error) }] }
  }
  /** What `createTelltale(...)` then `ready()` threw in the consumer, as missing-driver.mjs reports it. */
  const startError = async (adapter: string): Promise<any> => {
    const { code, output } = await exec('node', ['missing-driver.mjs', adapter], dir, 30_000, { NODE_PATH: '' })
    try {
      return JSON.parse(output.trim().split('\n').at(-1) ?? '')
    } catch {
      return { output, code }
    }
  }
  const configError = (got: any, fix: string) =>
    got?.threw === true && got.name === 'TelltaleError' && got.kind === 'config' && String(got.message).includes(fix)
  for (const { adapter, driver } of DRIVERS) {
    const got = await startError(adapter)
    const ok = configError(got, `npm install ${driver}`)
    results.push({
      ok,
      name: `consumer, no ${driver} installed: ${adapter}Storage(...) throws TelltaleError kind 'config' saying "npm install ${driver}"`,
      detail: ok ? '' : `got ${JSON.stringify(got)}`,
    })
  }
  try {
    await npmInstall(DRIVERS.map((d) => d.driver))
  } catch (error) {
    results.push({ ok: false, name: 'consumer: install the drivers', detail: describe(error) })
    return { log, results }
  }
  // Installed with --ignore-scripts, better-sqlite3 has no native module: as after an install whose
  // script did not run (or ran for another Node), which must say how to build it.
  const unbuilt = await startError('sqlite')
  const rebuilds = configError(unbuilt, 'npm rebuild better-sqlite3')
  results.push({
    ok: rebuilds,
    name: `consumer, better-sqlite3 not built: sqliteStorage(...) throws TelltaleError kind 'config' saying "npm rebuild better-sqlite3"`,
    detail: rebuilds ? '' : `got ${JSON.stringify(unbuilt)}`,
  })
  const version = (name: string) =>
    JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')).version
  log.push(
    `installed: ${['typescript', '@types/node', ...DRIVERS.map((d) => d.driver)].map((name) => `${name}@${version(name)}`).join(', ')}`,
  )
  const tsc = await exec('node', [join(dir, 'node_modules/typescript/bin/tsc'), '-p', '.'], dir, 120_000)
  log.push(`step: tsc -p . (${tsc.seconds.toFixed(1)} s)`)
  results.push({
    ok: tsc.code === 0,
    name: `consumer: tsc ${version('typescript')} (strict, skipLibCheck: false, nodenext) accepts every public entry point`,
    detail: tsc.code === 0 ? '' : `exit ${tsc.code}:\n${tsc.output.replaceAll(`${dir}/`, '')}`,
  })
  return { log, results }
}

// ---------------------------------------------------------------------------------------------
// Processes

/** Runs a command, printing one line with its time; its output only when it fails. */
async function step(name: string, command: string, args: string[], cwd: string): Promise<void> {
  const { code, output, seconds } = await exec(command, args, cwd)
  console.log(`step: ${name} (${seconds.toFixed(1)} s)`)
  if (code !== 0) throw new Error(`${name} exited with ${code}:\n${output.slice(-4000)}`)
}

/** Runs a command to its end (killed after `timeoutMs`), with stdout and stderr together. */
function exec(
  command: string,
  args: string[],
  cwd: string,
  timeoutMs = 600_000,
  env: Record<string, string> = {},
): Promise<{ code: number | null; output: string; seconds: number }> {
  const t0 = Date.now()
  return new Promise((resolve, reject) => {
    let output = ''
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, NUXT_TELEMETRY_DISABLED: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const timer = setTimeout(() => {
      output += `\n(killed after ${timeoutMs / 1000} s)`
      child.kill('SIGKILL')
    }, timeoutMs)
    child.stdout!.on('data', (chunk) => {
      output += chunk
    })
    child.stderr!.on('data', (chunk) => {
      output += chunk
    })
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, output: output.trim(), seconds: (Date.now() - t0) / 1000 })
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
