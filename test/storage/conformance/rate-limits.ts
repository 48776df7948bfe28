// Rate limits: fixed windows, atomic counts across instances, purge.
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { type MakeStorage, useStorage } from './helpers'

export function rateLimitTests(makeStorage: MakeStorage) {
  describe('rateLimits', () => {
    const store = useStorage(makeStorage)
    const other = useStorage(makeStorage)
    const windowMs = 60_000
    /** Start of a window, far from the tiny times the purge test uses. */
    const W = 28_000_000 * windowMs

    it('counts up within a window and restarts in the next one', async () => {
      const projectId = randomUUID()
      const hit = (now: number) => store().rateLimits.hit({ projectId, bucket: 'ingest', windowMs, now })
      expect(await hit(W + 5)).toEqual({ count: 1, resetAt: W + windowMs })
      expect(await hit(W + 30_000)).toEqual({ count: 2, resetAt: W + windowMs })
      expect(await hit(W + windowMs - 1)).toEqual({ count: 3, resetAt: W + windowMs })
      expect(await hit(W + windowMs)).toEqual({ count: 1, resetAt: W + 2 * windowMs })
      expect(await hit(W + windowMs + 1)).toEqual({ count: 2, resetAt: W + 2 * windowMs })
      expect(await hit(W + 5 * windowMs + 7)).toEqual({ count: 1, resetAt: W + 6 * windowMs })
    })

    it('adds a count of several at once (a lease), atomically, and a new window starts from it', async () => {
      const projectId = randomUUID()
      const hit = (now: number, count: number) =>
        store().rateLimits.hit({ projectId, bucket: 'lease', windowMs, now, count })
      expect(await hit(W + 1, 60)).toEqual({ count: 60, resetAt: W + windowMs })
      const concurrent = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? store() : other()).rateLimits.hit({ projectId, bucket: 'lease', windowMs, now: W + 2, count: 5 }),
        ),
      )
      expect(concurrent.map((h) => h.count).sort((x, y) => x - y)).toEqual([65, 70, 75, 80, 85, 90, 95, 100, 105, 110])
      expect(await hit(W + windowMs, 7)).toEqual({ count: 7, resetAt: W + 2 * windowMs })
    })

    it('counts each project and bucket separately', async () => {
      const [a, b] = [randomUUID(), randomUUID()]
      const hit = (projectId: string, bucket: string) =>
        store().rateLimits.hit({ projectId, bucket, windowMs, now: W + 10 })
      expect((await hit(a, 'ingest')).count).toBe(1)
      expect((await hit(a, 'ingest')).count).toBe(2)
      expect((await hit(a, 'query')).count).toBe(1)
      expect((await hit(b, 'ingest')).count).toBe(1)
      expect((await hit(a, 'ingest')).count).toBe(3)
    })

    it('never loses or repeats a count under 20 concurrent hits from two instances', async () => {
      const projectId = randomUUID()
      const hits = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? store() : other()).rateLimits.hit({ projectId, bucket: 'ingest', windowMs, now: W + i }),
        ),
      )
      expect(hits.map((h) => h.count).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
      for (const h of hits) expect(h.resetAt).toBe(W + windowMs)
    })

    // Uses times near the epoch that no other test uses, so the purge count is exact.
    it('purges windows that ended, and only those', async () => {
      const projectId = randomUUID()
      const hit = (bucket: string, now: number) => store().rateLimits.hit({ projectId, bucket, windowMs: 1000, now })
      await hit('ended', 1500) // window [1000, 2000)
      await hit('ended', 1600)
      await hit('current', 5500) // window [5000, 6000)
      expect(await store().rateLimits.purge({ before: 3000 })).toBe(1)
      expect(await store().rateLimits.purge({ before: 3000 })).toBe(0)
      expect((await hit('current', 5600)).count).toBe(2)
      expect((await hit('ended', 1700)).count).toBe(1)
    })
  })
}
