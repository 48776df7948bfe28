// Authorization: Bearer keys, scopes, tenant isolation, and the host `auth` resolver (in-process;
// the Express version with its own session header is in express.test.ts).

import { type AuthContext, TelltaleError } from 'telltale'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { makeTelltale, reply, type TestApp } from '../helpers/app'

let t: TestApp
afterEach(async () => {
  await t.close()
})

const INVALID = { status: 401, body: { message: 'Invalid API key.' } }
const send = (
  app: TestApp,
  path: string,
  headers: Record<string, string>,
  body: unknown = { event: 'e', events: [{ event: 'e' }] },
) =>
  app.telltale.fetch(
    new Request(`http://localhost${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    }),
  )

describe('API keys', () => {
  beforeEach(async () => {
    t = await makeTelltale()
  })

  describe.each(['/api/events', '/api/events/batch'])('%s', (path) => {
    test('no Authorization header → 401', async () => {
      expect(await reply(await send(t, path, {}))).toEqual(INVALID)
    })

    test.each([
      ['an unknown key', () => 'Bearer tt_' + 'A'.repeat(43)],
      ['the documented placeholder', () => 'Bearer sb_your_api_key_here'],
      ['an empty bearer', () => 'Bearer '],
      ['a key without the Bearer scheme', () => t.keys.write],
      ['Basic auth', () => 'Basic ' + Buffer.from(`user:${t.keys.write}`).toString('base64')],
      ['a truncated key', () => 'Bearer ' + t.keys.write.slice(0, -1)],
      [
        'a key with one character changed',
        () => 'Bearer ' + t.keys.write.slice(0, -1) + (t.keys.write.endsWith('a') ? 'b' : 'a'),
      ],
      ['two keys', () => `Bearer ${t.keys.write} ${t.keys.write}`],
    ])('%s → 401', async (_name, header) => {
      expect(await reply(await send(t, path, { authorization: header() }))).toEqual(INVALID)
      expect(await t.count()).toBe(0)
    })

    test('a revoked key → 401', async () => {
      const { key, apiKey } = await t.telltale.api.createApiKey({ projectId: t.project.id, scopes: ['write'] })
      expect((await send(t, path, { authorization: `Bearer ${key}` })).status).toBe(201)
      await t.telltale.api.revokeApiKey({ projectId: t.project.id, keyId: apiKey.id })
      expect(await reply(await send(t, path, { authorization: `Bearer ${key}` }))).toEqual(INVALID)
      expect(await t.count()).toBe(1)
    })

    test('401 comes before reading the body', async () => {
      const res = await t.telltale.fetch(
        new Request(`http://localhost${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{broken',
        }),
      )
      expect(await reply(res)).toEqual(INVALID)
    })

    test('a read-only key writing → 403, nothing stored', async () => {
      expect(await reply(await send(t, path, { authorization: `Bearer ${t.keys.read}` }))).toEqual({
        status: 403,
        body: { message: 'This API key does not have the write scope.' },
      })
      expect(await t.count()).toBe(0)
    })

    test.each(['write', 'readWrite', 'admin'] as const)('a %s key may write', async (scope) => {
      expect((await send(t, path, { authorization: `Bearer ${t.keys[scope]}` })).status).toBe(201)
    })

    test('the scheme is case-insensitive', async () => {
      expect((await send(t, path, { authorization: `bearer ${t.keys.write}` })).status).toBe(201)
    })
  })

  test('a key of project A writes to A only; B never sees it', async () => {
    const a = await reply(
      await send(t, '/api/events', { authorization: `Bearer ${t.keys.write}` }, { event: 'secret' }),
    )
    const batch = await reply(
      await send(
        t,
        '/api/events/batch',
        { authorization: `Bearer ${t.keys.write}` },
        { events: [{ event: 'secret' }] },
      ),
    )
    expect(a.status).toBe(201)
    expect(batch.status).toBe(201)
    for (const id of [a.body.event_id, ...batch.body.event_ids]) {
      expect((await t.telltale.api.getEvent({ projectId: t.project.id, id })).projectId).toBe(t.project.id)
      const error = await t.telltale.api.getEvent({ projectId: t.other.project.id, id }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(TelltaleError)
      expect(error).toMatchObject({ kind: 'not_found', status: 404 })
    }
    expect(await t.count(t.project.id)).toBe(2)
    expect(await t.count(t.other.project.id)).toBe(0)
  })

  test("B's key writes to B only", async () => {
    const b = await reply(
      await send(t, '/api/events', { authorization: `Bearer ${t.other.key}` }, { event: 'b-event' }),
    )
    expect((await t.telltale.api.getEvent({ projectId: t.other.project.id, id: b.body.event_id })).name).toBe('b-event')
    await expect(t.telltale.api.getEvent({ projectId: t.project.id, id: b.body.event_id })).rejects.toMatchObject({
      kind: 'not_found',
    })
    expect(await t.count(t.project.id)).toBe(0)
  })

  test('a body cannot choose the project', async () => {
    const res = await reply(
      await send(
        t,
        '/api/events',
        { authorization: `Bearer ${t.keys.write}` },
        { event: 'e', project_id: t.other.project.id, projectId: t.other.project.id },
      ),
    )
    expect(res.status).toBe(201)
    expect(await t.count(t.other.project.id)).toBe(0)
    expect((await t.telltale.api.getEvent({ projectId: t.project.id, id: res.body.event_id })).projectId).toBe(
      t.project.id,
    )
  })

  test('using a key records lastUsedAt', async () => {
    const { key, apiKey } = await t.telltale.api.createApiKey({ projectId: t.project.id })
    expect(apiKey.lastUsedAt).toBeNull()
    await send(t, '/api/events', { authorization: `Bearer ${key}` })
    const listed = (await t.telltale.api.listApiKeys({ projectId: t.project.id })).find((k) => k.id === apiKey.id)
    expect(listed?.lastUsedAt).toBe(t.clock.now())
    expect(listed).not.toHaveProperty('hash')
  })
})

describe('the auth option (host resolver)', () => {
  test('a resolved request acts for its project with its scopes; undefined falls back to API keys', async () => {
    const sessions = new Map<string, AuthContext>()
    t = await makeTelltale({ auth: (request) => sessions.get(request.headers.get('x-session') ?? '') })
    sessions.set('s-other', { projectId: t.other.project.id, scopes: ['write'] })
    sessions.set('s-reader', { projectId: t.project.id, scopes: ['read'] })

    // the host session wins, without any API key
    const viaSession = await reply(await send(t, '/api/events', { 'x-session': 's-other' }, { event: 'from-session' }))
    expect(viaSession.status).toBe(201)
    expect((await t.telltale.api.getEvent({ projectId: t.other.project.id, id: viaSession.body.event_id })).name).toBe(
      'from-session',
    )
    expect(await t.count(t.project.id)).toBe(0)

    // scopes from the resolver are enforced
    expect(await reply(await send(t, '/api/events', { 'x-session': 's-reader' }))).toEqual({
      status: 403,
      body: { message: 'This API key does not have the write scope.' },
    })

    // unknown session → resolver returns undefined → API key
    const viaKey = await reply(
      await send(
        t,
        '/api/events',
        { 'x-session': 'nope', authorization: `Bearer ${t.keys.write}` },
        { event: 'from-key' },
      ),
    )
    expect(viaKey.status).toBe(201)
    expect((await t.telltale.api.getEvent({ projectId: t.project.id, id: viaKey.body.event_id })).name).toBe('from-key')

    // neither → 401
    expect(await reply(await send(t, '/api/events', { 'x-session': 'nope' }))).toEqual(INVALID)
    expect(await reply(await send(t, '/api/events/batch', {}))).toEqual(INVALID)
  })

  test('an async resolver, and null also falls back', async () => {
    t = await makeTelltale({
      auth: async (request) =>
        request.headers.get('x-session') === 'ok' ? { projectId: t.project.id, scopes: ['admin'] } : null,
    })
    expect((await send(t, '/api/events/batch', { 'x-session': 'ok' })).status).toBe(201)
    expect((await send(t, '/api/events/batch', { authorization: `Bearer ${t.keys.write}` })).status).toBe(201)
    expect(await reply(await send(t, '/api/events/batch', {}))).toEqual(INVALID)
    expect(await t.count()).toBe(2)
  })
})
