// Shared by every domain suite: opening a storage for a describe block, and test data.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll } from 'vitest'
import type { NewEvent, Storage } from '../../../src/storage'
import { mulberry32 as random } from '../../helpers/prng'
import { project } from '../../helpers/records'

export interface StorageHandle {
  storage: Storage
  /** Closes this instance (and whatever the runner opened for it). */
  cleanup: () => Promise<void>
}

/**
 * Opens a new instance on the suite's backing store. Every call shares the same store (as app
 * instances share one database), which is empty and not migrated before the first test. Tests
 * never reset it: each one creates its own projects, job keys and buckets.
 */
export type MakeStorage = () => Promise<StorageHandle>

/** An instance for the enclosing `describe`: opened and migrated before its tests, closed after. */
export function useStorage(makeStorage: MakeStorage): () => Storage {
  let handle: StorageHandle | undefined
  beforeAll(async () => {
    handle = await makeStorage()
    await handle.storage.migrate()
  })
  afterAll(async () => {
    await handle?.cleanup()
  })
  return () => {
    if (!handle) throw new Error('storage is not open')
    return handle.storage
  }
}

// The test data every suite builds from (shared with tests outside this folder).
export { apiKey, event, project, T0 } from '../../helpers/records'

export async function newProject(storage: Storage): Promise<string> {
  const { id } = await storage.projects.create({ project: project() })
  return id
}

/**
 * Two projects holding the same events (B's copies get fresh ids). A query for A that leaked B's
 * rows would count them twice, so every count below also checks tenant isolation.
 */
export async function seedTwoTenants(storage: Storage, events: NewEvent[]): Promise<{ a: string; b: string }> {
  const a = await newProject(storage)
  const b = await newProject(storage)
  await storage.events.insert({ projectId: a, events })
  await storage.events.insert({ projectId: b, events: events.map((e) => ({ ...e, id: randomUUID() })) })
  return { a, b }
}

export function shuffle<T>(items: T[], next = random(7)): T[] {
  const copy = [...items]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1))
    ;[copy[i], copy[j]] = [copy[j], copy[i]]
  }
  return copy
}

/** Nearest rank, in exact integer arithmetic: the value at 1-based rank ceil(p * n / 100). */
export function nearestRank(values: number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y)
  const hundredths = BigInt(Math.round(p * 100)) * BigInt(sorted.length)
  const rank = Number((hundredths + 9999n) / 10000n)
  return sorted[rank - 1]
}

export const sum = (values: number[]) => values.reduce((total, v) => total + v, 0)
