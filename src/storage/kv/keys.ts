import type { ApiKey, ApiKeyRepository } from '../keys'
import { kvRecordType } from './records'
import type { KvStore } from './store'

/**
 * `key:{projectId}:{id}` holds the key; `key-prefix:{prefix}:{id}` → projectId is the lookup a
 * request uses before it knows its project. The lookup is written first, so a key is never stored
 * without it; a lookup entry without its key (a crash in between) is skipped.
 */
export function kvKeys(kv: KvStore): ApiKeyRepository {
  const keys = kvRecordType<ApiKey>(kv, { name: 'key', projectOf: (key) => key.projectId, lookup: ['prefix'] })
  return {
    create: ({ key }) => keys.create(key),
    findByPrefix: ({ prefix }) => keys.findLookup('prefix', prefix),
    list: ({ projectId }) => keys.list(projectId),
    revoke: ({ projectId, keyId, at }) =>
      keys.update({ projectId, id: keyId }, (key) => (key.revokedAt === null ? { ...key, revokedAt: at } : undefined)),
    async touch({ projectId, keyId, at, staleMs }) {
      await keys.update({ projectId, id: keyId }, (key) =>
        key.lastUsedAt === null || key.lastUsedAt < at - staleMs ? { ...key, lastUsedAt: at } : undefined,
      )
    },
  }
}
