// One benchmark server per process, run by plain `node` on the built package (`dist/`, imported
// by its own name, as an app imports it), so CPU and peak RSS are what a user sees:
//   node test/bench/servers.mjs '<ServerSpec JSON>'
// Listens on 127.0.0.1 on a free port, prints one `ready {"port":..,"pid":..}` line on stdout,
// and shuts down cleanly on SIGTERM (so `--cpu-prof` profiles get written).
// ServerSpec kinds: see `ServerSpec` in child.ts.
import { createServer } from 'node:http'
import express from 'express'
import { toNodeHandler as h3NodeHandler } from 'h3/node'
import { createTelltale } from 'telltale'
import { kvStorage } from 'telltale/adapters/kv'
import { postgresStorage } from 'telltale/adapters/postgres'
import { redisStorage } from 'telltale/adapters/redis'
import { sqliteStorage } from 'telltale/adapters/sqlite'
import { toNodeHandler } from 'telltale/node'
import { createStorage } from 'unstorage'
import { bareH3, expressRoute, pgRoutes, sqliteBatch } from './baselines.mjs'

/**
 * The Status Blocks rate limits (6000 events a minute) would turn most of a load test into 429s.
 * Raised out of reach, they are still counted on every request, as they are in production.
 */
const UNREACHABLE = { limit: Number.MAX_SAFE_INTEGER, windowMs: 60_000 }
const COUNTED_NOT_LIMITING = { rateLimits: { statusBlocks: { event: UNREACHABLE, batch: UNREACHABLE } } }

/** telltale as the README's embed snippet sets it up: one project, one known write key. */
async function telltaleServer(spec) {
  const storage = spec.file
    ? sqliteStorage({ file: spec.file })
    : spec.redisUrl
      ? redisStorage({ url: spec.redisUrl, prefix: spec.prefix })
      : spec.kv
        ? kvStorage({ storage: createStorage() })
        : postgresStorage({ connectionString: spec.connectionString, schema: spec.schema })
  const telltale = createTelltale({ storage, limits: COUNTED_NOT_LIMITING })
  const { project } = await telltale.api.ensureProject({ name: 'Bench', slug: 'bench' })
  await telltale.api.createApiKey({ projectId: project.id, key: spec.apiKey, scopes: ['write'] })
  if (spec.host === 'node') return { handler: toNodeHandler(telltale), close: () => telltale.close() }
  const app = express()
  app.disable('x-powered-by')
  app.use(toNodeHandler(telltale))
  return { handler: app, close: () => telltale.close() }
}

async function start(spec) {
  switch (spec.kind) {
    case 'telltale':
      return telltaleServer(spec)
    case 'bare-h3': {
      const { handler, close } = bareH3()
      return { handler: h3NodeHandler(handler), close }
    }
    case 'express-route':
      return expressRoute(spec.file)
    case 'sqlite-batch': {
      const { handler, close } = await sqliteBatch(spec.file)
      return { handler: h3NodeHandler(handler), close }
    }
    case 'pg-routes': {
      const { handler, close } = await pgRoutes(spec.connectionString, spec.schema)
      return { handler: h3NodeHandler(handler), close }
    }
    default:
      throw new Error(`unknown server kind ${spec.kind}`)
  }
}

const spec = JSON.parse(process.argv[2] ?? '')
const { handler, close } = await start(spec)
const server = createServer(handler)
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`ready ${JSON.stringify({ port: server.address().port, pid: process.pid })}\n`)
})

let stopping = false
process.on('SIGTERM', () => {
  if (stopping) return
  stopping = true
  server.closeAllConnections()
  server.close()
  close()
    .catch((error) => console.error('bench server: close failed', error))
    .finally(() => process.exit(0))
})
// The parent went away without stopping us: do not linger.
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'))
