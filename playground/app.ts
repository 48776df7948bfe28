import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import express from 'express'
import { createTelltale, type LimitsOption, type Telltale } from 'telltale'
import { sqliteStorage } from 'telltale/adapters/sqlite'
import { toNodeHandler } from 'telltale/node'
import type { Storage } from '../src/storage'
import { homePage, readmePage, readReadme } from './home'
import { seedDemoData } from './seed'

export interface PlaygroundOptions {
  /** How the store is shown on the home page (`GET /`). */
  store?: string
  /** Default: a SQLite file. */
  storage?: Storage
  /** Known key to register for the demo project (`TELLTALE_API_KEY`). */
  apiKey?: string
  /** Seed demo events on first start. Default true. */
  seed?: boolean
  /** telltale's limits (the bench raises the rate limits so that they count but never refuse). */
  limits?: LimitsOption
}

/**
 * The demo host: an Express app with telltale mounted at `/`. It makes sure a demo project exists
 * and returns a key that works for it.
 */
export async function createPlayground(options: PlaygroundOptions = {}): Promise<{
  app: express.Express
  telltale: Telltale
  apiKey: string
  login: { email: string; password: string }
  projectId: string
  firstStart: boolean
}> {
  const telltale = createTelltale({
    storage: options.storage ?? sqliteStorage({ file: './telltale.db' }),
    limits: options.limits,
  })
  await telltale.ready()

  const { project, created } = await telltale.api.ensureProject({ name: 'Demo', slug: 'demo' })
  const apiKey = await demoKey(telltale, project.id, options.apiKey)
  const login = await demoLogin(telltale, project.id)
  if (created && options.seed !== false) {
    await seedDemoData(telltale, project.id)
    // MRR, signups, active users and the rest, computed from the demo events.
    await telltale.api.applyMetricTemplate({ projectId: project.id, template: 'saas' })
  }

  const app = express()
  app.disable('x-powered-by')
  app.get('/healthz', (_req, res) => void res.json({ ok: true }))
  const readme = readReadme(fileURLToPath(new URL('../README.md', import.meta.url)))
  const headings = readme.flatMap((line) => (typeof line === 'string' ? [] : [line.text]))
  const facts = { store: options.store ?? 'a SQLite file, ./telltale.db', keyPrefix: apiKey.slice(0, 15) }
  app.get(
    '/',
    (req, res) =>
      void res.type('html').send(homePage(facts, `${req.protocol}://${req.get('host') ?? '127.0.0.1'}`, headings)),
  )
  app.get('/readme', (_req, res) => void res.type('html').send(readmePage(readme)))
  app.use(toNodeHandler(telltale))
  return { app, telltale, apiKey, login, projectId: project.id, firstStart: created }
}

/**
 * The playground's key: the one from `TELLTALE_API_KEY` if set (registered once), else a fresh
 * key per start. Earlier generated playground keys are revoked, so they do not pile up live.
 */
async function demoKey(telltale: Telltale, projectId: string, known?: string): Promise<string> {
  const keys = await telltale.api.listApiKeys({ projectId })
  if (known) {
    const registered = keys.find((k) => k.prefix === known.slice(0, k.prefix.length) && k.revokedAt === null)
    if (!registered) await telltale.api.createApiKey({ projectId, name: 'playground (TELLTALE_API_KEY)', key: known })
    return known
  }
  for (const k of keys)
    if (k.name === 'playground' && k.revokedAt === null) await telltale.api.revokeApiKey({ projectId, keyId: k.id })
  return (await telltale.api.createApiKey({ projectId, name: 'playground' })).key
}

/**
 * The demo user (StatusCore accounts: POST /api/auth/login), an admin of the demo project, with a
 * fresh random password each start, so no password is known before the playground prints it.
 */
async function demoLogin(telltale: Telltale, projectId: string): Promise<{ email: string; password: string }> {
  const email = 'demo@example.com'
  const password = randomBytes(12).toString('base64url')
  const existing = (await telltale.api.listUsers({ projectId })).find((user) => user.email === email)
  if (existing) await telltale.api.updateUser({ projectId, id: existing.id, password })
  else await telltale.api.createUser({ projectId, email, password, fullName: 'Demo User', role: 'admin' })
  return { email, password }
}
