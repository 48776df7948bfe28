import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto'

/**
 * Passwords are hashed with scrypt (node:crypto, run on libuv's thread pool, so a login never
 * holds the event loop). Stored as `scrypt$N$r$p$salt$hash` (base64url), so the cost can be raised
 * later and old hashes still verify with the parameters they were made with.
 */
const COST = { N: 2 ** 14, r: 8, p: 1 }
const KEY_LENGTH = 32
const SALT_LENGTH = 16

export const PASSWORD_MIN = 8
export const PASSWORD_MAX = 1024

function derive(password: string, salt: Buffer, cost: typeof COST): Promise<Buffer> {
  const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r }
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  )
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH)
  const key = await derive(password, salt, COST)
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), key.toString('base64url')].join('$')
}

/** Whether `password` matches `stored`, compared in constant time. A malformed hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, expected] = stored.split('$')
  const cost = { N: Number(n), r: Number(r), p: Number(p) }
  if (scheme !== 'scrypt' || !salt || !expected || !Object.values(cost).every((v) => Number.isSafeInteger(v) && v > 0))
    return false
  const key = await derive(password, Buffer.from(salt, 'base64url'), cost)
  const want = Buffer.from(expected, 'base64url')
  return want.length === key.length && timingSafeEqual(key, want)
}

/**
 * A hash of nothing anyone knows: a login for an unknown email is verified against it, so that
 * it takes as long as a wrong password for a real one and the two cannot be told apart.
 */
let dummy: Promise<string> | undefined
export const dummyPasswordHash = (): Promise<string> => {
  dummy ??= hashPassword(randomBytes(18).toString('base64url'))
  return dummy
}
