// Migrations: concurrent and repeated runs on one store.
import { describe, expect, it } from 'vitest'
import { type MakeStorage, project } from './helpers'

export function migrateTests(makeStorage: MakeStorage) {
  describe('migrate', () => {
    // First test of the suite: the store is still empty, so this races the real first migration.
    it('runs concurrently on a fresh store, from one instance and from two', async () => {
      const handles = [await makeStorage(), await makeStorage()]
      try {
        const [a, b] = handles.map((h) => h.storage)
        await Promise.all([a.migrate(), a.migrate(), b.migrate(), b.migrate()])
        const p = project()
        await a.projects.create({ project: p })
        expect(await b.projects.get({ projectId: p.id })).toEqual(p)
      } finally {
        for (const handle of handles) await handle.cleanup()
      }
    })

    it('is idempotent: running it again keeps the data', async () => {
      const { storage, cleanup } = await makeStorage()
      try {
        await storage.migrate()
        const p = project()
        await storage.projects.create({ project: p })
        await storage.migrate()
        await storage.migrate()
        expect(await storage.projects.get({ projectId: p.id })).toEqual(p)
      } finally {
        await cleanup()
      }
    })
  })
}
