// Jobs: ensure, claim with a lease, complete; one winner among concurrent claims.
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { SYSTEM_PROJECT } from '../../../src/storage'
import { type MakeStorage, T0, useStorage } from './helpers'

export function jobTests(makeStorage: MakeStorage) {
  describe('jobs', () => {
    const store = useStorage(makeStorage)
    const other = useStorage(makeStorage)
    const leaseMs = 30_000
    const newJob = async (runAt = T0, projectId: string = SYSTEM_PROJECT) => {
      const key = `test:${randomUUID()}`
      await store().jobs.ensure({ projectId, key, runAt })
      return { projectId, key }
    }

    it('ensure creates a job once and keeps its schedule', async () => {
      const job = await newJob(T0)
      expect(await store().jobs.get(job)).toEqual({ ...job, runAt: T0, owner: null, leaseUntil: null, attempts: 0 })
      await store().jobs.ensure({ ...job, runAt: T0 + 99_000 })
      await other().jobs.ensure({ ...job, runAt: T0 - 99_000 })
      expect((await store().jobs.get(job))?.runAt).toBe(T0)
      expect(await store().jobs.get({ projectId: SYSTEM_PROJECT, key: `missing:${randomUUID()}` })).toBeUndefined()
    })

    it('scopes jobs by project: the same key in two projects is two jobs', async () => {
      const tenant = randomUUID()
      const job = await newJob(T0, tenant)
      const system = { projectId: SYSTEM_PROJECT, key: job.key }
      await store().jobs.ensure({ ...system, runAt: T0 })
      expect(await store().jobs.claim({ ...job, owner: 'a', now: T0, leaseMs })).toMatchObject({
        projectId: tenant,
        owner: 'a',
      })
      expect(await store().jobs.claim({ ...system, owner: 'b', now: T0, leaseMs })).toMatchObject({
        projectId: SYSTEM_PROJECT,
        owner: 'b',
      })
      expect(await store().jobs.complete({ ...system, owner: 'a', nextRunAt: T0 + 1 })).toBe(false)
      expect((await store().jobs.get(job))?.owner).toBe('a')
    })

    it('claims only when due', async () => {
      const job = await newJob(T0)
      expect(await store().jobs.claim({ ...job, owner: 'a', now: T0 - 1, leaseMs })).toBeUndefined()
      expect(await store().jobs.claim({ ...job, owner: 'a', now: T0, leaseMs })).toEqual({
        ...job,
        runAt: T0,
        owner: 'a',
        leaseUntil: T0 + leaseMs,
        attempts: 1,
      })
      expect(
        await store().jobs.claim({
          projectId: SYSTEM_PROJECT,
          key: `missing:${randomUUID()}`,
          owner: 'a',
          now: T0,
          leaseMs,
        }),
      ).toBeUndefined()
    })

    it('lets exactly one of 10 concurrent claims win', async () => {
      const job = await newJob(T0)
      const owners = Array.from({ length: 10 }, (_, i) => `instance-${i}`)
      const claims = await Promise.all(
        owners.map((owner, i) => (i % 2 ? other() : store()).jobs.claim({ ...job, owner, now: T0 + 10, leaseMs })),
      )
      const winners = claims.filter((c) => c !== undefined)
      expect(winners).toHaveLength(1)
      expect(owners).toContain(winners[0]?.owner)
      expect(await store().jobs.get(job)).toEqual(winners[0])
    })

    it('refuses a claim while the lease is live, and allows it once the lease expired', async () => {
      const job = await newJob(T0)
      await store().jobs.claim({ ...job, owner: 'a', now: T0, leaseMs })
      expect(await other().jobs.claim({ ...job, owner: 'b', now: T0 + 1, leaseMs })).toBeUndefined()
      expect(await other().jobs.claim({ ...job, owner: 'b', now: T0 + leaseMs, leaseMs })).toBeUndefined()
      // Instance `a` died: its lease ran out, `b` takes the job over.
      const takeover = await other().jobs.claim({ ...job, owner: 'b', now: T0 + leaseMs + 1, leaseMs })
      expect(takeover).toMatchObject({ owner: 'b', leaseUntil: T0 + 2 * leaseMs + 1 })
      expect((await store().jobs.get(job))?.owner).toBe('b')
    })

    it('complete by the owner releases the job and schedules the next run', async () => {
      const job = await newJob(T0)
      await store().jobs.claim({ ...job, owner: 'a', now: T0, leaseMs })
      expect(await store().jobs.complete({ ...job, owner: 'a', nextRunAt: T0 + 60_000 })).toBe(true)
      expect(await store().jobs.get(job)).toMatchObject({ runAt: T0 + 60_000, owner: null, leaseUntil: null })
      expect(await other().jobs.claim({ ...job, owner: 'b', now: T0 + 59_999, leaseMs })).toBeUndefined()
      expect(await other().jobs.claim({ ...job, owner: 'b', now: T0 + 60_000, leaseMs })).toMatchObject({ owner: 'b' })
    })

    it('complete by a stale owner after a takeover returns false and changes nothing', async () => {
      const job = await newJob(T0)
      await store().jobs.claim({ ...job, owner: 'a', now: T0, leaseMs })
      const takeover = await other().jobs.claim({ ...job, owner: 'b', now: T0 + leaseMs + 1, leaseMs })
      expect(await store().jobs.complete({ ...job, owner: 'a', nextRunAt: T0 + 999_000 })).toBe(false)
      expect(await store().jobs.get(job)).toEqual(takeover)
      expect(await other().jobs.complete({ ...job, owner: 'b', nextRunAt: T0 + 120_000 })).toBe(true)
      expect(await store().jobs.get(job)).toMatchObject({ runAt: T0 + 120_000, owner: null })
    })

    it("lists a project's jobs by key prefix, in key order, and deletes one", async () => {
      const tenant = randomUUID()
      // Prefixes that a careless LIKE or a collation would get wrong: wildcards, case, a longer key.
      const keys = [
        'work:b:2',
        'work:a:1',
        'work:%_:3',
        'Work:a',
        'worker',
        'work',
        'other:work:1',
        'work:é:4',
        'work:a:1:more',
      ]
      for (const key of keys) await store().jobs.ensure({ projectId: tenant, key, runAt: T0 })
      await store().jobs.ensure({ projectId: randomUUID(), key: 'work:a:1', runAt: T0 })
      const listed = await other().jobs.list({ projectId: tenant, keyPrefix: 'work:' })
      expect(listed.map((j) => j.key)).toEqual(['work:%_:3', 'work:a:1', 'work:a:1:more', 'work:b:2', 'work:é:4'])
      expect(listed[0]).toEqual({
        projectId: tenant,
        key: 'work:%_:3',
        runAt: T0,
        owner: null,
        leaseUntil: null,
        attempts: 0,
      })
      expect((await store().jobs.list({ projectId: tenant, keyPrefix: 'work:%' })).map((j) => j.key)).toEqual([
        'work:%_:3',
      ])
      expect((await store().jobs.list({ projectId: tenant, keyPrefix: 'nothing:' })).map((j) => j.key)).toEqual([])
      expect((await store().jobs.list({ projectId: tenant, keyPrefix: '' })).map((j) => j.key)).toHaveLength(
        keys.length,
      )

      expect(await store().jobs.delete({ projectId: tenant, key: 'work:a:1' })).toBe(true)
      expect(await other().jobs.delete({ projectId: tenant, key: 'work:a:1' })).toBe(false)
      expect(await store().jobs.get({ projectId: tenant, key: 'work:a:1' })).toBeUndefined()
      expect((await store().jobs.list({ projectId: tenant, keyPrefix: 'work:a' })).map((j) => j.key)).toEqual([
        'work:a:1:more',
      ])
    })
  })
}
