// StatusCore accounts (reference 003 "Authentication"; issue 17) on every adapter: login and its
// documented reply, tokens that end (expiry, other secrets, forged, password and role changes,
// deleted users, also on another instance), roles against scopes, login rate limits, and bad input.
import { createTelltale } from 'telltale'
import { manualScheduler } from 'telltale/adapters/manual'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { type MakeOptions, makeTelltale, reply, type TestApp } from '../../helpers/app'

let t: TestApp
const open = async (options: MakeOptions = {}) => {
  t = await makeTelltale(options)
  await t.telltale.api.createUser({
    projectId: t.project.id,
    email: 'Ada@Example.com',
    password: 'correct horse battery',
    fullName: 'Ada Lovelace',
    subscriptionTier: 'pro',
    role: 'admin',
  })
}
beforeEach(() => open())
afterEach(() => t.close())

const call = async (method: string, path: string, token?: string | null, body?: unknown, headers = {}) =>
  reply(
    await t.telltale.fetch(
      new Request(`http://localhost${path}`, {
        method,
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      }),
    ),
  )
const login = (email = 'ada@example.com', password = 'correct horse battery') =>
  call('POST', '/api/auth/login', null, { email, password })
const tokenOf = async (email?: string, password?: string) => (await login(email, password)).body.token as string

describe('login', () => {
  test('answers the documented user object and a JWT; /api/auth/me reads it back', async () => {
    const answer = await login('ADA@example.com')
    expect(answer).toEqual({
      status: 200,
      body: {
        user: { id: 1, email: 'Ada@Example.com', fullName: 'Ada Lovelace', subscriptionTier: 'pro' },
        token: expect.stringMatching(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/),
      },
    })
    const me = await call('GET', '/api/auth/me', answer.body.token)
    expect(me).toMatchObject({ status: 200, body: { user: { id: 1, email: 'Ada@Example.com', role: 'admin' } } })
  })

  test('an unknown email and a wrong password get the same 401', async () => {
    const wrong = await login('ada@example.com', 'wrong password')
    const unknown = await login('nobody@example.com', 'wrong password')
    expect(wrong).toEqual({ status: 401, body: { error: 'Invalid email or password.' } })
    expect(unknown).toEqual(wrong)
    expect(await login('not an email', 'x')).toEqual(wrong)
  })

  test('bad input is a 4xx in the documented shape, never a 500', async () => {
    for (const body of [{}, { email: 1, password: [] }, { email: 'a@b.co' }, '[]', '{"email":'])
      expect((await call('POST', '/api/auth/login', null, body)).status).toBeOneOf([400, 401, 422])
    expect(await call('POST', '/api/auth/login', null, { email: 'a@b.co' })).toEqual({
      status: 422,
      body: { error: 'The password field is required.' },
    })
  })

  test('is limited per email and address (10 a minute), and per address (60): 429 with Retry-After', async () => {
    for (let i = 0; i < 10; i++) expect((await login('ada@example.com', 'wrong password')).status).toBe(401)
    const limited = await t.telltale.fetch(
      new Request('http://localhost/api/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'ada@example.com', password: 'correct horse battery' }),
      }),
    )
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('60')
    // Another email from the same place still gets its own attempts.
    expect((await login('other@example.com', 'x')).status).toBe(401)
    for (let i = 0; i < 48; i++) await login(`n${i}@example.com`, 'x')
    expect((await login('fresh@example.com', 'x')).status).toBe(429)
  })
})

describe('tokens', () => {
  test('forged, alg none, garbage and other-secret tokens are 401', async () => {
    const token = await tokenOf()
    const [header, payload, signature] = token.split('.')
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
    const other = createTelltale({
      storage: t.storage,
      clock: t.clock,
      secret: 'x'.repeat(40),
      scheduler: manualScheduler({ clock: t.clock }),
    })
    await other.ready()
    const foreign = (
      await reply(
        await other.fetch(
          new Request('http://localhost/api/auth/login', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ email: 'ada@example.com', password: 'correct horse battery' }),
          }),
        ),
      )
    ).body.token
    // A real token of the same user, signed with another secret.
    expect(foreign).toMatch(/^eyJ/)
    for (const bad of [
      `${header}.${b64({ ...claims, role: 'admin', tv: claims.tv })}.${signature}`,
      `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`,
      `${header}.${payload}.${signature.slice(0, -3)}abc`,
      foreign,
      'eyJ.eyJ.x',
    ])
      expect(await call('GET', '/api/auth/me', bad), bad).toEqual({
        status: 401,
        body: { error: 'Invalid or expired token.' },
      })
  })

  test('expire after limits.tokenTtlMs', async () => {
    await t.close()
    await open({ limits: { tokenTtlMs: 60_000 } })
    const token = await tokenOf()
    t.clock.advance(59_000)
    expect((await call('GET', '/api/auth/me', token)).status).toBe(200)
    t.clock.advance(2_000)
    expect((await call('GET', '/api/auth/me', token)).status).toBe(401)
  })

  test('a password change ends older tokens, here at once and on another instance within 5 s', async () => {
    const before = await tokenOf()
    const second = createTelltale({
      storage: t.storage,
      clock: t.clock,
      scheduler: manualScheduler({ clock: t.clock }),
    })
    const viaSecond = (token: string) =>
      second.fetch(new Request('http://localhost/api/auth/me', { headers: { authorization: `Bearer ${token}` } }))
    expect((await viaSecond(before)).status).toBe(200)
    const changed = await call('PUT', '/api/auth/password', before, {
      current_password: 'correct horse battery',
      new_password: 'a new password',
    })
    expect(changed).toEqual({ status: 200, body: { success: true, token: expect.any(String) } })
    expect((await call('GET', '/api/auth/me', before)).status).toBe(401)
    expect((await call('GET', '/api/auth/me', changed.body.token)).status).toBe(200)
    t.clock.advance(5_001)
    expect((await viaSecond(before)).status).toBe(401)
    expect((await viaSecond(changed.body.token)).status).toBe(200)
    expect((await login()).status).toBe(401)
    expect((await login('ada@example.com', 'a new password')).status).toBe(200)
    expect(
      await call('PUT', '/api/auth/password', changed.body.token, {
        current_password: 'nope',
        new_password: 'whatever1',
      }),
    ).toEqual({ status: 401, body: { error: 'The current password is not correct.' } })
  })

  test("a deleted user's token and a demoted user's old token stop working", async () => {
    const admin = await tokenOf()
    await t.telltale.api.createUser({
      projectId: t.project.id,
      email: 'bob@example.com',
      password: 'bob password',
      fullName: 'Bob',
    })
    const bob = await tokenOf('bob@example.com', 'bob password')
    expect((await call('GET', '/api/auth/me', bob)).status).toBe(200)
    expect(await call('PUT', '/api/users/2', admin, { role: 'viewer' })).toMatchObject({
      status: 200,
      body: { id: 2, role: 'viewer' },
    })
    expect((await call('GET', '/api/auth/me', bob)).status).toBe(401)
    const viewer = await tokenOf('bob@example.com', 'bob password')
    // Another instance over the same store has verified (and cached) the token before the delete.
    const second = createTelltale({
      storage: t.storage,
      clock: t.clock,
      scheduler: manualScheduler({ clock: t.clock }),
    })
    const viaSecond = () =>
      second.fetch(new Request('http://localhost/api/auth/me', { headers: { authorization: `Bearer ${viewer}` } }))
    expect((await viaSecond()).status).toBe(200)
    expect(await call('DELETE', '/api/users/2', admin)).toEqual({ status: 200, body: { success: true } })
    expect((await call('GET', '/api/auth/me', viewer)).status).toBe(401)
    t.clock.advance(5_001)
    expect((await viaSecond()).status).toBe(401)
  })
})

describe('roles and users', () => {
  test("a user's role decides its scopes on every surface; admins manage users", async () => {
    const admin = await tokenOf()
    for (const [email, role] of [
      ['m@example.com', 'member'],
      ['v@example.com', 'viewer'],
    ] as const)
      expect(
        await call('POST', '/api/users', admin, { email, password: 'password1', fullName: role, role }),
      ).toMatchObject({
        status: 201,
        body: { email, role, subscriptionTier: 'free' },
      })
    const member = await tokenOf('m@example.com', 'password1')
    const viewer = await tokenOf('v@example.com', 'password1')
    expect((await call('POST', '/api/events', member, { event: 'signup' })).status).toBe(201)
    expect(await call('POST', '/api/events', viewer, { event: 'signup' })).toMatchObject({ status: 403 })
    expect((await call('GET', '/api/v1/events/count', viewer)).status).toBe(200)
    expect(await call('GET', '/api/users', member)).toMatchObject({ status: 403 })
    expect(await call('GET', '/api/users', t.keys.admin)).toMatchObject({ status: 200 })
    const listed = await call('GET', '/api/users', admin)
    expect(listed.body.map((u: { id: number; role: string }) => [u.id, u.role])).toEqual([
      [1, 'admin'],
      [2, 'member'],
      [3, 'viewer'],
    ])
    expect(JSON.stringify(listed.body)).not.toMatch(/password|scrypt|tokenVersion/i)
    // Another project's admin sees none of them, and cannot touch them.
    const otherAdmin = await t.telltale.api.createUser({
      projectId: t.other.project.id,
      email: 'o@example.com',
      password: 'password1',
      fullName: 'O',
      role: 'admin',
    })
    expect(otherAdmin.id).toBe(1)
    const other = await tokenOf('o@example.com', 'password1')
    expect((await call('GET', '/api/users', other)).body.map((u: { email: string }) => u.email)).toEqual([
      'o@example.com',
    ])
    expect(await call('DELETE', '/api/users/2', other)).toEqual({ status: 404, body: { error: 'User not found.' } })
    expect(await call('GET', '/api/auth/me', t.keys.admin)).toMatchObject({ status: 403 })
  })

  test('emails are unique in the store, whatever their case: 409', async () => {
    const admin = await tokenOf()
    expect(
      await call('POST', '/api/users', admin, { email: 'ADA@example.COM', password: 'password1', fullName: 'A' }),
    ).toEqual({
      status: 409,
      body: { error: 'The email has already been taken.' },
    })
    const error = await t.telltale.api
      .createUser({ projectId: t.other.project.id, email: 'ada@example.com', password: 'password1', fullName: 'A' })
      .catch((e) => e)
    expect(error.kind).toBe('conflict')
  })

  test('bad input to every users route and api call is a 4xx / TelltaleError', async () => {
    const admin = await tokenOf()
    for (const [method, path, body] of [
      ['POST', '/api/users', { email: 'x', password: 'short', fullName: '' }],
      ['POST', '/api/users', { email: 'a@b.co', password: 'p'.repeat(1025), fullName: 'A' }],
      ['POST', '/api/users', { email: 'a@b.co', password: 'password1', fullName: 'A', role: 'owner' }],
      ['PUT', '/api/users/abc', { fullName: 'A' }],
      ['PUT', '/api/users/999', { fullName: 'A' }],
      ['DELETE', '/api/users/0', undefined],
      ['PUT', '/api/auth/password', { current_password: 1, new_password: 'x' }],
    ] as const)
      expect((await call(method, path, admin, body)).status, `${method} ${path}`).toBeOneOf([404, 422])
    for (const input of [
      {},
      { projectId: t.project.id, email: 'bad' },
      { projectId: 'nope', email: 'a@b.co', password: 'password1', fullName: 'A' },
    ])
      expect((await t.telltale.api.createUser(input as never).catch((e) => e)).kind).toBeOneOf([
        'validation',
        'not_found',
      ])
    expect((await t.telltale.api.deleteUser({ projectId: t.project.id, id: '7' }).catch((e) => e)).kind).toBe(
      'not_found',
    )
  })
})
