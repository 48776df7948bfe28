// API keys: create, find by prefix, list, revoke, touch; scoped by project.
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { ApiKey } from '../../../src/storage'
import { apiKey, type MakeStorage, newProject, T0, useStorage } from './helpers'

export function keyTests(makeStorage: MakeStorage) {
  describe('keys', () => {
    const store = useStorage(makeStorage)
    const byId = (keys: ApiKey[]) => [...keys].sort((x, y) => x.id.localeCompare(y.id))

    it('creates a key and lists it with every field', async () => {
      const projectId = await newProject(store())
      const key = apiKey(projectId, { name: null, scopes: ['admin'], lastUsedAt: T0 + 1, revokedAt: null })
      expect(await store().keys.create({ key })).toEqual(key)
      expect(await store().keys.list({ projectId })).toEqual([key])
    })

    it('finds keys by prefix across projects, revoked ones too', async () => {
      const a = await newProject(store())
      const b = await newProject(store())
      const first = apiKey(a)
      const second = apiKey(b, { prefix: first.prefix, revokedAt: T0 })
      const unrelated = apiKey(a)
      for (const key of [first, second, unrelated]) await store().keys.create({ key })
      expect(byId(await store().keys.findByPrefix({ prefix: first.prefix }))).toEqual(byId([first, second]))
      expect(await store().keys.findByPrefix({ prefix: 'tt_000000000000' })).toEqual([])
    })

    it('lists only the keys of the given project', async () => {
      const a = await newProject(store())
      const b = await newProject(store())
      const keysA = [apiKey(a), apiKey(a, { createdAt: T0 + 1 })]
      const keyB = apiKey(b)
      for (const key of [...keysA, keyB]) await store().keys.create({ key })
      expect(byId(await store().keys.list({ projectId: a }))).toEqual(byId(keysA))
      expect(await store().keys.list({ projectId: b })).toEqual([keyB])
      expect(await store().keys.list({ projectId: await newProject(store()) })).toEqual([])
    })

    it('revokes once: revoking again keeps the first time', async () => {
      const projectId = await newProject(store())
      const key = apiKey(projectId)
      await store().keys.create({ key })
      expect(await store().keys.revoke({ projectId, keyId: key.id, at: T0 + 100 })).toBe(true)
      expect(await store().keys.revoke({ projectId, keyId: key.id, at: T0 + 200 })).toBe(true)
      const [stored] = await store().keys.list({ projectId })
      expect(stored.revokedAt).toBe(T0 + 100)
    })

    it('does not revoke an unknown key or a key of another project', async () => {
      const a = await newProject(store())
      const b = await newProject(store())
      const key = apiKey(a)
      await store().keys.create({ key })
      expect(await store().keys.revoke({ projectId: a, keyId: randomUUID(), at: T0 })).toBe(false)
      expect(await store().keys.revoke({ projectId: b, keyId: key.id, at: T0 })).toBe(false)
      expect((await store().keys.list({ projectId: a }))[0].revokedAt).toBeNull()
    })

    it('touch writes lastUsedAt only when the stored value is stale', async () => {
      const projectId = await newProject(store())
      const key = apiKey(projectId)
      await store().keys.create({ key })
      const lastUsed = async () => (await store().keys.list({ projectId }))[0].lastUsedAt
      const staleMs = 60_000

      await store().keys.touch({ projectId, keyId: key.id, at: T0, staleMs })
      expect(await lastUsed()).toBe(T0) // never used: written
      await store().keys.touch({ projectId, keyId: key.id, at: T0 + 30_000, staleMs })
      expect(await lastUsed()).toBe(T0) // fresh: not written
      await store().keys.touch({ projectId, keyId: key.id, at: T0 + 90_000, staleMs })
      expect(await lastUsed()).toBe(T0 + 90_000) // stale: written
    })

    it('touch does not write through another project', async () => {
      const a = await newProject(store())
      const b = await newProject(store())
      const key = apiKey(a)
      await store().keys.create({ key })
      await store().keys.touch({ projectId: b, keyId: key.id, at: T0, staleMs: 0 })
      expect((await store().keys.list({ projectId: a }))[0].lastUsedAt).toBeNull()
    })
  })
}
