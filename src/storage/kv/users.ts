import { ConflictError } from '../index'
import { emailKey, type SequenceRepository, type SettingRepository, type User, type UserRepository } from '../users'
import { kvRecordType } from './records'
import { type KvStore, kvKey } from './store'

/** A user as kv keeps it: with the form its email is unique in. */
type StoredUser = User & { emailKey: string }

/**
 * - `user:{projectId}:{id}` holds the user; `user-emailKey:{email}` claims the email across the
 *   store (owned by `{projectId}:{id}`), before the user is written;
 * - `seq:{projectId}:{kind}` is a counter: an atomic increment on Redis, under the per-key lock of
 *   this process on unstorage;
 * - `setting:{key}` holds a setting, written once with set-if-absent.
 *
 * A user's id is taken from the counter before the write, so a refused create leaves a gap.
 */
export function kvUsers(kv: KvStore, sequences: SequenceRepository): UserRepository {
  const users = kvRecordType<StoredUser>(kv, {
    name: 'user',
    projectOf: (user) => user.projectId,
    unique: { emailKey: 'store' },
  })
  const stored = (user: User): StoredUser => ({ ...user, emailKey: emailKey(user.email) })
  const plain = (user: StoredUser | undefined): User | undefined => {
    if (!user) return undefined
    const { emailKey: _, ...rest } = user
    return rest
  }
  /** The claim is on `emailKey`; callers know the field as `email`. */
  const asEmail = (error: unknown): never => {
    throw error instanceof ConflictError && error.field === 'emailKey' ? new ConflictError('email') : error
  }
  return {
    async create({ user }) {
      const id = await sequences.next({ projectId: user.projectId, kind: 'user' })
      return plain(await users.create(stored({ ...user, id })).catch(asEmail)) as User
    },
    get: async ({ projectId, id }) => plain(await users.get({ projectId, id })),
    getByEmail: async ({ email }) => {
      const user = await users.findUnique('emailKey', emailKey(email))
      return user && user.emailKey === emailKey(email) ? plain(user) : undefined
    },
    list: async ({ projectId }) =>
      (await users.list(projectId)).map((user) => plain(user) as User).sort((a, b) => a.id - b.id),
    async update({ user }) {
      let createdAt = user.createdAt
      const changed = await users
        .update({ projectId: user.projectId, id: user.id }, (current) => {
          createdAt = current.createdAt
          return { ...stored(user), createdAt }
        })
        .catch(asEmail)
      return changed ? { ...user, createdAt } : undefined
    },
    delete: async ({ projectId, id }) => (await users.delete({ projectId, id })) !== undefined,
  }
}

export function kvSequences(kv: KvStore): SequenceRepository {
  return { next: ({ projectId, kind }) => kv.increment(kvKey('seq', projectId, kind), 1) }
}

export function kvSettings(kv: KvStore): SettingRepository {
  const key = (name: string) => kvKey('setting', name)
  return {
    get: ({ key: name }) => kv.get(key(name)),
    async setIfAbsent({ key: name, value }) {
      if (await kv.setIfAbsent(key(name), value)) return value
      return (await kv.get(key(name))) ?? value
    },
  }
}
