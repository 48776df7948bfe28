import { ConflictError } from '../index'
import type { DirtyDay, MetricDefinition, MetricRepository, MetricSnapshot } from '../metrics'
import { type KvStore, keySegments, kvKey, lastSegment, update } from './store'

/**
 * The empty value marks a released slug or a cleared dirty day. The store has no compare-and-
 * delete, and a read-then-delete could remove a value written in between (a newer dirty mark, a
 * slug another definition just took over); a compare-and-set to this tombstone cannot. Tombstones
 * stay behind (one short key per slug once used, per day once dirty) and read as absent.
 */
const FREE = ''

/**
 * - `metric:{projectId}:{id}` holds the definition (JSON);
 * - `metric-slug:{projectId}:{slug}` holds `{claimedAt} {id}` and is what makes slugs unique per
 *   project (set-if-absent). A create claims the slug, then writes the definition; an update
 *   claims the new slug, writes, then releases the old one. A released slug is FREE; a claim
 *   whose definition is gone or has another slug (a crash between writes) is taken over by
 *   compare-and-set once it is ORPHAN_GRACE_MS old, so concurrent creates never both win;
 * - `metric-snap:{projectId}:{metricId}:{day}` holds a snapshot (JSON);
 * - `metric-dirty:{projectId}:{day}` holds the time the day was marked dirty.
 *
 * putSnapshots writes each snapshot atomically, not the call as a whole; delete removes the
 * definition first, then its snapshots, then releases its slug (a crash in between leaves
 * snapshots of an id that no longer exists).
 */
export function kvMetrics(kv: KvStore): MetricRepository {
  const defKey = (projectId: string, id: string) => kvKey('metric', projectId, id)
  const slugKey = (projectId: string, slug: string) => kvKey('metric-slug', projectId, slug)
  const snapPrefix = (projectId: string, metricId: string) => `${kvKey('metric-snap', projectId, metricId)}:`
  const dirtyKey = (projectId: string, day: string) => kvKey('metric-dirty', projectId, day)
  const parse = (json: string | undefined) => (json === undefined ? undefined : (JSON.parse(json) as MetricDefinition))
  const read = async (projectId: string, id: string) => parse(await kv.get(defKey(projectId, id)))

  /** Makes `id` the holder of the slug: when free, when already its own, or when orphaned. */
  async function claimSlug(projectId: string, slug: string, id: string): Promise<boolean> {
    const key = slugKey(projectId, slug)
    for (let attempt = 0; attempt < 100; attempt++) {
      const now = Date.now()
      if (await kv.setIfAbsent(key, claim(id, now))) return true
      const value = await kv.get(key)
      if (value === undefined) continue
      const holder = parseClaim(value)
      if (holder?.id === id) return true
      if (holder && (now - holder.at < ORPHAN_GRACE_MS || (await read(projectId, holder.id))?.slug === slug))
        return false
      if (await kv.compareAndSet(key, value, claim(id, now))) return true
    }
    throw new Error(`telltale: ${key} changed 100 times while being claimed`)
  }

  /** Frees the slug if `id` still holds it. */
  async function releaseSlug(projectId: string, slug: string, id: string): Promise<void> {
    const key = slugKey(projectId, slug)
    const value = await kv.get(key)
    if (value !== undefined && parseClaim(value)?.id === id) await kv.compareAndSet(key, value, FREE)
  }

  return {
    async create({ definition }) {
      const { projectId, id, slug } = definition
      if (!(await claimSlug(projectId, slug, id))) throw new ConflictError('slug')
      if (!(await kv.setIfAbsent(defKey(projectId, id), JSON.stringify(definition)))) {
        if ((await read(projectId, id))?.slug !== slug) await releaseSlug(projectId, slug, id)
        throw new ConflictError('id')
      }
      return definition
    },
    get: ({ projectId, id }) => read(projectId, id),
    async getBySlug({ projectId, slug }) {
      const value = await kv.get(slugKey(projectId, slug))
      const holder = value === undefined ? undefined : parseClaim(value)
      const definition = holder ? await read(projectId, holder.id) : undefined
      return definition?.slug === slug ? definition : undefined
    },
    async listProjects() {
      // Definition keys only (`metric:` is no prefix of `metric-slug:`); delete removes the key,
      // so a project whose definitions are all deleted has none left here.
      const keys = await kv.scan(`${kvKey('metric')}:`)
      const projects = new Set(keys.map((key) => keySegments(key)[1]))
      return [...projects].sort(compare)
    },
    async list({ projectId }) {
      const keys = await kv.scan(`${kvKey('metric', projectId)}:`)
      const definitions = (await kv.getMany(keys)).map(parse).filter((d): d is MetricDefinition => d !== undefined)
      return definitions.sort((a, b) => a.createdAt - b.createdAt || compare(a.id, b.id))
    },
    async update({ definition }) {
      const { projectId, id, slug } = definition
      const key = defKey(projectId, id)
      let claimed = false
      for (let attempt = 0; attempt < 100; attempt++) {
        const json = await kv.get(key)
        const current = parse(json)
        if (!current) {
          if (claimed) await releaseSlug(projectId, slug, id)
          return false
        }
        // The new slug is claimed before the definition says it: a slug is never used unheld.
        if (current.slug !== slug && !claimed) {
          if (!(await claimSlug(projectId, slug, id))) throw new ConflictError('slug')
          claimed = true
        }
        if (await kv.compareAndSet(key, json, JSON.stringify(definition))) {
          if (current.slug !== slug) await releaseSlug(projectId, current.slug, id)
          return true
        }
      }
      throw new Error(`telltale: ${key} changed 100 times while being updated`)
    },
    async delete({ projectId, id }) {
      const current = await read(projectId, id)
      if (!current || !(await kv.delete(defKey(projectId, id)))) return false
      for (const key of await kv.scan(snapPrefix(projectId, id))) await kv.delete(key)
      await releaseSlug(projectId, current.slug, id)
      return true
    },
    async putSnapshots({ projectId, snapshots }) {
      // The last of duplicates in one call wins.
      const unique = new Map(snapshots.map((s) => [`${s.metricId}\u0000${s.day}`, s]))
      await Promise.all(
        [...unique.values()].map((s) => {
          const snapshot: MetricSnapshot = {
            metricId: s.metricId,
            day: s.day,
            value: s.value,
            computedAt: s.computedAt,
          }
          const json = JSON.stringify(snapshot)
          // Compare-and-set, so a snapshot computed later is never replaced by an earlier one.
          return update(kv, `${snapPrefix(projectId, s.metricId)}${kvKey(s.day)}`, (current) => ({
            value:
              current !== undefined && (JSON.parse(current) as MetricSnapshot).computedAt > snapshot.computedAt
                ? undefined
                : json,
            result: undefined,
          }))
        }),
      )
    },
    async listSnapshots({ projectId, metricId, fromDay, toDay }) {
      const keys = (await kv.scan(snapPrefix(projectId, metricId))).filter((key) => {
        const day = lastSegment(key)
        return day >= fromDay && day <= toDay
      })
      const snapshots = (await kv.getMany(keys)).flatMap((json) =>
        json === undefined ? [] : [JSON.parse(json) as MetricSnapshot],
      )
      return snapshots.sort((a, b) => compare(a.day, b.day))
    },
    async markDirty({ projectId, days, at }) {
      await Promise.all(
        [...new Set(days)].map((day) =>
          update(kv, dirtyKey(projectId, day), (current) => ({
            value: current === undefined || current === FREE || Number(current) < at ? String(at) : undefined,
            result: undefined,
          })),
        ),
      )
    },
    async listDirty({ projectId, limit }) {
      if (limit <= 0) return []
      const keys = await kv.scan(`${kvKey('metric-dirty', projectId)}:`)
      const values = await kv.getMany(keys)
      const days = keys.flatMap((key, i): DirtyDay[] => {
        const value = values[i]
        return value === undefined || value === FREE ? [] : [{ day: lastSegment(key), at: Number(value) }]
      })
      return days.sort((a, b) => compare(a.day, b.day)).slice(0, limit)
    },
    // Atomic: only a value still equal to `at` is replaced, so a later mark always survives.
    clearDirty: ({ projectId, day, at }) => kv.compareAndSet(dirtyKey(projectId, day), String(at), FREE),
  }
}

/**
 * A slug's claim: `{claimedAt} {id}`. A claim younger than this is never taken over, even while
 * its definition is not written yet (a create between its two writes) or still has its old slug
 * (an update between claiming the new slug and writing): only a claim left behind by a crash
 * (older than this and orphaned) is. Every successful path releases its claims (to FREE) itself.
 */
const ORPHAN_GRACE_MS = 60_000
const claim = (id: string, at: number) => `${at} ${id}`
function parseClaim(value: string): { id: string; at: number } | undefined {
  const space = value.indexOf(' ')
  return value === FREE || space < 0 ? undefined : { id: value.slice(space + 1), at: Number(value.slice(0, space)) }
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
