import { defineDomain } from '../core/domain'
import { createApiKey, listApiKeys, revokeApiKey } from './operations'

/** API keys: created once in clear, then only hashed; `verifyApiKey` is what the router authenticates with. */
export const keys = defineDomain({
  id: 'keys',
  operations: { createApiKey, listApiKeys, revokeApiKey },
})

export {
  createApiKey,
  KEY_CACHE_MS,
  KEY_PREFIX,
  listApiKeys,
  type PublicApiKey,
  revokeApiKey,
  verifyApiKey,
} from './operations'
