import { type Kysely, type Selectable, sql } from 'kysely'
import { ConflictError } from '../index'
import { emailKey, type SubscriptionTier, type User, type UserRepository, type UserRole } from '../users'
import type { SqlDialect } from './dialect'
import type { Int, SqlDomain } from './domain'
import type { Database } from './schema'
import { nextSequenceValue } from './sequences'

export interface UsersTable {
  project_id: string
  id: Int
  email: string
  email_key: string
  full_name: string
  password_hash: string
  subscription_tier: string
  role: string
  token_version: Int
  created_at: Int
  updated_at: Int
}

export interface UsersTables {
  telltale_users: UsersTable
}

export const usersDomain: SqlDomain = {
  name: 'users',
  migrations: {
    async '0003_accounts'(db, d) {
      const { id, text, int } = d.types
      await db.schema
        .createTable('telltale_users')
        .addColumn('project_id', sql.raw(id), (c) => c.notNull())
        .addColumn('id', sql.raw(int), (c) => c.notNull())
        .addColumn('email', sql.raw(text), (c) => c.notNull())
        .addColumn('email_key', sql.raw(text), (c) => c.notNull().unique())
        .addColumn('full_name', sql.raw(text), (c) => c.notNull())
        .addColumn('password_hash', sql.raw(text), (c) => c.notNull())
        .addColumn('subscription_tier', sql.raw(text), (c) => c.notNull())
        .addColumn('role', sql.raw(text), (c) => c.notNull())
        .addColumn('token_version', sql.raw(int), (c) => c.notNull())
        .addColumn('created_at', sql.raw(int), (c) => c.notNull())
        .addColumn('updated_at', sql.raw(int), (c) => c.notNull())
        .addPrimaryKeyConstraint('telltale_users_pk', ['project_id', 'id'])
        .execute()
    },
  },
}

export function sqlUsers(db: Kysely<Database>, dialect: SqlDialect): UserRepository {
  const table = 'telltale_users' as const
  const conflict = (error: unknown) => {
    if (dialect.isUniqueViolation(error)) throw new ConflictError('email')
    throw error
  }
  return {
    async create({ user }) {
      // The id and the row in one transaction: a taken email gives its number back.
      return db
        .transaction()
        .execute(async (trx) => {
          const id = await nextSequenceValue(trx, user.projectId, 'user')
          await trx
            .insertInto(table)
            .values(toRow({ ...user, id }))
            .execute()
          return { ...user, id }
        })
        .catch(conflict)
    },
    async get({ projectId, id }) {
      const row = await db
        .selectFrom(table)
        .selectAll()
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .executeTakeFirst()
      return row && toUser(row)
    },
    async getByEmail({ email }) {
      const row = await db.selectFrom(table).selectAll().where('email_key', '=', emailKey(email)).executeTakeFirst()
      return row && toUser(row)
    },
    async list({ projectId }) {
      const rows = await db.selectFrom(table).selectAll().where('project_id', '=', projectId).orderBy('id').execute()
      return rows.map(toUser)
    },
    async update({ user }) {
      const { project_id, id, created_at: _, ...fields } = toRow(user)
      const row = await db
        .updateTable(table)
        .set(fields)
        .where('project_id', '=', project_id)
        .where('id', '=', id)
        .returning('created_at')
        .executeTakeFirst()
        .catch(conflict)
      return row && { ...user, createdAt: Number(row.created_at) }
    },
    async delete({ projectId, id }) {
      const result = await db
        .deleteFrom(table)
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .executeTakeFirst()
      return Number(result.numDeletedRows) > 0
    },
  }
}

function toRow(user: User) {
  return {
    project_id: user.projectId,
    id: user.id,
    email: user.email,
    email_key: emailKey(user.email),
    full_name: user.fullName,
    password_hash: user.passwordHash,
    subscription_tier: user.subscriptionTier,
    role: user.role,
    token_version: user.tokenVersion,
    created_at: user.createdAt,
    updated_at: user.updatedAt,
  }
}

function toUser(row: Selectable<UsersTable>): User {
  return {
    projectId: row.project_id,
    id: Number(row.id),
    email: row.email,
    fullName: row.full_name,
    passwordHash: row.password_hash,
    subscriptionTier: row.subscription_tier as SubscriptionTier,
    role: row.role as UserRole,
    tokenVersion: Number(row.token_version),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  }
}
