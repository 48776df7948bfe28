import { type Kysely, type Selectable, sql } from 'kysely'
import type { ApiKey, ApiKeyRepository, Scope } from '../keys'
import type { Int, NullableInt, SqlDomain } from './domain'
import type { Database } from './schema'

export interface ApiKeysTable {
  id: string
  project_id: string
  name: string | null
  prefix: string
  hash: string
  scopes: string
  created_at: Int
  last_used_at: NullableInt
  revoked_at: NullableInt
}

export interface KeysTables {
  telltale_api_keys: ApiKeysTable
}

/** After projects in the domain list: keys reference them. */
export const keysDomain: SqlDomain = {
  name: 'keys',
  migrations: {
    async '0001_foundation'(db, d) {
      const { id, text, int } = d.types
      await db.schema
        .createTable('telltale_api_keys')
        .addColumn('id', sql.raw(id), (c) => c.primaryKey())
        .addColumn('project_id', sql.raw(id), (c) => c.notNull().references('telltale_projects.id').onDelete('cascade'))
        .addColumn('name', sql.raw(text))
        .addColumn('prefix', sql.raw(text), (c) => c.notNull())
        .addColumn('hash', sql.raw(text), (c) => c.notNull())
        .addColumn('scopes', sql.raw(text), (c) => c.notNull())
        .addColumn('created_at', sql.raw(int), (c) => c.notNull())
        .addColumn('last_used_at', sql.raw(int))
        .addColumn('revoked_at', sql.raw(int))
        .execute()
      await db.schema.createIndex('telltale_api_keys_prefix').on('telltale_api_keys').column('prefix').execute()
      await db.schema
        .createIndex('telltale_api_keys_project')
        .on('telltale_api_keys')
        .columns(['project_id', 'created_at'])
        .execute()
    },
  },
}

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
      return (
        await db
          .selectFrom(table)
          .selectAll()
          .where('project_id', '=', projectId)
          .orderBy('created_at')
          .orderBy('id')
          .execute()
      ).map(toKey)
    },
    async revoke({ projectId, keyId, at }) {
      const found = await db
        .selectFrom(table)
        .select('revoked_at')
        .where('project_id', '=', projectId)
        .where('id', '=', keyId)
        .executeTakeFirst()
      if (!found) return false
      await db
        .updateTable(table)
        .set({ revoked_at: at })
        .where('project_id', '=', projectId)
        .where('id', '=', keyId)
        .where('revoked_at', 'is', null)
        .execute()
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
