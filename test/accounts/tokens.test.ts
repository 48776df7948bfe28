// User tokens and password hashes, below the HTTP layer: what verifies and what never does.
import { randomBytes } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { dummyPasswordHash, hashPassword, verifyPassword } from '../../src/accounts/password'
import { looksLikeJwt, signUserToken, verifyUserToken } from '../../src/accounts/tokens'

const secret = randomBytes(32)
const NOW = Date.parse('2024-01-15T10:30:00Z')
const DAY = 86_400_000
const claims = { projectId: '01940000-0000-7000-8000-000000000001', userId: 7, tokenVersion: 3 }
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

describe('user tokens', () => {
  test('a token verifies with its secret until it expires', async () => {
    const token = await signUserToken(secret, claims, { now: NOW, ttlMs: 7 * DAY })
    expect(looksLikeJwt(token)).toBe(true)
    expect(JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' })
    expect(await verifyUserToken(secret, token, NOW + 7 * DAY - 1000)).toEqual(claims)
    expect(await verifyUserToken(secret, token, NOW + 7 * DAY + 1000)).toBeUndefined()
  })

  test('tampered, alg none, other algorithms, other secrets and garbage never verify', async () => {
    const token = await signUserToken(secret, claims, { now: NOW, ttlMs: DAY })
    const [header, payload, signature] = token.split('.')
    const forged = b64({ sub: `${claims.projectId}:1`, tv: 3, iat: NOW / 1000, exp: NOW / 1000 + 3600 })
    const cases = [
      `${header}.${forged}.${signature}`, // another user, same signature
      `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`,
      `${b64({ alg: 'none' })}.${forged}.`,
      `${b64({ alg: 'HS512', typ: 'JWT' })}.${payload}.${signature}`,
      `${header}.${payload}.${signature.slice(0, -2)}AA`,
      await signUserToken(randomBytes(32), claims, { now: NOW, ttlMs: DAY }),
      'tt_notajwt',
      '..',
      `${header}.${payload}`,
    ]
    for (const bad of cases) expect(await verifyUserToken(secret, bad, NOW), bad).toBeUndefined()
  })

  test('a subject that names no user is refused even when signed', async () => {
    const { SignJWT } = await import('jose')
    const signed = (sub: string, tv: unknown = 1) =>
      new SignJWT({ tv })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(sub)
        .setIssuedAt(NOW / 1000)
        .setExpirationTime(NOW / 1000 + 60)
        .sign(secret)
    for (const sub of ['p:0', 'p:-1', 'p:1.5', 'p', ':1', 'p:99999999999999999'])
      expect(await verifyUserToken(secret, await signed(sub), NOW), sub).toBeUndefined()
    expect(await verifyUserToken(secret, await signed('p:1', 'x'), NOW)).toBeUndefined()
    expect(await verifyUserToken(secret, await signed('p:1'), NOW)).toEqual({
      projectId: 'p',
      userId: 1,
      tokenVersion: 1,
    })
  })
})

describe('password hashes', () => {
  test('verify the password they were made from, and nothing else', async () => {
    const hash = await hashPassword('correct horse')
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{43}$/)
    expect(hash).not.toContain('correct horse')
    expect(await verifyPassword('correct horse', hash)).toBe(true)
    expect(await verifyPassword('correct horsE', hash)).toBe(false)
    expect(await verifyPassword('', hash)).toBe(false)
    expect(await hashPassword('correct horse')).not.toBe(hash) // salted
    for (const broken of ['', 'scrypt', 'bcrypt$1$2$3$abc$def', 'scrypt$0$8$1$abc$def', hash.slice(0, -4)])
      expect(await verifyPassword('correct horse', broken)).toBe(false)
  })

  test('the dummy hash takes as long as a real one and matches nothing', async () => {
    const dummy = await dummyPasswordHash()
    expect(await verifyPassword('', dummy)).toBe(false)
    const real = await hashPassword('a real password')
    const time = async (hash: string) => {
      const start = performance.now()
      for (let i = 0; i < 5; i++) await verifyPassword('guess', hash)
      return performance.now() - start
    }
    await time(real)
    const [a, b] = [await time(real), await time(dummy)]
    expect(Math.max(a, b) / Math.min(a, b)).toBeLessThan(3)
  })
})
