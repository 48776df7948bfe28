// Metrics: definitions (slug unique per project), daily snapshots (upsert by day), dirty days.
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ConflictError, type MetricDefinition, type Storage } from '../../../src/storage'
import { type MakeStorage, newProject, T0, useStorage } from './helpers'

function definition(projectId: string, fields: Partial<MetricDefinition> = {}): MetricDefinition {
  const id = randomUUID()
  return {
    id,
    projectId,
    slug: `mrr-${id.slice(0, 8)}`,
    name: 'MRR',
    spec: {
      kind: 'events',
      event: 'subscription.paid',
      aggregation: 'sum',
      field: { kind: 'value' },
      window: '30d',
      format: 'currency',
    },
    createdAt: T0,
    updatedAt: T0,
    ...fields,
  }
}

async function conflict(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  )
}

function expectSlugConflict(error: unknown) {
  expect(error).toBeInstanceOf(ConflictError)
  expect((error as ConflictError).field).toBe('slug')
}

export function metricDefinitionTests(makeStorage: MakeStorage) {
  describe('metric definitions and snapshots', () => {
    const store = useStorage(makeStorage)
    const other = useStorage(makeStorage)
    const create = async (storage: Storage, projectId: string, fields: Partial<MetricDefinition> = {}) =>
      storage.metrics.create({ definition: definition(projectId, fields) })

    it('creates a definition and reads it by id, by slug and in the list, spec JSON intact', async () => {
      const p = await newProject(store())
      const spec = {
        kind: 'formula',
        formula: 'revenue / users',
        filters: [
          { field: 'plan', op: 'eq', value: 'pro' },
          { field: 'country', op: 'in', value: ['DE', 'FR', null] },
        ],
        nested: {
          deep: {
            list: [1, 2.5, -3, 0, 1e21, 1234567890123],
            none: null,
            yes: true,
            no: false,
            empty: {},
            nothing: [],
          },
        },
        description: 'Ünïcode 🚀 “quotes” \\ back\nslash \u00e9',
        template: '{{value}} €',
      }
      const m = definition(p, { name: 'Revenue per user ✨', spec })
      expect(await store().metrics.create({ definition: m })).toEqual(m)
      expect(await store().metrics.get({ projectId: p, id: m.id })).toEqual(m)
      expect(await other().metrics.getBySlug({ projectId: p, slug: m.slug })).toEqual(m)
      expect(await store().metrics.list({ projectId: p })).toEqual([m])
      expect(await store().metrics.get({ projectId: p, id: randomUUID() })).toBeUndefined()
      expect(await store().metrics.getBySlug({ projectId: p, slug: 'missing' })).toBeUndefined()
    })

    it('lists oldest first, then by id', async () => {
      const p = await newProject(store())
      const ids = [randomUUID(), randomUUID(), randomUUID()].sort()
      const late = await create(store(), p, { createdAt: T0 + 10 })
      const b = await create(store(), p, { id: ids[2], createdAt: T0 })
      const a = await create(store(), p, { id: ids[0], createdAt: T0 })
      const first = await create(store(), p, { createdAt: T0 - 10 })
      expect(await store().metrics.list({ projectId: p })).toEqual([first, a, b, late])
      expect(await store().metrics.list({ projectId: await newProject(store()) })).toEqual([])
    })

    it('keeps slugs unique per project: ConflictError keeps the first; another project may reuse it', async () => {
      const p = await newProject(store())
      const q = await newProject(store())
      const first = await create(store(), p, { slug: 'mrr' })
      const second = definition(p, { slug: 'mrr', name: 'Other' })
      expectSlugConflict(await conflict(other().metrics.create({ definition: second })))
      expect(await store().metrics.get({ projectId: p, id: second.id })).toBeUndefined()
      expect(await store().metrics.getBySlug({ projectId: p, slug: 'mrr' })).toEqual(first)
      expect(await store().metrics.list({ projectId: p })).toEqual([first])
      const elsewhere = await create(store(), q, { slug: 'mrr' })
      expect(await store().metrics.getBySlug({ projectId: q, slug: 'mrr' })).toEqual(elsewhere)
      expect(await store().metrics.getBySlug({ projectId: p, slug: 'mrr' })).toEqual(first)
    })

    it('lets exactly one of concurrent creates with the same slug win', async () => {
      const p = await newProject(store())
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 ? other() : store()).metrics.create({ definition: definition(p, { slug: 'race' }) }),
        ),
      )
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
      for (const r of results) if (r.status === 'rejected') expectSlugConflict(r.reason)
      expect(await store().metrics.list({ projectId: p })).toHaveLength(1)
    })

    it('update replaces the definition; a renamed slug frees the old one', async () => {
      const p = await newProject(store())
      const m = await create(store(), p, { slug: 'old' })
      const renamed = {
        ...m,
        slug: 'new',
        name: 'Renamed',
        spec: { kind: 'events', window: '7d', filters: [] },
        updatedAt: T0 + 1,
      }
      expect(await store().metrics.update({ definition: renamed })).toBe(true)
      expect(await other().metrics.get({ projectId: p, id: m.id })).toEqual(renamed)
      expect(await store().metrics.getBySlug({ projectId: p, slug: 'new' })).toEqual(renamed)
      expect(await store().metrics.getBySlug({ projectId: p, slug: 'old' })).toBeUndefined()
      const reuse = await create(other(), p, { slug: 'old' })
      expect(await store().metrics.getBySlug({ projectId: p, slug: 'old' })).toEqual(reuse)
      // Same slug again (no rename) is fine, and renaming back to a slug it holds is fine.
      const same = { ...renamed, name: 'Same slug', updatedAt: T0 + 2 }
      expect(await store().metrics.update({ definition: same })).toBe(true)
      expect(await store().metrics.getBySlug({ projectId: p, slug: 'new' })).toEqual(same)
    })

    it("update to another definition's slug is a ConflictError and changes nothing; an unknown id is false", async () => {
      const p = await newProject(store())
      const a = await create(store(), p, { slug: 'a' })
      const b = await create(store(), p, { slug: 'b' })
      expectSlugConflict(await conflict(store().metrics.update({ definition: { ...a, slug: 'b', name: 'Stolen' } })))
      expect(await store().metrics.get({ projectId: p, id: a.id })).toEqual(a)
      expect(await store().metrics.getBySlug({ projectId: p, slug: 'a' })).toEqual(a)
      expect(await store().metrics.getBySlug({ projectId: p, slug: 'b' })).toEqual(b)
      expect(await store().metrics.update({ definition: definition(p, { slug: 'ghost' }) })).toBe(false)
      expect(await store().metrics.getBySlug({ projectId: p, slug: 'ghost' })).toBeUndefined()
      // The slug an unknown-id update named is not held: a create may take it.
      expect(await create(store(), p, { slug: 'ghost' })).toMatchObject({ slug: 'ghost' })
    })

    it('delete removes the definition and its snapshots and frees the slug; an unknown id is false', async () => {
      const p = await newProject(store())
      const m = await create(store(), p, { slug: 'gone' })
      const kept = await create(store(), p)
      await store().metrics.putSnapshots({
        projectId: p,
        snapshots: [
          { metricId: m.id, day: '2024-01-01', value: 1, computedAt: T0 },
          { metricId: m.id, day: '2024-01-02', value: 2, computedAt: T0 },
          { metricId: kept.id, day: '2024-01-01', value: 3, computedAt: T0 },
        ],
      })
      expect(await store().metrics.delete({ projectId: p, id: m.id })).toBe(true)
      expect(await store().metrics.delete({ projectId: p, id: m.id })).toBe(false)
      expect(await store().metrics.delete({ projectId: p, id: randomUUID() })).toBe(false)
      expect(await store().metrics.get({ projectId: p, id: m.id })).toBeUndefined()
      expect(await store().metrics.getBySlug({ projectId: p, slug: 'gone' })).toBeUndefined()
      expect(await store().metrics.list({ projectId: p })).toEqual([kept])
      expect(
        await store().metrics.listSnapshots({
          projectId: p,
          metricId: m.id,
          fromDay: '2000-01-01',
          toDay: '2999-12-31',
        }),
      ).toEqual([])
      expect(
        await store().metrics.listSnapshots({
          projectId: p,
          metricId: kept.id,
          fromDay: '2000-01-01',
          toDay: '2999-12-31',
        }),
      ).toHaveLength(1)
      const again = await create(other(), p, { slug: 'gone' })
      expect(await store().metrics.getBySlug({ projectId: p, slug: 'gone' })).toEqual(again)
    })

    it('lists the projects with a definition, ascending and each once; deleting the last definition drops the project', async () => {
      const p = await newProject(store())
      const q = await newProject(store())
      const none = await newProject(store())
      const [p1, p2] = [await create(store(), p), await create(store(), p)]
      const q1 = await create(store(), q)
      // Snapshots and dirty days alone do not list a project.
      await store().metrics.putSnapshots({
        projectId: none,
        snapshots: [{ metricId: randomUUID(), day: '2024-01-01', value: 1, computedAt: T0 }],
      })
      await store().metrics.markDirty({ projectId: none, days: ['2024-01-01'], at: T0 })
      // The store is shared with the other tests: theirs are listed too, and every list must be sorted and unique.
      const listProjects = async (storage: Storage) => {
        const listed = await storage.metrics.listProjects()
        expect(listed).toEqual([...new Set(listed)].sort())
        return listed
      }
      const listed = await listProjects(other())
      expect(listed).toEqual(expect.arrayContaining([p, q]))
      expect(listed).not.toContain(none)
      expect(listed.indexOf(p) < listed.indexOf(q)).toBe(p < q)

      expect(await store().metrics.delete({ projectId: p, id: p1.id })).toBe(true)
      expect(await listProjects(store())).toContain(p)
      expect(await store().metrics.delete({ projectId: p, id: p2.id })).toBe(true)
      const after = await listProjects(other())
      expect(after).not.toContain(p)
      expect(after).toContain(q)
      // A renamed (updated) definition keeps its project listed once.
      expect(await store().metrics.update({ definition: { ...q1, slug: 'renamed', updatedAt: T0 + 1 } })).toBe(true)
      expect((await listProjects(store())).filter((id) => id === q)).toEqual([q])
      await create(store(), p)
      expect(await listProjects(store())).toContain(p)
    })

    it("keeps tenants apart: project B sees and changes nothing of project A's", async () => {
      const a = await newProject(store())
      const b = await newProject(store())
      const m = await create(store(), a, { slug: 'shared' })
      await store().metrics.putSnapshots({
        projectId: a,
        snapshots: [{ metricId: m.id, day: '2024-01-01', value: 5, computedAt: T0 }],
      })
      await store().metrics.markDirty({ projectId: a, days: ['2024-01-01'], at: T0 })
      expect(await store().metrics.get({ projectId: b, id: m.id })).toBeUndefined()
      expect(await store().metrics.getBySlug({ projectId: b, slug: 'shared' })).toBeUndefined()
      expect(await store().metrics.list({ projectId: b })).toEqual([])
      expect(await store().metrics.update({ definition: { ...m, projectId: b, name: 'hijack' } })).toBe(false)
      expect(await store().metrics.delete({ projectId: b, id: m.id })).toBe(false)
      expect(
        await store().metrics.listSnapshots({
          projectId: b,
          metricId: m.id,
          fromDay: '2000-01-01',
          toDay: '2999-12-31',
        }),
      ).toEqual([])
      expect(await store().metrics.listDirty({ projectId: b, limit: 10 })).toEqual([])
      expect(await store().metrics.clearDirty({ projectId: b, day: '2024-01-01', at: T0 })).toBe(false)
      expect(await store().metrics.get({ projectId: a, id: m.id })).toEqual(m)
      expect(
        await store().metrics.listSnapshots({
          projectId: a,
          metricId: m.id,
          fromDay: '2000-01-01',
          toDay: '2999-12-31',
        }),
      ).toHaveLength(1)
      expect(await store().metrics.listDirty({ projectId: a, limit: 10 })).toEqual([{ day: '2024-01-01', at: T0 }])
    })

    it('upserts snapshots by day; lists a range inclusively, ascending, nulls kept, other metrics left out', async () => {
      const p = await newProject(store())
      const m = await create(store(), p)
      const n = await create(store(), p)
      const snap = (metricId: string, day: string, value: number | null, computedAt = T0) => ({
        metricId,
        day,
        value,
        computedAt,
      })
      await store().metrics.putSnapshots({
        projectId: p,
        snapshots: [
          snap(m.id, '2024-01-05', 5),
          snap(m.id, '2024-01-01', 1.25),
          snap(m.id, '2024-01-03', null),
          snap(m.id, '2023-12-31', -7),
          snap(n.id, '2024-01-02', 99),
        ],
      })
      await other().metrics.putSnapshots({
        projectId: p,
        snapshots: [snap(m.id, '2024-01-05', 50, T0 + 1), snap(m.id, '2024-01-06', 6)],
      })
      await store().metrics.putSnapshots({ projectId: p, snapshots: [] })
      expect(
        await store().metrics.listSnapshots({
          projectId: p,
          metricId: m.id,
          fromDay: '2024-01-01',
          toDay: '2024-01-05',
        }),
      ).toEqual([snap(m.id, '2024-01-01', 1.25), snap(m.id, '2024-01-03', null), snap(m.id, '2024-01-05', 50, T0 + 1)])
      expect(
        await other().metrics.listSnapshots({
          projectId: p,
          metricId: m.id,
          fromDay: '2000-01-01',
          toDay: '2999-12-31',
        }),
      ).toEqual([
        snap(m.id, '2023-12-31', -7),
        snap(m.id, '2024-01-01', 1.25),
        snap(m.id, '2024-01-03', null),
        snap(m.id, '2024-01-05', 50, T0 + 1),
        snap(m.id, '2024-01-06', 6),
      ])
      expect(
        await store().metrics.listSnapshots({
          projectId: p,
          metricId: m.id,
          fromDay: '2024-01-04',
          toDay: '2024-01-04',
        }),
      ).toEqual([])
      expect(
        await store().metrics.listSnapshots({
          projectId: p,
          metricId: n.id,
          fromDay: '2024-01-02',
          toDay: '2024-01-02',
        }),
      ).toEqual([snap(n.id, '2024-01-02', 99)])
    })

    it('keeps the snapshot computed last: an earlier computation written after it is ignored, an equal time replaces', async () => {
      const p = await newProject(store())
      const m = await create(store(), p)
      const snap = (value: number, computedAt: number) => ({ metricId: m.id, day: '2024-01-05', value, computedAt })
      const stored = async () =>
        (
          await store().metrics.listSnapshots({
            projectId: p,
            metricId: m.id,
            fromDay: '2024-01-05',
            toDay: '2024-01-05',
          })
        )[0]
      await store().metrics.putSnapshots({ projectId: p, snapshots: [snap(1, T0 + 10)] })
      await other().metrics.putSnapshots({ projectId: p, snapshots: [snap(2, T0 + 5)] })
      expect(await stored()).toEqual(snap(1, T0 + 10))
      await store().metrics.putSnapshots({ projectId: p, snapshots: [snap(3, T0 + 10)] })
      expect(await stored()).toEqual(snap(3, T0 + 10))
      await other().metrics.putSnapshots({
        projectId: p,
        snapshots: [snap(4, T0 + 11), { ...snap(9, T0 + 1), day: '2024-01-06' }],
      })
      expect(await stored()).toEqual(snap(4, T0 + 11))
      expect(
        await store().metrics.listSnapshots({
          projectId: p,
          metricId: m.id,
          fromDay: '2024-01-06',
          toDay: '2024-01-06',
        }),
      ).toEqual([{ ...snap(9, T0 + 1), day: '2024-01-06' }])
    })

    it('marks days dirty (the later mark wins), lists them ascending up to a limit', async () => {
      const p = await newProject(store())
      await store().metrics.markDirty({ projectId: p, days: ['2024-01-03', '2024-01-01'], at: T0 })
      await store().metrics.markDirty({ projectId: p, days: ['2024-01-03'], at: T0 + 5 })
      await other().metrics.markDirty({ projectId: p, days: ['2024-01-03', '2024-01-02'], at: T0 + 2 })
      await store().metrics.markDirty({ projectId: p, days: ['2024-01-02'], at: T0 + 2 })
      await store().metrics.markDirty({ projectId: p, days: [], at: T0 + 9 })
      expect(await store().metrics.listDirty({ projectId: p, limit: 10 })).toEqual([
        { day: '2024-01-01', at: T0 },
        { day: '2024-01-02', at: T0 + 2 },
        { day: '2024-01-03', at: T0 + 5 },
      ])
      expect(await other().metrics.listDirty({ projectId: p, limit: 2 })).toEqual([
        { day: '2024-01-01', at: T0 },
        { day: '2024-01-02', at: T0 + 2 },
      ])
    })

    it('clears a dirty day only at its current mark, so a mark made during a recompute survives', async () => {
      const p = await newProject(store())
      await store().metrics.markDirty({ projectId: p, days: ['2024-02-01', '2024-02-02'], at: T0 })
      // Recompute started at T0; a late event marks the day again meanwhile.
      await other().metrics.markDirty({ projectId: p, days: ['2024-02-01'], at: T0 + 100 })
      expect(await store().metrics.clearDirty({ projectId: p, day: '2024-02-01', at: T0 })).toBe(false)
      expect(await store().metrics.clearDirty({ projectId: p, day: '2024-02-02', at: T0 })).toBe(true)
      expect(await store().metrics.clearDirty({ projectId: p, day: '2024-02-02', at: T0 })).toBe(false)
      expect(await store().metrics.clearDirty({ projectId: p, day: '2024-02-03', at: T0 })).toBe(false)
      expect(await store().metrics.listDirty({ projectId: p, limit: 10 })).toEqual([
        { day: '2024-02-01', at: T0 + 100 },
      ])
      expect(await other().metrics.clearDirty({ projectId: p, day: '2024-02-01', at: T0 + 100 })).toBe(true)
      expect(await store().metrics.listDirty({ projectId: p, limit: 10 })).toEqual([])
      // A cleared day can be marked again.
      await store().metrics.markDirty({ projectId: p, days: ['2024-02-02'], at: T0 - 50 })
      expect(await store().metrics.listDirty({ projectId: p, limit: 10 })).toEqual([{ day: '2024-02-02', at: T0 - 50 }])
    })

    it('loses no mark among concurrent markDirty calls from two instances', async () => {
      const p = await newProject(store())
      const days = Array.from({ length: 8 }, (_, i) => `2024-03-${String(i + 1).padStart(2, '0')}`)
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? other() : store()).metrics.markDirty({ projectId: p, days: [...days].reverse(), at: T0 + i }),
        ),
      )
      expect(await store().metrics.listDirty({ projectId: p, limit: 100 })).toEqual(
        days.map((day) => ({ day, at: T0 + 19 })),
      )
    })
  })
}
