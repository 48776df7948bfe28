// `npm start`: the demo. Express on PORT (default 3000), telltale mounted at `/`, stored where
// TELLTALE_STORAGE says (postgres://..., redis://..., kv:memory, kv:fs:./data, sqlite:./file.db),
// by default in the SQLite file TELLTALE_DB (default ./telltale.db).
// A misconfiguration prints one line saying what to fix (startup-errors.ts) and exits with 1.
import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Storage } from '../src/storage'
import {
  describeDatabase,
  explainStartupError,
  type PlaygroundConfig,
  type PlaygroundDatabase,
  readPlaygroundConfig,
} from './startup-errors'

let config: PlaygroundConfig | undefined
try {
  config = readPlaygroundConfig(process.env)
  const { database } = config
  // Loaded once the config is known to be good, so a bad one is reported at once.
  const { createPlayground } = await import('./app')
  const storage = await openStorage(database)
  const playground = await createPlayground({ storage, apiKey: config.apiKey, store: describeDatabase(database) })
  const server = await listen(playground.app, config.port, config.host)

  const base = `http://${config.host}:${(server.address() as AddressInfo).port}`
  const shown = describeDatabase(database)
  const { apiKey } = playground
  console.log(`telltale playground on ${base} (database ${shown}${playground.firstStart ? ', demo data seeded' : ''})`)
  console.log(`API key for the demo project: ${apiKey}`)
  console.log(`Demo login (StatusCore): ${playground.login.email} / ${playground.login.password}`)
  console.log(
    `\nTry it:\n  curl -X POST ${base}/api/events \\\n    -H "Authorization: Bearer ${apiKey}" \\\n    -H "Content-Type: application/json" \\\n    -d '{"event": "user_signup", "user_id": "123", "user_email": "john@example.com"}'`,
  )
  console.log(
    `\nSign in:\n  curl -X POST ${base}/api/auth/login \\\n    -H "Content-Type: application/json" \\\n    -d '{"email": "${playground.login.email}", "password": "${playground.login.password}"}'`,
  )
  console.log(`\nOpen ${base}/ in a browser: what runs, on which store, and links into the README.`)
  console.log(
    `\nMetrics (the SaaS pack, applied to the demo project):\n  curl ${base}/api/metrics/values \\\n    -H "Authorization: Bearer ${apiKey}"`,
  )

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      server.close()
      void playground.telltale.close().then(() => process.exit(0))
    })
  }
} catch (error) {
  const line = explainStartupError(error, config)
  if (line === undefined) throw error // unexpected: Node prints it with its stack and exits with 1
  console.error(line)
  process.exit(1)
}

/** The adapter for the configured store; each is imported only when chosen (its driver is an optional peer). */
async function openStorage(database: PlaygroundDatabase): Promise<Storage> {
  switch (database.kind) {
    case 'sqlite':
      return (await import('telltale/adapters/sqlite')).sqliteStorage({ file: database.file })
    case 'postgres':
      return (await import('telltale/adapters/postgres')).postgresStorage({ connectionString: database.url.href })
    case 'redis':
      return (await import('telltale/adapters/redis')).redisStorage({ url: database.url.href })
    case 'kv': {
      const { createStorage } = await import('unstorage')
      const driver =
        database.driver === 'fs' ? (await import('unstorage/drivers/fs')).default({ base: database.dir }) : undefined
      return (await import('telltale/adapters/kv')).kvStorage({ storage: createStorage({ driver }) })
    }
  }
}

/** Resolves once listening; rejects with the listen error (EADDRINUSE, EACCES) instead of throwing it later. */
function listen(handler: RequestListener, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(handler)
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve(server)
    })
  })
}
