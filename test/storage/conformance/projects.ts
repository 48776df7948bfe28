// Projects: create, read by id and by slug, slug conflicts.
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ConflictError } from '../../../src/storage'
import { type MakeStorage, project, useStorage } from './helpers'

export function projectTests(makeStorage: MakeStorage) {
  describe('projects', () => {
    const store = useStorage(makeStorage)

    it('creates a project and reads it by id and by slug', async () => {
      const p = project({ name: 'Ünïcode 🚀', timezone: 'America/New_York' })
      expect(await store().projects.create({ project: p })).toEqual(p)
      expect(await store().projects.get({ projectId: p.id })).toEqual(p)
      expect(await store().projects.getBySlug({ slug: p.slug })).toEqual(p)
    })

    it('returns undefined for an unknown id or slug', async () => {
      expect(await store().projects.get({ projectId: randomUUID() })).toBeUndefined()
      expect(await store().projects.getBySlug({ slug: `missing-${randomUUID()}` })).toBeUndefined()
    })

    it('rejects a taken slug with ConflictError and keeps the first project', async () => {
      const first = project()
      await store().projects.create({ project: first })
      const second = project({ slug: first.slug, name: 'Other' })
      const error = await store()
        .projects.create({ project: second })
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ConflictError)
      expect((error as ConflictError).field).toBe('slug')
      expect(await store().projects.get({ projectId: second.id })).toBeUndefined()
      expect(await store().projects.getBySlug({ slug: first.slug })).toEqual(first)
    })
  })
}
