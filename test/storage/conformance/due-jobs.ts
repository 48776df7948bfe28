// Due jobs: items of a kind across projects, scheduled, claimed in batches with a lease, completed.
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { DueJob } from '../../../src/storage'
import { type MakeStorage, shuffle, T0, useStorage } from './helpers'

export function dueJobTests(makeStorage: MakeStorage) {
  describe('due jobs', () => {
    const store = useStorage(makeStorage)
    const other = useStorage(makeStorage)
    const third = useStorage(makeStorage)
    const leaseMs = 30_000
    // Tests share the store and never reset it: each one claims from a kind of its own.
    const newKind = () => `test:${randomUUID()}`
    const ids = (items: DueJob[]) => items.map((item) => `${item.projectId}/${item.key}`)

    it('schedules an item once, moves it while unclaimed, and keeps a claimed one as it is', async () => {
      const item = { kind: newKind(), projectId: randomUUID(), key: 'monitor:1' }
      const fresh = { ...item, dueAt: T0, owner: null, leaseUntil: null, attempts: 0 }
      expect(await store().jobs.schedule({ ...item, dueAt: T0 })).toEqual(fresh)
      expect(await other().jobs.schedule({ ...item, dueAt: T0 })).toEqual(fresh)
      expect(await store().jobs.getDue(item)).toEqual(fresh)
      expect(await store().jobs.schedule({ ...item, dueAt: T0 + 60_000 })).toEqual({ ...fresh, dueAt: T0 + 60_000 })
      expect(await other().jobs.schedule({ ...item, dueAt: T0 - 60_000 })).toEqual({ ...fresh, dueAt: T0 - 60_000 })

      const [claimed] = await store().jobs.claimDue({ kind: item.kind, now: T0, owner: 'a', leaseMs, limit: 10 })
      expect(claimed).toEqual({ ...fresh, dueAt: T0 - 60_000, owner: 'a', leaseUntil: T0 + leaseMs, attempts: 1 })
      expect(await other().jobs.schedule({ ...item, dueAt: T0 + 120_000 })).toEqual(claimed)
      expect(await store().jobs.getDue(item)).toEqual(claimed)
      expect(await store().jobs.completeDue({ ...item, owner: 'a', nextDueAt: T0 + 60_000 })).toBe(true)
      expect(await other().jobs.schedule({ ...item, dueAt: T0 + 120_000 })).toEqual({ ...fresh, dueAt: T0 + 120_000 })
      expect(await store().jobs.getDue({ ...item, key: 'monitor:2' })).toBeUndefined()
    })

    it('claims, completes with the next due time, and claims again when that comes', async () => {
      const kind = newKind()
      const item = { kind, projectId: randomUUID(), key: 'check' }
      await store().jobs.schedule({ ...item, dueAt: T0 })
      const claimed = await other().jobs.claimDue({ kind, now: T0 + 5, owner: 'a', leaseMs, limit: 5 })
      expect(claimed).toEqual([{ ...item, dueAt: T0, owner: 'a', leaseUntil: T0 + 5 + leaseMs, attempts: 1 }])
      expect(await store().jobs.getDue(item)).toEqual(claimed[0])

      expect(await store().jobs.completeDue({ ...item, owner: 'a', nextDueAt: T0 + 60_000 })).toBe(true)
      expect(await store().jobs.getDue(item)).toEqual({
        ...item,
        dueAt: T0 + 60_000,
        owner: null,
        leaseUntil: null,
        attempts: 0,
      })
      expect(await store().jobs.completeDue({ ...item, owner: 'a', nextDueAt: T0 + 90_000 })).toBe(false)
      expect(await other().jobs.claimDue({ kind, now: T0 + 59_999, owner: 'b', leaseMs, limit: 5 })).toEqual([])
      expect(await other().jobs.claimDue({ kind, now: T0 + 60_000, owner: 'b', leaseMs, limit: 5 })).toEqual([
        { ...item, dueAt: T0 + 60_000, owner: 'b', leaseUntil: T0 + 60_000 + leaseMs, attempts: 1 },
      ])
    })

    it('claims only due items, at most `limit`, oldest first', async () => {
      const kind = newKind()
      const projectId = randomUUID()
      const dueTimes = [T0 - 5_000, T0 - 4_000, T0 - 3_000, T0 - 2_000, T0 - 1_000, T0, T0 + 1, T0 + 60_000]
      for (const dueAt of shuffle(dueTimes)) await store().jobs.schedule({ kind, projectId, key: `k${dueAt}`, dueAt })
      const claim = (limit: number) => other().jobs.claimDue({ kind, now: T0, owner: 'a', leaseMs, limit })

      const first = await claim(3)
      expect(first.map((item) => item.dueAt)).toEqual([T0 - 5_000, T0 - 4_000, T0 - 3_000])
      expect(ids(first)).toEqual(dueTimes.slice(0, 3).map((dueAt) => `${projectId}/k${dueAt}`))
      expect((await claim(1)).map((item) => item.dueAt)).toEqual([T0 - 2_000])
      expect((await claim(50)).map((item) => item.dueAt)).toEqual([T0 - 1_000, T0])
      expect(await claim(50)).toEqual([])
      // Not due yet at T0: T0 + 1 and T0 + 60_000 are still unclaimed.
      expect(await store().jobs.getDue({ kind, projectId, key: `k${T0 + 1}` })).toMatchObject({ owner: null })
      expect(await store().jobs.claimDue({ kind, now: T0 + 1, owner: 'b', leaseMs, limit: 50 })).toMatchObject([
        { dueAt: T0 + 1, owner: 'b' },
      ])
    })

    it('refuses a live lease, and lets another owner take it over once the lease ran out', async () => {
      const kind = newKind()
      const item = { kind, projectId: randomUUID(), key: 'delivery:7' }
      await store().jobs.schedule({ ...item, dueAt: T0 })
      await store().jobs.claimDue({ kind, now: T0, owner: 'a', leaseMs, limit: 10 })
      expect(await other().jobs.claimDue({ kind, now: T0 + 1, owner: 'b', leaseMs, limit: 10 })).toEqual([])
      expect(await other().jobs.claimDue({ kind, now: T0 + leaseMs, owner: 'b', leaseMs, limit: 10 })).toEqual([])

      // Instance `a` died: its lease ran out, `b` takes the item over.
      const takeover = await other().jobs.claimDue({ kind, now: T0 + leaseMs + 1, owner: 'b', leaseMs, limit: 10 })
      expect(takeover).toEqual([{ ...item, dueAt: T0, owner: 'b', leaseUntil: T0 + 2 * leaseMs + 1, attempts: 2 }])
      expect(await store().jobs.completeDue({ ...item, owner: 'a', nextDueAt: T0 + 999_000 })).toBe(false)
      expect(await store().jobs.getDue(item)).toEqual(takeover[0])
      expect(await other().jobs.completeDue({ ...item, owner: 'b', nextDueAt: T0 + 120_000 })).toBe(true)
      expect(await store().jobs.getDue(item)).toMatchObject({ dueAt: T0 + 120_000, owner: null, attempts: 0 })
    })

    it('takes items in the order they became claimable: a lapsed claim at its lease end', async () => {
      const kind = newKind()
      const projectId = randomUUID()
      await store().jobs.schedule({ kind, projectId, key: 'lapsed', dueAt: T0 })
      await store().jobs.claimDue({ kind, now: T0, owner: 'a', leaseMs, limit: 1 })
      await store().jobs.schedule({ kind, projectId, key: 'later', dueAt: T0 + leaseMs })
      await store().jobs.schedule({ kind, projectId, key: 'last', dueAt: T0 + leaseMs + 2 })
      const now = T0 + leaseMs + 2
      // `later` became due at T0 + leaseMs, `lapsed` claimable at T0 + leaseMs + 1, `last` after it.
      expect(ids(await other().jobs.claimDue({ kind, now, owner: 'b', leaseMs, limit: 1 }))).toEqual([
        `${projectId}/later`,
      ])
      expect(ids(await other().jobs.claimDue({ kind, now, owner: 'b', leaseMs, limit: 1 }))).toEqual([
        `${projectId}/lapsed`,
      ])
      expect(ids(await other().jobs.claimDue({ kind, now, owner: 'b', leaseMs, limit: 1 }))).toEqual([
        `${projectId}/last`,
      ])
    })

    it('unschedules an item, claimed or not: its holder can no longer complete it', async () => {
      const kind = newKind()
      const item = { kind, projectId: randomUUID(), key: 'monitor:9' }
      await store().jobs.schedule({ ...item, dueAt: T0 })
      await store().jobs.claimDue({ kind, now: T0, owner: 'a', leaseMs, limit: 10 })
      expect(await other().jobs.unschedule(item)).toBe(true)
      expect(await store().jobs.unschedule(item)).toBe(false)
      expect(await store().jobs.getDue(item)).toBeUndefined()
      expect(await store().jobs.completeDue({ ...item, owner: 'a', nextDueAt: T0 + 60_000 })).toBe(false)
      expect(await store().jobs.getDue(item)).toBeUndefined()
      expect(await store().jobs.claimDue({ kind, now: T0 + 10 * leaseMs, owner: 'b', leaseMs, limit: 10 })).toEqual([])

      const unclaimed = { ...item, key: 'monitor:10' }
      await store().jobs.schedule({ ...unclaimed, dueAt: T0 })
      expect(await store().jobs.unschedule(unclaimed)).toBe(true)
      expect(await store().jobs.claimDue({ kind, now: T0, owner: 'b', leaseMs, limit: 10 })).toEqual([])
      // Scheduled again, it starts afresh.
      expect(await store().jobs.schedule({ ...item, dueAt: T0 + 5 })).toEqual({
        ...item,
        dueAt: T0 + 5,
        owner: null,
        leaseUntil: null,
        attempts: 0,
      })
    })

    it('keeps kinds and projects apart: the same key in two projects is two items', async () => {
      const kind = newKind()
      const otherKind = `${kind}:x`
      const [p1, p2] = [randomUUID(), randomUUID()].sort()
      // Keys and kinds that a careless key layout would mix up: separators, encodings, empty.
      const keys = ['a:b', 'a', '%3A', '', '~', 'é']
      for (const projectId of [p1, p2])
        for (const key of keys) await store().jobs.schedule({ kind, projectId, key, dueAt: T0 })
      await store().jobs.schedule({ kind: otherKind, projectId: p1, key: 'a:b', dueAt: T0 })

      const claimed = await other().jobs.claimDue({ kind, now: T0, owner: 'a', leaseMs, limit: 100 })
      const expected = [p1, p2].flatMap((projectId) => [...keys].sort().map((key) => `${projectId}/${key}`))
      expect(ids(claimed)).toEqual(expected)
      expect(claimed.every((item) => item.kind === kind && item.owner === 'a')).toBe(true)

      expect(await store().jobs.completeDue({ kind, projectId: p1, key: 'a:b', owner: 'a', nextDueAt: T0 + 9 })).toBe(
        true,
      )
      expect(await store().jobs.getDue({ kind, projectId: p2, key: 'a:b' })).toMatchObject({ owner: 'a', dueAt: T0 })
      expect(await store().jobs.unschedule({ kind, projectId: p2, key: '' })).toBe(true)
      expect(await store().jobs.getDue({ kind, projectId: p1, key: '' })).toMatchObject({ owner: 'a' })
      expect(await store().jobs.getDue({ kind: otherKind, projectId: p1, key: 'a:b' })).toMatchObject({
        owner: null,
        dueAt: T0,
      })
      expect(await store().jobs.claimDue({ kind: otherKind, now: T0, owner: 'b', leaseMs, limit: 100 })).toEqual([
        { kind: otherKind, projectId: p1, key: 'a:b', dueAt: T0, owner: 'b', leaseUntil: T0 + leaseMs, attempts: 1 },
      ])
    })

    it('refuses a batch of 0 or more than 1,000, and a lease under 1 ms', async () => {
      const claim = (limit: number, lease = leaseMs) =>
        store().jobs.claimDue({ kind: newKind(), now: T0, owner: 'a', leaseMs: lease, limit })
      await expect(claim(0)).rejects.toThrow(/limit from 1 to 1000/)
      await expect(claim(1001)).rejects.toThrow(/limit from 1 to 1000/)
      await expect(claim(2.5)).rejects.toThrow(/limit from 1 to 1000/)
      await expect(claim(1, 0)).rejects.toThrow(/leaseMs of at least 1/)
      expect(await claim(1000)).toEqual([])
    })

    it('three instances claiming 1,000 due items concurrently each get disjoint sets that cover all of them', async () => {
      const kind = newKind()
      const projects = [randomUUID(), randomUUID(), randomUUID()]
      const all = Array.from({ length: 1000 }, (_, i) => ({
        projectId: projects[i % projects.length],
        key: `item:${i}`,
        dueAt: T0 - (i % 97) * 1000,
      }))
      for (let i = 0; i < all.length; i += 100)
        await Promise.all(all.slice(i, i + 100).map((item) => store().jobs.schedule({ kind, ...item })))

      const instances = [store(), other(), third()]
      const claimedBy = await Promise.all(
        instances.map(async (storage, n) => {
          const mine: DueJob[] = []
          for (;;) {
            const batch = await storage.jobs.claimDue({ kind, now: T0, owner: `instance-${n}`, leaseMs, limit: 50 })
            if (batch.length === 0) return mine
            expect(batch.length).toBeLessThanOrEqual(50)
            mine.push(...batch)
          }
        }),
      )
      const claimed = claimedBy.flatMap(ids)
      const seen = new Set<string>()
      expect(claimed.filter((id) => seen.has(id) || !seen.add(id))).toEqual([]) // disjoint: none claimed twice
      expect(claimed.sort()).toEqual(all.map((item) => `${item.projectId}/${item.key}`).sort()) // and all of them
      expect(claimedBy.every((mine) => mine.length > 0)).toBe(true)
      // Each instance holds what it was given, on its first claim.
      for (const [n, mine] of claimedBy.entries()) {
        expect(mine.filter((item) => item.owner !== `instance-${n}` || item.attempts !== 1)).toEqual([])
        for (const item of mine.filter((_, i) => i % 10 === 0))
          expect(await other().jobs.getDue(item)).toMatchObject({ owner: `instance-${n}`, attempts: 1 })
      }
    })
  })
}
