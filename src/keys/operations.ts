import { timingSafeEqual } from 'node:crypto'
import { z } from 'zod'
import type { CoreContext } from '../core/context'
import { TelltaleError } from '../core/errors'
import { isUuid, randomBase62, sha256Hex, uuidv7 } from '../core/ids'
import { defineOperation } from '../core/operation'
import { perStore } from '../core/per-store'
import type { ApiKey, Scope } from '../storage'
import { apiKeyInputSchema } from './schema'

/** `tt_` + 43 base62 characters = 256 bits of randomness. */
export const KEY_PREFIX = 'tt_'
const SECRET_LENGTH = 43
/** Characters kept in clear (`tt_` + 12) to find the row; the rest is only ever hashed. */
const LOOKUP_LENGTH = KEY_PREFIX.length + 12
/** `last_used_at` is written at most this often per key. */
const TOUCH_EVERY_MS = 60_000
/**
 * How long a verified key is trusted without reading the store again. Revoking through an
 * instance drops its entry at once; other instances sharing the store notice within this time.
 */
export const KEY_CACHE_MS = 5_000
const KEY_CACHE_SIZE = 10_000

/** Verified keys per store, by SHA-256 of the plaintext. Only successes are kept. */
const keyCache = perStore(() => new Map<string, { key: ApiKey; until: number }>())

export type PublicApiKey = Omit<ApiKey, 'hash'>

/** Creates a key. The plaintext is returned here once and never stored. */
export const createApiKey = defineOperation({
  input: apiKeyInputSchema,
  scope: 'admin',
  async run(ctx, input): Promise<{ key: string; apiKey: PublicApiKey }> {
    const plaintext = input.key ?? KEY_PREFIX + randomBase62(SECRET_LENGTH)
    const now = ctx.clock.now()
    const apiKey: ApiKey = {
      id: uuidv7(now),
      projectId: input.projectId,
      name: input.name ?? null,
      prefix: plaintext.slice(0, LOOKUP_LENGTH),
      hash: sha256Hex(plaintext),
      scopes: [...new Set(input.scopes ?? (['read', 'write'] as Scope[]))],
      createdAt: now,
      lastUsedAt: null,
      revokedAt: null,
    }
    await ctx.storage.keys.create({ key: apiKey })
    return { key: plaintext, apiKey: withoutHash(apiKey) }
  },
})

export const listApiKeys = defineOperation({
  input: z.object({ projectId: z.string() }),
  scope: 'admin',
  run: async (ctx, input): Promise<PublicApiKey[]> => (await ctx.storage.keys.list(input)).map(withoutHash),
})

export const revokeApiKey = defineOperation({
  input: z.object({ projectId: z.string(), keyId: z.string() }),
  scope: 'admin',
  async run(ctx, input): Promise<void> {
    const revoked = isUuid(input.keyId) && (await ctx.storage.keys.revoke({ ...input, at: ctx.clock.now() }))
    if (!revoked) throw new TelltaleError('not_found', 'API key not found.')
    const cache = keyCache(ctx.storage)
    for (const [digest, entry] of cache) if (entry.key.id === input.keyId) cache.delete(digest)
  },
})

/**
 * The live key matching `plaintext`, or `undefined`. The row is found by its clear prefix; the
 * secret is checked by comparing SHA-256 digests in constant time.
 */
export async function verifyApiKey(ctx: CoreContext, plaintext: string): Promise<ApiKey | undefined> {
  if (!plaintext.startsWith(KEY_PREFIX) || plaintext.length !== KEY_PREFIX.length + SECRET_LENGTH) return undefined
  const now = ctx.clock.now()
  const hex = sha256Hex(plaintext)
  const cache = keyCache(ctx.storage)
  const cached = cache.get(hex)
  let match = cached && cached.until > now ? cached.key : undefined
  if (!match) {
    const candidates = await ctx.storage.keys.findByPrefix({ prefix: plaintext.slice(0, LOOKUP_LENGTH) })
    const digest = Buffer.from(hex, 'hex')
    match = candidates.find((key) => timingSafeEqual(Buffer.from(key.hash, 'hex'), digest))
    if (!match || match.revokedAt !== null) return undefined
    if (cache.size >= KEY_CACHE_SIZE) cache.delete(cache.keys().next().value!) // oldest first
    cache.set(hex, { key: match, until: now + KEY_CACHE_MS })
  }
  if (match.lastUsedAt === null || match.lastUsedAt < now - TOUCH_EVERY_MS) {
    match.lastUsedAt = now
    await ctx.storage.keys.touch({ projectId: match.projectId, keyId: match.id, at: now, staleMs: TOUCH_EVERY_MS })
  }
  return match
}

function withoutHash({ hash: _hash, ...key }: ApiKey): PublicApiKey {
  return key
}
