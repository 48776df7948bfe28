// Everything the store holds for some projects, as one comparable text per storage domain: what the
// fuzzers compare before and after a call that failed ("nothing written behind an error"). A new
// repository in `Storage` needs one entry in READERS (the `satisfies` fails to compile until then).
import type { Storage } from '../../src/storage'
import { SYSTEM_PROJECT } from '../../src/storage'

export interface FingerprintScope {
  /** Projects whose records are read. Unknown ids are fine: a record written under one shows. */
  projectIds: string[]
  /** Slugs projects are looked up by: a project created with one shows. */
  slugs?: string[]
  /** Also what belongs to no project: the system project's jobs, the projects with metrics. */
  global?: boolean
}

/** Domain → its records as JSON text. */
export type Fingerprint = Record<string, string>

type Repositories = Omit<Storage, 'name' | 'readsOnThisThread' | 'migrate' | 'close'>
type Reader = (storage: Storage, scope: FingerprintScope) => Promise<unknown>

/** A read that fails (a hostile id some store refuses) fails the same way before and after. */
const settle = (read: Promise<unknown>) => read.catch((error: unknown) => ({ unreadable: String(error) }))

/** `read` for each project of the scope; `system`: and for the system project, when the scope is global. */
const perProject =
  (read: (storage: Storage, projectId: string) => Promise<unknown>, system = false): Reader =>
  (storage, { projectIds, global }) =>
    Promise.all([...projectIds, ...(global && system ? [SYSTEM_PROJECT] : [])].map((id) => settle(read(storage, id))))

const EVERY_DAY = { fromDay: '0000-01-01', toDay: '9999-12-31' }

const READERS = {
  projects: async (storage, { projectIds, slugs = [] }) => ({
    byId: await Promise.all(projectIds.map((projectId) => settle(storage.projects.get({ projectId })))),
    bySlug: await Promise.all(slugs.map((slug) => settle(storage.projects.getBySlug({ slug })))),
  }),
  // `lastUsedAt` is left out: authenticating touches the key, whatever the request then answers.
  keys: perProject(async (storage, projectId) =>
    (await storage.keys.list({ projectId })).map(({ lastUsedAt: _, ...key }) => key),
  ),
  // The total and the newest ids: events are never updated or deleted, so a write changes the total.
  events: perProject(async (storage, projectId) => {
    const { events, total } = await storage.events.list({ projectId, filter: {}, limit: 5, offset: 0 })
    return { total, newest: events.map((e) => e.id) }
  }),
  metrics: async (storage, scope) => ({
    projects: scope.global ? await settle(storage.metrics.listProjects()) : undefined,
    definitions: await perProject(async (storage, projectId) => {
      const definitions = await storage.metrics.list({ projectId })
      const snapshots = await Promise.all(
        definitions.map((d) => storage.metrics.listSnapshots({ projectId, metricId: d.id, ...EVERY_DAY })),
      )
      const dirty = await storage.metrics.listDirty({ projectId, limit: 10_000 })
      return { definitions, snapshots, dirty }
    })(storage, scope),
  }),
  jobs: perProject((storage, projectId) => storage.jobs.list({ projectId, keyPrefix: '' }), true),
  // Counters only, and a rejected request is counted by design (a 422 spends the budget too); the
  // contract has no read to compare anyway.
  rateLimits: null,
} satisfies Record<keyof Repositories, Reader | null>

/** What the store holds for `scope`, per domain (only those of `domains` when given). */
export async function fingerprint(
  storage: Storage,
  scope: FingerprintScope,
  domains: string[] = Object.keys(READERS),
): Promise<Fingerprint> {
  const entries = await Promise.all(
    domains.map(async (domain) => {
      const read = (READERS as Record<string, Reader | null>)[domain]
      return [domain, read ? JSON.stringify(await read(storage, scope)) : '']
    }),
  )
  return Object.fromEntries(entries)
}

/**
 * A fingerprint kept up to date cheaply, for a loop that reads it after every call: give telltale
 * `storage`, which notes each repository it calls; `read(scope)` then reads again only the domains
 * called since the last read of that scope and reuses the rest. Sound because a domain's records
 * change only through its own repository (the Storage contract: one repository per domain).
 */
export function watchedFingerprint(store: Storage): {
  storage: Storage
  read(scope: FingerprintScope): Promise<Fingerprint>
} {
  const touched = new Set(Object.keys(READERS))
  const watched = new Map<string, object>()
  const watch = (domain: string, repository: object) =>
    new Proxy(repository, {
      get(target, name) {
        const value = Reflect.get(target, name, target)
        if (typeof value !== 'function') return value
        return (...args: unknown[]) => {
          touched.add(domain)
          const result = value.apply(target, args)
          // Again when it settles: a write may land after a read that began meanwhile.
          if (result instanceof Promise)
            result.then(
              () => touched.add(domain),
              () => touched.add(domain),
            )
          return result
        }
      },
    })
  const storage = new Proxy(store, {
    get(target, key) {
      const value = Reflect.get(target, key, target)
      if (typeof key === 'string' && Object.hasOwn(READERS, key) && value !== null && typeof value === 'object') {
        if (!watched.has(key)) watched.set(key, watch(key, value))
        return watched.get(key)
      }
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  let last: { scope: string; fingerprint: Fingerprint } | undefined
  return {
    storage,
    async read(scope) {
      const key = JSON.stringify(scope)
      const domains = last?.scope === key ? [...touched] : Object.keys(READERS)
      touched.clear()
      last = { scope: key, fingerprint: { ...last?.fingerprint, ...(await fingerprint(store, scope, domains)) } }
      return last.fingerprint
    },
  }
}

/** The domains whose records differ. */
export function changedDomains(before: Fingerprint, after: Fingerprint): string[] {
  return Object.keys({ ...before, ...after }).filter((domain) => before[domain] !== after[domain])
}
