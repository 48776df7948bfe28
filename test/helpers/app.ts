import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createFakeClock, createTelltale, type FakeClock, type Telltale, type TelltaleOptions } from 'telltale'
import { type ManualScheduler, manualScheduler } from 'telltale/adapters/manual'
import { sqliteStorage } from 'telltale/adapters/sqlite'
import type { Project, Storage } from '../../src/storage'
import { currentAdapter, type TestStorage } from './adapters'

/** The fake clock's default start. Event timestamps in tests are relative to it. */
export const NOW = '2024-01-15T10:30:00Z'

export interface TestKeys {
  /** `read` + `write` (the default scopes). */
  readWrite: string
  write: string
  read: string
  admin: string
}

export interface TestApp {
  telltale: Telltale
  storage: Storage
  clock: FakeClock
  scheduler: ManualScheduler
  project: Project
  keys: TestKeys
  /** A second tenant, for isolation tests. */
  other: { project: Project; key: string }
  /** `POST path` with a JSON body (a string is sent as is) and `Authorization: Bearer key`. */
  post(path: string, body: unknown, key?: string | null, headers?: Record<string, string>): Promise<Response>
  /** Events stored for a project (default: the main one). */
  count(projectId?: string): Promise<number>
  close(): Promise<void>
}

export interface MakeOptions extends Partial<Omit<TelltaleOptions, 'storage' | 'clock' | 'scheduler'>> {
  storage?: Storage
  /** A SQLite file instead of the current adapter's fresh store. */
  file?: string
  /** Where the fake clock starts. Default `NOW`. */
  now?: string
}

/**
 * The one way tests build an app: an in-process telltale over a fresh store of the current
 * adapter (`TELLTALE_TEST_ADAPTER`: in-memory SQLite or a throwaway Postgres schema), a fake
 * clock, a manual scheduler, one project with a key of each scope and a second project with its
 * own key. `close()` also removes the store.
 */
export async function makeTelltale(options: MakeOptions = {}): Promise<TestApp> {
  const { storage: given, file, now, ...rest } = options
  const opened: TestStorage = given
    ? { storage: given, cleanup: async () => {} }
    : file
      ? { storage: sqliteStorage({ file }), cleanup: async () => {} }
      : currentAdapter().open()
  const storage = opened.storage
  const clock = createFakeClock(now ?? NOW)
  const scheduler = manualScheduler({ clock })
  const telltale = createTelltale({ ...rest, storage, clock, scheduler })
  const project = await telltale.api.createProject({ name: 'Acme', slug: 'acme' })
  const key = async (projectId: string, scopes?: Array<'read' | 'write' | 'admin'>) =>
    (await telltale.api.createApiKey({ projectId, scopes })).key
  const keys: TestKeys = {
    readWrite: await key(project.id),
    write: await key(project.id, ['write']),
    read: await key(project.id, ['read']),
    admin: await key(project.id, ['admin']),
  }
  const otherProject = await telltale.api.createProject({ name: 'Other', slug: 'other' })
  const other = { project: otherProject, key: await key(otherProject.id) }

  const post = (
    path: string,
    body: unknown,
    auth: string | null = keys.readWrite,
    headers: Record<string, string> = {},
  ) =>
    telltale.fetch(
      new Request(`http://localhost${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(auth ? { authorization: `Bearer ${auth}` } : {}),
          ...headers,
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    )
  const count = (projectId = project.id) => storage.events.count({ projectId, filter: {} })
  const close = async () => {
    await telltale.close()
    await opened.cleanup()
  }
  return { telltale, storage, clock, scheduler, project, keys, other, post, count, close }
}

/** A fresh temporary directory; `cleanup()` removes it. */
export function tempDir(): { dir: string; file: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'telltale-test-'))
  return { dir, file: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Reads a response as `{ status, body }` (body parsed as JSON). */
export async function reply(response: Response): Promise<{ status: number; body: any }> {
  const text = await response.text()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new Error(`expected a JSON body, got ${response.status} ${JSON.stringify(text.slice(0, 200))}`)
  }
  return { status: response.status, body }
}

/** The UUID shape every event id has. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
