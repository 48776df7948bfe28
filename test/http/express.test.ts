// Mounted into a real Express 5 app, over a real socket.
import type http from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import type { AuthContext } from 'telltale'
import { toNodeHandler } from 'telltale/node'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { type MakeOptions, makeTelltale, reply, type TestApp, UUID } from '../helpers/app'

let t: TestApp
let server: http.Server | undefined
afterEach(async () => {
  if (server) {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server!.close(() => resolve()))
  }
  server = undefined
  await t.close()
})

async function serve(app: express.Express): Promise<string> {
  await new Promise<void>((resolve) => {
    server = app.listen(0, '127.0.0.1', () => resolve())
  })
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`
}

const post = (url: string, body: string, headers: Record<string, string>) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })

async function mounted(setup: (app: express.Express) => void, options: MakeOptions = {}): Promise<string> {
  t = await makeTelltale(options)
  const app = express()
  app.get('/healthz', (_req, res) => void res.json({ ok: true }))
  setup(app)
  app.use('/telltale', toNodeHandler(t.telltale))
  app.get('/after', (_req, res) => void res.json({ host: true }))
  return serve(app)
}

const SINGLE = '{"event": "user_signup", "user_id": "123", "user_email": "john@example.com"}'
const BATCH = '{"events": [{"event": "user_signup", "user_id": "1"}, {"event": "user_login", "user_id": "1"}]}'

/** Requests that reached telltale with their body already parsed by the host. */
let parsedBefore = 0
const countParsed: express.RequestHandler = (req, _res, next) => {
  if (req.body !== undefined) parsedBefore++
  next()
}

describe.each([
  ['streamed (no body parser)', (app: express.Express) => void app.use(countParsed), false],
  ['after express.json() consumed the body', (app: express.Express) => void app.use(express.json(), countParsed), true],
])('app.use("/telltale", toNodeHandler(t)), %s', (_name, setup, parses) => {
  beforeAll(() => {
    parsedBefore = 0
  })
  afterAll(() => {
    // the variant under test really ran with (or without) a consumed body
    if (parses) expect(parsedBefore).toBeGreaterThan(0)
    else expect(parsedBefore).toBe(0)
  })

  test('documented single and batch requests', async () => {
    const base = await mounted(setup)
    const auth = { authorization: `Bearer ${t.keys.write}` }
    expect(await reply(await post(`${base}/telltale/api/events`, SINGLE, auth))).toEqual({
      status: 201,
      body: { success: true, event_id: expect.stringMatching(UUID) },
    })
    const batch = await reply(await post(`${base}/telltale/api/events/batch`, BATCH, auth))
    expect(batch).toEqual({
      status: 201,
      body: { success: true, created_count: 2, event_ids: [expect.stringMatching(UUID), expect.stringMatching(UUID)] },
    })
    expect(await t.telltale.api.getEvent({ projectId: t.project.id, id: batch.body.event_ids[1] })).toMatchObject({
      name: 'user_login',
      userId: '1',
    })
    expect(await t.count()).toBe(3)
    expect(await reply(await fetch(`${base}/healthz`))).toEqual({ status: 200, body: { ok: true } })
  })

  test('values survive the trip exactly (29.00, nested metadata, unicode)', async () => {
    const base = await mounted(setup)
    const res = await reply(
      await post(
        `${base}/telltale/api/events`,
        '{"event":"subscription_payment","user_id":"123","value":29.00,"metadata":{"period":"monthly","plan":"starter","note":"café ☕"}}',
        {
          authorization: `Bearer ${t.keys.write}`,
        },
      ),
    )
    expect(res.status).toBe(201)
    expect(await t.telltale.api.getEvent({ projectId: t.project.id, id: res.body.event_id })).toMatchObject({
      value: 29,
      properties: { period: 'monthly', plan: 'starter', note: 'café ☕' },
    })
  })

  test('errors: 401, 403, 422 (item named), 404 under the mount', async () => {
    const base = await mounted(setup)
    expect(
      await reply(await post(`${base}/telltale/api/events`, SINGLE, { authorization: 'Bearer sb_your_api_key' })),
    ).toEqual({
      status: 401,
      body: { message: 'Invalid API key.' },
    })
    expect((await post(`${base}/telltale/api/events`, SINGLE, { authorization: `Bearer ${t.keys.read}` })).status).toBe(
      403,
    )
    expect(
      await reply(
        await post(`${base}/telltale/api/events/batch`, '{"events":[{"event":"a"},{}]}', {
          authorization: `Bearer ${t.keys.write}`,
        }),
      ),
    ).toEqual({
      status: 422,
      body: {
        message: 'The events.1.event field is required.',
        errors: { 'events.1.event': ['The events.1.event field is required.'] },
      },
    })
    expect(
      await reply(await post(`${base}/telltale/api/events`, '[1]', { authorization: `Bearer ${t.keys.write}` })),
    ).toEqual({
      status: 422,
      body: {
        message: 'The request body must be a JSON object.',
        errors: { body: ['The request body must be a JSON object.'] },
      },
    })
    // As middleware, telltale claims only its routes: anything else goes on to the host (Express's 404).
    for (const path of ['/telltale/api/events/nope', '/telltale/nope']) {
      const outside = await post(`${base}${path}`, '{}', { authorization: `Bearer ${t.keys.write}` })
      expect(outside.status).toBe(404)
      expect(outside.headers.get('content-type')).toMatch(/^text\/html/)
    }
    expect(await t.count()).toBe(0)
  })

  test('a non-JSON content type is 415', async () => {
    const base = await mounted(setup)
    const res = await post(`${base}/telltale/api/events`, 'event=x', {
      authorization: `Bearer ${t.keys.write}`,
      'content-type': 'application/x-www-form-urlencoded',
    })
    expect(await reply(res)).toEqual({
      status: 415,
      body: { message: 'The request body must be JSON (Content-Type: application/json).' },
    })
  })

  test('limits.maxBodyBytes holds', async () => {
    const base = await mounted(setup, { limits: { maxBodyBytes: 64 } })
    const res = await post(
      `${base}/telltale/api/events`,
      JSON.stringify({ event: 'e', metadata: { p: 'x'.repeat(100) } }),
      { authorization: `Bearer ${t.keys.write}` },
    )
    expect(await reply(res)).toEqual({
      status: 413,
      body: { message: 'The request body must not be larger than 64 bytes.' },
    })
    expect(
      (await post(`${base}/telltale/api/events`, '{"event":"e"}', { authorization: `Bearer ${t.keys.write}` })).status,
    ).toBe(201)
  })
})

test('express.urlencoded() before telltale: a form body it parsed is still 415, not re-encoded as JSON', async () => {
  const base = await mounted((app) => void app.use(express.urlencoded({ extended: false })))
  const res = await post(`${base}/telltale/api/events`, 'event=x', {
    authorization: `Bearer ${t.keys.write}`,
    'content-type': 'application/x-www-form-urlencoded',
  })
  expect(res.status).toBe(415)
  expect(await t.count()).toBe(0)
})

test('the auth option with the host app’s own session header (x-session), falling back to API keys', async () => {
  const sessions = new Map<string, AuthContext>()
  const base = await mounted(
    (app) => {
      app.use(express.json())
      app.post('/login', (req, res) => {
        const token = `sess-${sessions.size + 1}`
        sessions.set(token, { projectId: req.body.projectId, scopes: req.body.scopes })
        res.json({ token })
      })
    },
    { auth: (request) => sessions.get(request.headers.get('x-session') ?? '') },
  )
  const login = async (projectId: string, scopes: string[]) =>
    (await reply(await post(`${base}/login`, JSON.stringify({ projectId, scopes }), {}))).body.token as string

  const writer = await login(t.other.project.id, ['write'])
  const single = await reply(
    await post(`${base}/telltale/api/events`, '{"event":"via-session"}', { 'x-session': writer }),
  )
  expect(single).toEqual({ status: 201, body: { success: true, event_id: expect.stringMatching(UUID) } })
  expect((await t.telltale.api.getEvent({ projectId: t.other.project.id, id: single.body.event_id })).name).toBe(
    'via-session',
  )
  await expect(t.telltale.api.getEvent({ projectId: t.project.id, id: single.body.event_id })).rejects.toMatchObject({
    kind: 'not_found',
  })

  const reader = await login(t.project.id, ['read'])
  expect(await reply(await post(`${base}/telltale/api/events/batch`, BATCH, { 'x-session': reader }))).toEqual({
    status: 403,
    body: { message: 'This API key does not have the write scope.' },
  })

  // the resolver returns undefined for an unknown session: API keys still work
  const viaKey = await reply(
    await post(`${base}/telltale/api/events`, '{"event":"via-key"}', {
      'x-session': 'unknown',
      authorization: `Bearer ${t.keys.write}`,
    }),
  )
  expect(viaKey.status).toBe(201)
  expect((await t.telltale.api.getEvent({ projectId: t.project.id, id: viaKey.body.event_id })).name).toBe('via-key')
  expect(await reply(await post(`${base}/telltale/api/events`, '{"event":"x"}', { 'x-session': 'unknown' }))).toEqual({
    status: 401,
    body: { message: 'Invalid API key.' },
  })

  expect(await t.count(t.project.id)).toBe(1)
  expect(await t.count(t.other.project.id)).toBe(1)
})

test('mounted at the root: host routes before and after it still answer', async () => {
  // The host owns its login: it leaves StatusCore (which serves POST /api/auth/login) out.
  t = await makeTelltale({ surfaces: { statusCore: false } })
  const app = express()
  app.get('/healthz', (_req, res) => void res.json({ ok: true }))
  app.use(toNodeHandler(t.telltale))
  app.get('/after', (_req, res) => void res.json({ after: true }))
  // The host's own routes, under prefixes telltale serves now or will serve (Flux, StatFlow, monitors).
  app.post('/api/orders', (_req, res) => void res.status(201).json({ host: 'orders' }))
  app.post('/api/auth/login', (_req, res) => void res.json({ host: 'login' }))
  app.get('/v1/users', (_req, res) => void res.json({ host: 'v1 users' }))
  app.get('/api/v1/users', (_req, res) => void res.json({ host: 'api v1 users' }))
  app.get('/status/page', (_req, res) => void res.json({ host: 'status' }))
  app.get('/api/events', (_req, res) => void res.json({ host: 'GET events' })) // telltale serves only POST there
  const base = await serve(app)
  expect(await reply(await fetch(`${base}/healthz`))).toEqual({ status: 200, body: { ok: true } })
  expect(await reply(await fetch(`${base}/after`))).toEqual({ status: 200, body: { after: true } })
  expect(await reply(await post(`${base}/api/orders`, '{}', {}))).toEqual({ status: 201, body: { host: 'orders' } })
  expect(await reply(await post(`${base}/api/auth/login`, '{}', {}))).toEqual({ status: 200, body: { host: 'login' } })
  for (const [path, host] of [
    ['/v1/users', 'v1 users'],
    ['/api/v1/users', 'api v1 users'],
    ['/status/page', 'status'],
    ['/api/events', 'GET events'],
  ]) {
    expect(await reply(await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${t.keys.read}` } }))).toEqual(
      { status: 200, body: { host } },
    )
  }
  expect((await post(`${base}/api/events`, SINGLE, { authorization: `Bearer ${t.keys.write}` })).status).toBe(201)
  expect(
    (await fetch(`${base}/api/v1/events/count`, { headers: { authorization: `Bearer ${t.keys.read}` } })).status,
  ).toBe(200)
  expect((await fetch(`${base}/api/v1/nope`)).status).toBe(404) // Express's own 404: not a telltale route
  expect((await fetch(`${base}/missing`)).status).toBe(404)
})
