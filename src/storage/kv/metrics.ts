import type { DirtyDay, MetricDefinition, MetricRepository, MetricSnapshot } from '../metrics'
import { kvRecordType } from './records'
import { type KvStore, kvKey, lastSegment, update } from './store'

/**
 * The empty value marks a cleared dirty day. The store has no compare-and-delete, and a
 * read-then-delete could remove a newer mark written in between; a compare-and-set to this cannot.
 * It stays behind (one short key per day once dirty) and reads as not dirty.
 */
const CLEARED = ''

/**
 * - `metric:{projectId}:{id}` holds the definition (JSON);
 * - `metric-slug:{projectId}:{slug}` holds the claim that makes slugs unique per project
 *   (`claimUnique`): a create claims the slug, then writes the definition; an update claims the
 *   new slug, writes, then releases the old one;
 * - `metric-snap:{projectId}:{metricId}:{day}` holds a snapshot (JSON);
 * - `metric-dirty:{projectId}:{day}` holds the time the day was marked dirty.
 *
 * putSnapshots writes each snapshot atomically, not the call as a whole; delete removes the
 * definition first and releases its slug, then removes its snapshots (a crash in between leaves
 * snapshots of an id that no longer exists).
 */
export function kvMetrics(kv: KvStore): MetricRepository {
  const definitions = kvRecordType<MetricDefinition>(kv, {
    name: 'metric',
    projectOf: (definition) => definition.projectId,
    unique: { slug: 'project' },
  })
  const snapPrefix = (projectId: string, metricId: string) => `${kvKey('metric-snap', projectId, metricId)}:`
  const dirtyKey = (projectId: string, day: string) => kvKey('metric-dirty', projectId, day)

  return {
    create: ({ definition }) => definitions.create(definition),
    get: ({ projectId, id }) => definitions.get({ projectId, id }),
    getBySlug: ({ projectId, slug }) => definitions.findUnique('slug', slug, projectId),
    // Definition keys only (`metric:` is no prefix of `metric-slug:`); delete removes the key, so a
    // project whose definitions are all deleted has none left here.
    listProjects: () => definitions.projects(),
    list: ({ projectId }) => definitions.list(projectId),
    update: ({ definition }) =>
      definitions.update({ projectId: definition.projectId, id: definition.id }, () => definition),
    async delete({ projectId, id }) {
      if (!(await definitions.delete({ projectId, id }))) return false
      for (const key of await kv.scan(snapPrefix(projectId, id))) await kv.delete(key)
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
            value: current === undefined || current === CLEARED || Number(current) < at ? String(at) : undefined,
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
        return value === undefined || value === CLEARED ? [] : [{ day: lastSegment(key), at: Number(value) }]
      })
      return days.sort((a, b) => compare(a.day, b.day)).slice(0, limit)
    },
    // Atomic: only a value still equal to `at` is replaced, so a later mark always survives.
    clearDirty: ({ projectId, day, at }) => kv.compareAndSet(dirtyKey(projectId, day), String(at), CLEARED),
  }
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
