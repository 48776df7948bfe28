import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { sqliteStorage } from 'telltale/adapters/sqlite'
import { afterAll, describe, expect, it } from 'vitest'
import { createSqlStorage, sqliteDialect } from '../../src/storage/sql'
import { tempSqliteFile } from '../helpers/sqlite'
import { aggregationConformance, storageConformance } from './conformance'

// A real file on disk (WAL mode); every instance of the suite opens its own connection to it.
const suiteFile = tempSqliteFile('conformance')
afterAll(() => suiteFile.remove())

storageConformance('sqlite (file)', async () => {
  const storage = sqliteStorage({ file: suiteFile.file })
  return { storage, cleanup: () => storage.close() }
})

// `:memory:` through a database the caller opened: every instance shares that one connection.
const memory = new Database(':memory:')
afterAll(() => memory.close())

storageConformance('sqlite (:memory:, caller-owned database)', async () => {
  const storage = sqliteStorage({ database: memory })
  return { storage, cleanup: () => storage.close() }
})

// SQLite built without the percentile extension: percentiles by window function, same answers.
const windowed = new Database(':memory:')
afterAll(() => windowed.close())
aggregationConformance('sqlite without percentile_disc', async () => {
  const storage = createSqlStorage({
    db: new Kysely({ dialect: new SqliteDialect({ database: windowed }) }),
    dialect: { ...sqliteDialect, percentileDisc: undefined },
  })
  return { storage, cleanup: () => storage.close() }
})

describe('sqlite adapter', () => {
  const project = { id: 'p-restart', name: 'Restart', slug: 'restart', timezone: 'UTC', createdAt: 1_700_000_000_000 }
  const stored = {
    id: 'e-restart',
    name: 'deploy',
    timestamp: 1_700_000_000_000,
    receivedAt: 1_700_000_000_001,
    userId: 'u1',
    userEmail: null,
    userName: null,
    value: 1.5,
    properties: { sha: 'abc' },
    tags: { env: 'prod' },
    clientId: 'c1',
  }

  it('keeps acknowledged data after the storage is closed and the file reopened', async () => {
    const temp = tempSqliteFile('restart')
    try {
      const before = sqliteStorage({ file: temp.file })
      await before.migrate()
      await before.projects.create({ project })
      await before.events.insert({ projectId: project.id, events: [stored] })
      await before.close()

      const after = sqliteStorage({ file: temp.file })
      await after.migrate()
      expect(await after.projects.get({ projectId: project.id })).toEqual(project)
      expect(await after.events.get({ projectId: project.id, id: stored.id })).toEqual({
        ...stored,
        projectId: project.id,
      })
      // The retry after a restart is still recognised by its client id.
      expect(await after.events.insert({ projectId: project.id, events: [{ ...stored, id: 'e-retry' }] })).toEqual({
        ids: [stored.id],
        created: 0,
      })
      await after.close()
    } finally {
      temp.remove()
    }
  })

  it('makes acknowledged writes visible to another connection on the same file', async () => {
    const temp = tempSqliteFile('shared')
    const writer = sqliteStorage({ file: temp.file })
    const reader = sqliteStorage({ file: temp.file })
    try {
      await writer.migrate()
      await writer.projects.create({ project })
      await writer.events.insert({ projectId: project.id, events: [stored] })
      expect(await reader.events.count({ projectId: project.id, filter: {} })).toBe(1)
    } finally {
      await writer.close()
      await reader.close()
      temp.remove()
    }
  })

  it('migrates one file from several processes at once', async () => {
    const temp = tempSqliteFile('processes')
    const child = fileURLToPath(new URL('./fixtures/sqlite-migrate.ts', import.meta.url))
    const root = fileURLToPath(new URL('../..', import.meta.url))
    try {
      // Every child must exit 0: a lost race fails its migrate() and the process.
      await Promise.all(
        Array.from({ length: 4 }, () =>
          promisify(execFile)(process.execPath, ['--import', 'tsx', child, temp.file], { cwd: root }),
        ),
      )
      const storage = sqliteStorage({ file: temp.file })
      await storage.migrate()
      await storage.projects.create({ project })
      expect(await storage.projects.getBySlug({ slug: project.slug })).toEqual(project)
      await storage.close()
    } finally {
      temp.remove()
    }
  })

  it('does not close a database the caller passed in', async () => {
    const temp = tempSqliteFile('owned')
    const database = new Database(temp.file)
    try {
      const storage = sqliteStorage({ database })
      await storage.migrate()
      await storage.projects.create({ project })
      await storage.close()

      expect(database.open).toBe(true)
      expect(database.prepare('select 1 as one').get()).toEqual({ one: 1 })
      const again = sqliteStorage({ database })
      expect(await again.projects.get({ projectId: project.id })).toEqual(project)
      await again.close()
      expect(database.open).toBe(true)
    } finally {
      database.close()
      temp.remove()
    }
  })
})
