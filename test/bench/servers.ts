// One benchmark server per process: `node --import tsx test/bench/servers.ts '<ServerSpec JSON>'`.
// Listens on 127.0.0.1 on a free port, prints one `ready {"port":..,"pid":..}` line on stdout,
// and shuts down cleanly on SIGTERM (so `--cpu-prof` profiles get written).
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { toNodeHandler as h3NodeHandler } from 'h3/node'
import { postgresStorage } from '../../adapters/postgres'
import { sqliteStorage } from '../../adapters/sqlite'
import express from 'express'
import { createPlayground } from '../../playground/app'
import { toNodeHandler } from '../../src/node'
import { type Baseline, bareH3, pgBaseline, sqliteBaseline } from './baselines'

export type ServerSpec =
  | { kind: 'bare-h3' }
  | { kind: 'sqlite-baseline'; file: string }
  | { kind: 'pg-baseline'; connectionString: string; schema: string }
  | { kind: 'telltale-sqlite'; file: string; apiKey: string; withoutExpress?: boolean }
  | { kind: 'express-bare-h3' }
  | { kind: 'telltale-pg'; connectionString: string; schema: string; apiKey: string }

/**
 * The Status Blocks rate limits (6000 events a minute) would turn most of a load test into 429s.
 * Raised out of reach, they are still counted on every request, as they are in production.
 */
const UNREACHABLE = { limit: Number.MAX_SAFE_INTEGER, windowMs: 60_000 }
const COUNTED_NOT_LIMITING = { rateLimits: { statusBlocks: { event: UNREACHABLE, batch: UNREACHABLE } } }

async function start(spec: ServerSpec): Promise<{ server: Server; close: () => Promise<void> }> {
  switch (spec.kind) {
    case 'express-bare-h3': {
      // The bare h3 handler mounted the way the playground mounts telltale: what the stack costs.
      const app = express()
      app.use(toNodeHandler({ fetch: async (request) => bareH3().app.fetch(request) }))
      return { server: createServer(app), close: async () => {} }
    }
    case 'telltale-sqlite':
    case 'telltale-pg': {
      // The playground stack exactly as `npm start` builds it: Express with telltale at `/`.
      const storage = spec.kind === 'telltale-sqlite' ? sqliteStorage({ file: spec.file }) : postgresStorage({ connectionString: spec.connectionString, schema: spec.schema })
      const { app, telltale } = await createPlayground({ storage, apiKey: spec.apiKey, seed: false, limits: COUNTED_NOT_LIMITING })
      const withoutExpress = spec.kind === 'telltale-sqlite' && spec.withoutExpress
      return { server: createServer(withoutExpress ? toNodeHandler(telltale) : app), close: () => telltale.close() }
    }
    default: {
      const baseline: Baseline =
        spec.kind === 'bare-h3' ? bareH3() : spec.kind === 'sqlite-baseline' ? await sqliteBaseline(spec.file) : await pgBaseline(spec.connectionString, spec.schema)
      return { server: createServer(h3NodeHandler(baseline.app)), close: () => baseline.close() }
    }
  }
}

const spec = JSON.parse(process.argv[2] ?? '') as ServerSpec
const { server, close } = await start(spec)
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo
  process.stdout.write(`ready ${JSON.stringify({ port, pid: process.pid })}\n`)
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
