// The fuzz target: one telltale server in its own process, so that a request that blocks the event
// loop (or crashes the process) is seen by the fuzzer as a hang (or a crash) and not as a stuck
// test run. `node --import tsx test/fuzz/server.ts '<ServerSpec JSON>'`.
//
// - storage by spec: a SQLite file, Postgres in a given schema, Redis under a key prefix, or kv
//   (unstorage) over the fs driver in a directory;
// - telltale's surfaces and the test-only ones the spec names (FUZZ_SURFACES), every rate limit of
//   each off (the fuzzer sends thousands of queries a minute), a scheduler that never fires;
// - two projects, `fuzz` and `other`, each with a read+write key chosen by the parent (so keys stay
//   the same when the parent restarts the server on the same store);
// - prints one line `ready {"port":..,"pid":..,"projects":{"fuzz":id,"other":id},"surfaces":[ids]}` on stdout;
// - side channel under `/__fuzz/` (never reaches telltale), reading the store directly:
//     GET  /__fuzz/count?project=<id>     → {"count": n}
//     GET  /__fuzz/state                  → {"fuzz": Fingerprint, "other": Fingerprint}: what the store holds per
//                                           domain (test/helpers/fingerprint.ts), hashed, for each project; global
//                                           records with `fuzz`
//     POST /__fuzz/events {project, ids}  → {"events": [StoredEvent | null, ...], "count": n}
//     GET  /__fuzz/dump?project=<id>      → {"events": [StoredEvent, ...]} (every event of the project)
//     GET  /__fuzz/errors                 → {"errors": [...]} what telltale logged as unexpected since the last call
//     GET  /__fuzz/ping                   → {"ok": true} (answers only while the event loop is free)
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createStorage } from 'unstorage'
import fsDriver from 'unstorage/drivers/fs'
import { kvStorage } from '../../adapters/kv'
import { manualScheduler } from '../../adapters/manual'
import { postgresStorage } from '../../adapters/postgres'
import { redisStorage } from '../../adapters/redis'
import { sqliteStorage } from '../../adapters/sqlite'
import { toNodeHandler } from '../../src/node'
import type { Storage } from '../../src/storage'
import { createTelltale } from '../../src/telltale'
import { type Fingerprint, watchedFingerprint } from '../helpers/fingerprint'
import { loadSurfaces, rateLimitsOff, type SurfaceRef } from './surfaces'

export type ServerSpec = (
  | { adapter: 'sqlite'; file: string }
  | { adapter: 'postgres'; url: string; schema: string }
  | { adapter: 'redis'; url: string; prefix: string }
  | { adapter: 'kv'; dir: string }
) & {
  /** `tt_` + 43 base62 characters each. */
  keys: { fuzz: string; other: string }
  /** Test-only surfaces served besides telltale's own. */
  surfaces?: SurfaceRef[]
}

export interface ReadyLine {
  port: number
  pid: number
  projects: { fuzz: string; other: string }
  /** The ids of the surfaces served. */
  surfaces: string[]
}

const spec = JSON.parse(process.argv[2] ?? '') as ServerSpec

// Errors telltale logs as unexpected (`console.error('[telltale] unexpected error on', path, error)`),
// reduced to what identifies them: the error's class, message, driver code and the first frame in
// telltale's own code.
const logged: string[] = []
const originalError = console.error.bind(console)
console.error = (...args: unknown[]) => {
  const error = args.find((arg): arg is Error => arg instanceof Error)
  logged.push(error ? describeError(error) : args.map(String).join(' ').slice(0, 500))
  originalError(...args)
}

function describeError(error: Error): string {
  const code = (error as { code?: unknown }).code
  let where = ''
  for (const line of (error.stack ?? '').split('\n').slice(1)) {
    if (line.includes('node_modules')) continue
    const frame = /at (?:async )?(?:(\S+) \()?.*?\/((?:src|adapters)\/[^):]+:\d+)/.exec(line)
    if (frame) {
      where = ` at ${frame[1] ?? '<anonymous>'} (${frame[2]})`
      break
    }
  }
  const message = `${error.constructor?.name ?? 'Error'}: ${error.message}`.split('\n')[0]
  return `${message}${code !== undefined ? ` [${String(code)}]` : ''}${where}`
}

function openStorage(): Storage {
  switch (spec.adapter) {
    case 'sqlite':
      return sqliteStorage({ file: spec.file })
    case 'postgres':
      return postgresStorage({ connectionString: spec.url, schema: spec.schema, max: 5 })
    case 'redis':
      return redisStorage({ url: spec.url, prefix: spec.prefix })
    case 'kv': // the fs driver, so a restarted server finds what it stored
      return kvStorage({ storage: createStorage({ driver: fsDriver({ base: spec.dir }) }) })
  }
}
const storage = openStorage()
// Telltale gets the watched store: a fingerprint then reads again only the domains requests reached.
const watched = watchedFingerprint(storage)
const surfaces = await loadSurfaces(spec.surfaces ?? [])
const telltale = createTelltale({
  storage: watched.storage,
  scheduler: manualScheduler(),
  surfaceList: surfaces,
  limits: { rateLimits: rateLimitsOff(surfaces) },
})
await telltale.ready()

async function project(slug: 'fuzz' | 'other'): Promise<string> {
  const existing = await telltale.api.getProjectBySlug({ slug })
  if (existing) return existing.id
  const created = await telltale.api.createProject({ name: slug, slug })
  await telltale.api.createApiKey({ projectId: created.id, scopes: ['read', 'write'], key: spec.keys[slug] })
  return created.id
}
const projects = { fuzz: await project('fuzz'), other: await project('other') }

const telltaleHandler = toNodeHandler(telltale)

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** A fingerprint as the parent compares it: a short hash per domain (the texts run to tens of KB). */
const hashed = (fingerprint: Fingerprint): Fingerprint =>
  Object.fromEntries(
    Object.entries(fingerprint).map(([domain, text]) => [domain, createHash('sha256').update(text).digest('base64')]),
  )

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

async function sideChannel(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost')
  const projectId = url.searchParams.get('project') ?? ''
  try {
    switch (url.pathname) {
      case '/__fuzz/count':
        return send(res, 200, { count: await storage.events.count({ projectId, filter: {} }) })
      case '/__fuzz/state':
        return send(res, 200, {
          fuzz: hashed(await watched.read({ projectIds: [projects.fuzz], global: true })),
          other: hashed(await watched.read({ projectIds: [projects.other] })),
        })
      case '/__fuzz/events': {
        const { project: pid, ids } = JSON.parse(await readBody(req)) as { project: string; ids: string[] }
        const events = await Promise.all(
          ids.map(async (id) => (await storage.events.get({ projectId: pid, id })) ?? null),
        )
        return send(res, 200, { events, count: await storage.events.count({ projectId: pid, filter: {} }) })
      }
      case '/__fuzz/dump': {
        const { events } = await storage.events.list({ projectId, filter: {}, limit: 1_000_000, offset: 0 })
        return send(res, 200, { events })
      }
      case '/__fuzz/ping':
        return send(res, 200, { ok: true })
      case '/__fuzz/errors':
        return send(res, 200, { errors: logged.splice(0) })
      default:
        return send(res, 404, { message: 'no such side channel' })
    }
  } catch (error) {
    return send(res, 500, { sideChannelError: String((error as Error)?.stack ?? error) })
  }
}

const server = createServer((req, res) => {
  if (req.url?.startsWith('/__fuzz/')) void sideChannel(req, res)
  else void telltaleHandler(req, res)
})
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo
  const ready: ReadyLine = { port, pid: process.pid, projects, surfaces: surfaces.map((s) => s.id) }
  process.stdout.write(`ready ${JSON.stringify(ready)}\n`)
})

// A crash is a finding: say why on stderr, then exit (the parent reports it and restarts us).
process.on('uncaughtException', (error) => {
  originalError('[fuzz-server] uncaught exception', error)
  process.exit(70)
})
process.on('unhandledRejection', (error) => {
  originalError('[fuzz-server] unhandled rejection', error)
  process.exit(71)
})

let stopping = false
process.on('SIGTERM', () => {
  if (stopping) return
  stopping = true
  server.closeAllConnections()
  server.close()
  telltale
    .close()
    .catch((error) => originalError('fuzz server: close failed', error))
    .finally(() => process.exit(0))
})
// The parent went away without stopping us: do not linger.
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'))
