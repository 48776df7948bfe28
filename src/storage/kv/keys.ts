import type { ApiKey, ApiKeyRepository } from '../keys'
import { type KvStore, kvKey, lastSegment, update } from './store'

/**
 * `key:{projectId}:{id}` holds the key; `key-prefix:{prefix}:{id}` → projectId is the index a
 * request uses before it knows its project. The index is written first, so a key is never
 * stored without it; an index entry without its key (a crash in between) is skipped.
 */
export function kvKeys(kv: KvStore): ApiKeyRepository {
  const recordKey = (projectId: string, id: string) => kvKey('key', projectId, id)
  const parse = (json: string | undefined) => (json === undefined ? undefined : (JSON.parse(json) as ApiKey))
  const many = async (keys: string[]) => (await kv.getMany(keys)).map(parse).filter((k): k is ApiKey => k !== undefined)

  return {
    async create({ key }) {
      await kv.set(kvKey('key-prefix', key.prefix, key.id), key.projectId)
      await kv.set(recordKey(key.projectId, key.id), JSON.stringify(key))
      return key
    },
    async findByPrefix({ prefix }) {
      const index = await kv.scan(`${kvKey('key-prefix', prefix)}:`)
      const owners = await kv.getMany(index)
      const keys = await many(
        index.flatMap((entry, i) => (owners[i] === undefined ? [] : [recordKey(owners[i], lastSegment(entry))])),
      )
      return keys.filter((k) => k.prefix === prefix)
    },
    async list({ projectId }) {
      const keys = await many(await kv.scan(`${kvKey('key', projectId)}:`))
      return keys.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    },
    revoke: ({ projectId, keyId, at }) =>
      update(kv, recordKey(projectId, keyId), (json) => {
        const key = parse(json)
        if (!key) return { value: undefined, result: false }
        return { value: key.revokedAt === null ? JSON.stringify({ ...key, revokedAt: at }) : undefined, result: true }
      }),
    touch: ({ projectId, keyId, at, staleMs }) =>
      update(kv, recordKey(projectId, keyId), (json) => {
        const key = parse(json)
        const stale = key && (key.lastUsedAt === null || key.lastUsedAt < at - staleMs)
        return { value: stale ? JSON.stringify({ ...key, lastUsedAt: at }) : undefined, result: undefined }
      }),
  }
}
