// Everything the store holds for some projects, as one comparable text per storage domain: what the
// fuzzers compare before and after a call that failed ("nothing written behind an error"). A new
// repository in `Storage` needs one entry in DOMAINS (whose type fails to compile until then).
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

interface DomainEntry<Repository> {
  /** What the domain holds for the scope. */
  read: Reader
  /** The repository's methods that never write (see watchedFingerprint); any other may. */
  reads: Array<keyof Repository & string>
}

/** A read that fails (a hostile id some store refuses) fails the same way before and after. */
const settle = (read: Promise<unknown>) => read.catch((error: unknown) => ({ unreadable: String(error) }))

/** `read` for each project of the scope; `system`: and for the system project, when the scope is global. */
const perProject =
  (read: (storage: Storage, projectId: string) => Promise<unknown>, system = false): Reader =>
  (storage, { projectIds, global }) =>
    Promise.all([...projectIds, ...(global && system ? [SYSTEM_PROJECT] : [])].map((id) => settle(read(storage, id))))

const EVERY_DAY = { fromDay: '0000-01-01', toDay: '9999-12-31' }

const DOMAINS: { [D in keyof Repositories]: DomainEntry<Repositories[D]> | null } = {
  projects: {
    read: async (storage, { projectIds, slugs = [] }) => ({
      byId: await Promise.all(projectIds.map((projectId) => settle(storage.projects.get({ projectId })))),
      bySlug: await Promise.all(slugs.map((slug) => settle(storage.projects.getBySlug({ slug })))),
    }),
    reads: ['get', 'getBySlug'],
  },
  keys: {
    // `lastUsedAt` is left out: authenticating touches the key, whatever the request then answers.
    read: perProject(async (storage, projectId) =>
      (await storage.keys.list({ projectId })).map(({ lastUsedAt: _, ...key }) => key),
    ),
    reads: ['findByPrefix', 'list'],
  },
  events: {
    // The total and the newest ids: events are never updated or deleted, so a write changes the total.
    read: perProject(async (storage, projectId) => {
      const { events, total } = await storage.events.list({ projectId, filter: {}, limit: 5, offset: 0 })
      return { total, newest: events.map((e) => e.id) }
    }),
    reads: ['get', 'list', 'count', 'countSeries', 'countByTag', 'summarize'],
  },
  metrics: {
    read: async (storage, scope) => ({
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
    reads: ['get', 'getBySlug', 'listProjects', 'list', 'listSnapshots', 'listDirty'],
  },
  jobs: {
    read: perProject((storage, projectId) => storage.jobs.list({ projectId, keyPrefix: '' }), true),
    reads: ['get', 'list', 'getDue'],
  },
  // Counters only, and a rejected request is counted by design (a 422 spends the budget too); the
  // contract has no read to compare anyway.
  rateLimits: null,
  users: {
    read: perProject((storage, projectId) => storage.users.list({ projectId })),
    reads: ['get', 'getByEmail', 'list'],
  },
  // A number taken by a create that then failed (a taken email) is a gap, allowed by the contract.
  sequences: null,
  // Made once when first needed (the token secret, on the first login, whichever way it ends).
  settings: null,
}

const ALL = Object.keys(DOMAINS)
const entryOf = (domain: string): DomainEntry<unknown> | null | undefined =>
  Object.hasOwn(DOMAINS, domain) ? (DOMAINS as Record<string, DomainEntry<unknown> | null>)[domain] : undefined

/** What the store holds for `scope`, per domain (only those of `domains` when given). */
export async function fingerprint(storage: Storage, scope: FingerprintScope, domains = ALL): Promise<Fingerprint> {
  const entries = await Promise.all(
    domains.map(async (domain) => {
      const entry = entryOf(domain)
      return [domain, entry ? JSON.stringify(await entry.read(storage, scope)) : '']
    }),
  )
  return Object.fromEntries(entries)
}

/**
 * Fingerprints kept up to date cheaply, for a loop that reads them after every call: give telltale
 * `storage`, which notes each repository method it calls other than the domain's `reads`;
 * `read(scope)` then reads again only the domains written to since that scope's last read, and
 * reuses the rest. Sound because a domain's records change only through its own repository (the
 * Storage contract: one repository per domain), and only through methods not listed as reads.
 */
export function watchedFingerprint(store: Storage): {
  storage: Storage
  read(scope: FingerprintScope): Promise<Fingerprint>
} {
  /** Per scope read so far: its fingerprint, and the domains written to since. */
  const scopes = new Map<string, { fingerprint: Fingerprint; touched: Set<string> }>()
  const touch = (domain: string) => {
    for (const { touched } of scopes.values()) touched.add(domain)
  }
  const watch = (domain: string, repository: object) =>
    new Proxy(repository, {
      get(target, name) {
        const value = Reflect.get(target, name, target)
        if (typeof value !== 'function') return value
        if (typeof name === 'string' && (entryOf(domain)?.reads as string[] | undefined)?.includes(name))
          return value.bind(target)
        return (...args: unknown[]) => {
          touch(domain)
          const result = value.apply(target, args)
          // Again when it settles: a write may land after a read that began meanwhile.
          if (result instanceof Promise)
            result.then(
              () => touch(domain),
              () => touch(domain),
            )
          return result
        }
      },
    })
  const watched = new Map<string, object>()
  const storage = new Proxy(store, {
    get(target, key) {
      const value = Reflect.get(target, key, target)
      if (typeof key === 'string' && Object.hasOwn(DOMAINS, key) && value !== null && typeof value === 'object') {
        if (!watched.has(key)) watched.set(key, watch(key, value))
        return watched.get(key)
      }
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return {
    storage,
    async read(scope) {
      const key = JSON.stringify(scope)
      const last = scopes.get(key)
      const domains = last ? [...last.touched] : ALL
      const entry = { fingerprint: last?.fingerprint ?? {}, touched: new Set<string>() }
      scopes.set(key, entry)
      entry.fingerprint = { ...entry.fingerprint, ...(await fingerprint(store, scope, domains)) }
      return entry.fingerprint
    },
  }
}

/** The domains whose records differ. */
export function changedDomains(before: Fingerprint, after: Fingerprint): string[] {
  return Object.keys({ ...before, ...after }).filter((domain) => before[domain] !== after[domain])
}
