import type { CoreContext } from '../core/context'
import { randomBase62 } from '../core/ids'
import { perStore } from '../core/per-store'

const SETTING = 'accounts:token-secret'

/** The key per store: the host's `secret`, or the one kept in the store (made once, by whichever instance comes first). */
const keys = perStore(() => new Map<string, Promise<Uint8Array>>())

/** The key that signs and verifies user tokens. */
export function signingKey(ctx: CoreContext): Promise<Uint8Array> {
  const cache = keys(ctx.storage)
  const id = ctx.secret ?? ''
  let key = cache.get(id)
  if (!key) {
    key = ctx.secret
      ? Promise.resolve(new TextEncoder().encode(ctx.secret))
      : ctx.storage.settings
          .setIfAbsent({ key: SETTING, value: randomBase62(43) })
          .then((secret) => new TextEncoder().encode(secret))
    key.catch(() => cache.delete(id)) // a store that failed is asked again next time
    cache.set(id, key)
  }
  return key
}
