import type { Kysely, Selectable } from 'kysely'
import type { ApiKey, ApiKeyRepository, Scope } from '../keys'
import type { ApiKeysTable, Database } from './schema'

export function sqlKeys(db: Kysely<Database>): ApiKeyRepository {
  const table = 'telltale_api_keys' as const
  return {
    async create({ key }) {
      await db
        .insertInto(table)
        .values({
          id: key.id,
          project_id: key.projectId,
          name: key.name,
          prefix: key.prefix,
          hash: key.hash,
          scopes: key.scopes.join(' '),
          created_at: key.createdAt,
          last_used_at: key.lastUsedAt,
          revoked_at: key.revokedAt,
        })
        .execute()
      return key
    },
    async findByPrefix({ prefix }) {
      return (await db.selectFrom(table).selectAll().where('prefix', '=', prefix).execute()).map(toKey)
    },
    async list({ projectId }) {
      return (await db.selectFrom(table).selectAll().where('project_id', '=', projectId).orderBy('created_at').orderBy('id').execute()).map(toKey)
    },
    async revoke({ projectId, keyId, at }) {
      const found = await db.selectFrom(table).select('revoked_at').where('project_id', '=', projectId).where('id', '=', keyId).executeTakeFirst()
      if (!found) return false
      await db.updateTable(table).set({ revoked_at: at }).where('project_id', '=', projectId).where('id', '=', keyId).where('revoked_at', 'is', null).execute()
      return true
    },
    async touch({ projectId, keyId, at, staleMs }) {
      await db
        .updateTable(table)
        .set({ last_used_at: at })
        .where('project_id', '=', projectId)
        .where('id', '=', keyId)
        .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', at - staleMs)]))
        .execute()
    },
  }
}

function toKey(row: Selectable<ApiKeysTable>): ApiKey {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    prefix: row.prefix,
    hash: row.hash,
    scopes: row.scopes.split(' ').filter(Boolean) as Scope[],
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  }
}
