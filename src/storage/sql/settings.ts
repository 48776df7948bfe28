import { type Kysely, sql } from 'kysely'
import type { SettingRepository } from '../users'
import type { SqlDomain } from './domain'
import type { Database } from './schema'

export interface SettingsTables {
  telltale_settings: { key: string; value: string }
}

export const settingsDomain: SqlDomain = {
  name: 'settings',
  migrations: {
    async '0003_accounts'(db, d) {
      await db.schema
        .createTable('telltale_settings')
        .addColumn('key', sql.raw(d.types.text), (c) => c.primaryKey())
        .addColumn('value', sql.raw(d.types.text), (c) => c.notNull())
        .execute()
    },
  },
}

export function sqlSettings(db: Kysely<Database>): SettingRepository {
  const read = async (key: string) =>
    (await db.selectFrom('telltale_settings').select('value').where('key', '=', key).executeTakeFirst())?.value
  return {
    get: ({ key }) => read(key),
    async setIfAbsent({ key, value }) {
      await db
        .insertInto('telltale_settings')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doNothing())
        .execute()
      return (await read(key)) ?? value
    },
  }
}
