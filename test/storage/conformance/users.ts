// Users, per-project sequences and store-wide settings: ids from 1 per project, emails unique in
// the whole store whatever their case, updates and deletes, and the primitives under concurrency.
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ConflictError, type Storage, type User } from '../../../src/storage'
import { type MakeStorage, newProject, useStorage } from './helpers'

const T = Date.parse('2024-01-15T10:30:00Z')

function newUser(projectId: string, fields: Partial<User> = {}): Omit<User, 'id'> {
  return {
    projectId,
    email: `${randomUUID()}@example.com`,
    fullName: 'Ada Lovelace',
    passwordHash: 'scrypt$16384$8$1$salt$hash',
    subscriptionTier: 'free',
    role: 'member',
    tokenVersion: 1,
    createdAt: T,
    updatedAt: T,
    ...fields,
  }
}

const conflictOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'created',
    (error: unknown) => (error instanceof ConflictError ? `conflict:${error.field}` : String(error)),
  )

export function userTests(makeStorage: MakeStorage) {
  describe('users', () => {
    const store = useStorage(makeStorage)

    it('numbers users 1, 2, 3 per project and reads them back by id, by email and as a list', async () => {
      const [a, b] = [await newProject(store()), await newProject(store())]
      const ada = await store().users.create({ user: newUser(a, { email: 'Ada@Example.com' }) })
      const bob = await store().users.create({ user: newUser(a, { fullName: 'Bob' }) })
      const other = await store().users.create({ user: newUser(b) })
      expect([ada.id, bob.id, other.id]).toEqual([1, 2, 1])
      expect(await store().users.get({ projectId: a, id: 1 })).toEqual(ada)
      expect(await store().users.get({ projectId: b, id: 2 })).toBeUndefined()
      expect(await store().users.getByEmail({ email: 'ada@example.COM' })).toEqual(ada)
      expect((await store().users.list({ projectId: a })).map((u) => u.id)).toEqual([1, 2])
      expect(await store().users.list({ projectId: randomUUID() })).toEqual([])
    })

    it('keeps an email unique in the whole store, compared case-insensitively', async () => {
      const [a, b] = [await newProject(store()), await newProject(store())]
      const email = `Grace.${randomUUID()}@Example.com`
      await store().users.create({ user: newUser(a, { email }) })
      expect(await conflictOf(store().users.create({ user: newUser(a, { email: email.toUpperCase() }) }))).toBe(
        'conflict:email',
      )
      expect(await conflictOf(store().users.create({ user: newUser(b, { email: email.toLowerCase() }) }))).toBe(
        'conflict:email',
      )
      expect(await store().users.list({ projectId: b })).toEqual([])
    })

    it('updates fields (an email change is checked too) and deletes', async () => {
      const projectId = await newProject(store())
      const ada = await store().users.create({ user: newUser(projectId) })
      const bob = await store().users.create({ user: newUser(projectId) })
      const renamed = { ...ada, fullName: 'Countess', role: 'admin' as const, tokenVersion: 2, updatedAt: T + 1 }
      expect(await store().users.update({ user: renamed })).toEqual(renamed)
      expect(await store().users.get({ projectId, id: ada.id })).toEqual(renamed)
      expect(await conflictOf(store().users.update({ user: { ...bob, email: ada.email.toUpperCase() } }))).toBe(
        'conflict:email',
      )
      expect(await store().users.get({ projectId, id: bob.id })).toEqual(bob)
      const moved = { ...ada, email: `new.${randomUUID()}@example.com` }
      await store().users.update({ user: moved })
      expect(await store().users.getByEmail({ email: ada.email })).toBeUndefined()
      // The old email is free again, for anyone.
      await store().users.create({ user: newUser(projectId, { email: ada.email }) })
      expect(await store().users.update({ user: { ...ada, id: 999 } })).toBeUndefined()
      expect(await store().users.delete({ projectId, id: bob.id })).toBe(true)
      expect(await store().users.delete({ projectId, id: bob.id })).toBe(false)
      expect(await store().users.get({ projectId, id: bob.id })).toBeUndefined()
      expect(await store().users.getByEmail({ email: bob.email })).toBeUndefined()
    })

    it('20 concurrent creates get 20 different ids; a taken email costs at most a gap', async () => {
      const projectId = await newProject(store())
      const created = await Promise.all(
        Array.from({ length: 20 }, () => store().users.create({ user: newUser(projectId) })),
      )
      const ids = created.map((u) => u.id)
      expect(new Set(ids).size).toBe(20)
      expect(Math.min(...ids)).toBe(1)
      const same = `same.${randomUUID()}@example.com`
      const outcomes = await Promise.all(
        Array.from({ length: 5 }, () =>
          conflictOf(store().users.create({ user: newUser(projectId, { email: same }) })),
        ),
      )
      expect(outcomes.filter((o) => o === 'created')).toHaveLength(1)
      expect(outcomes.filter((o) => o === 'conflict:email')).toHaveLength(4)
    })
  })

  describe('sequences and settings', () => {
    const store = useStorage(makeStorage)

    it('counts per project and kind from 1, with no duplicates under 20 concurrent calls', async () => {
      const [a, b] = [randomUUID(), randomUUID()]
      const next = (s: Storage, projectId: string, kind: string) => s.sequences.next({ projectId, kind })
      expect(await next(store(), a, 'monitor')).toBe(1)
      expect(await next(store(), a, 'monitor')).toBe(2)
      expect(await next(store(), a, 'webhook')).toBe(1)
      expect(await next(store(), b, 'monitor')).toBe(1)
      const values = await Promise.all(Array.from({ length: 20 }, () => next(store(), a, 'incident')))
      expect(values.sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
    })

    it('keeps the first value a setting was given, across concurrent writers', async () => {
      const key = `secret-${randomUUID()}`
      expect(await store().settings.get({ key })).toBeUndefined()
      const answers = await Promise.all(
        ['one', 'two', 'three'].map((value) => store().settings.setIfAbsent({ key, value })),
      )
      expect(new Set(answers).size).toBe(1)
      expect(await store().settings.get({ key })).toBe(answers[0])
      expect(await store().settings.setIfAbsent({ key, value: 'later' })).toBe(answers[0])
    })
  })
}
