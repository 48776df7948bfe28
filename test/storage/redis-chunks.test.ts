// Redis reads spread over several script calls (issue 16): every answer is the same whatever the
// budget of a call, and writes between the calls of one read are counted at most once while every
// event present for the whole read is counted.
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EventFilter, EventRepository, NewEvent } from '../../src/storage'
import { kvKey } from '../../src/storage/kv'
import { redisEvents } from '../../src/storage/redis/events'
import { mulberry32 as random } from '../helpers/prng'
import { event } from '../helpers/records'
import { dropRedisPrefix, redisSkipReason, redisTestUrl, testRedisPrefix } from '../helpers/redis'

const url = redisTestUrl()
const T0 = Date.UTC(2024, 4, 1, 22, 17, 3, 9)
const HOUR = 3_600_000

/** Every query op, over filters that take each path (index counts, rollups, scans, predicates). */
async function answers(events: EventRepository, projectId: string): Promise<unknown[]> {
  const period = { kind: 'property', key: 'period' } as const
  const filters: EventFilter[] = [
    {},
    { names: ['view', 'buy'] },
    // Names without events between two with: a call may end between sources.
    { names: ['view', ...Array.from({ length: 30 }, (_, i) => `none${i}`), 'bill'] },
    { namePrefix: 'b' },
    { from: T0 + HOUR + 1234, to: T0 + 40 * HOUR - 77 },
    { userId: 'u3' },
    { tags: { plan: 'pro' } },
    { tags: { plan: 'pro' }, names: ['view', 'buy'], from: T0 + 2 * HOUR + 5 },
    { tags: { plan: 'pro', geo: 'de' } },
    { where: [{ field: period, op: 'in', value: ['monthly', 'yearly', 12] }] },
    { names: ['buy'], where: [{ field: { kind: 'value' }, op: 'gt', value: 40 }] },
  ]
  const out: unknown[] = []
  for (const filter of filters) {
    const q = { projectId, filter }
    out.push(
      await events.count(q),
      await events.list({ ...q, limit: 7, offset: 0 }),
      await events.list({ ...q, limit: 5, offset: 33 }),
      await events.countSeries({ ...q, bucketMs: 60_000 }),
      await events.countSeries({ ...q, bucketMs: HOUR }),
      await events.countSeries({ ...q, bucketMs: 1234 }),
      await events.countByTag({ ...q, tagKey: 'plan' }),
      await events.summarize({ ...q, field: { kind: 'value' }, percentiles: [1, 50, 99] }),
      await events.summarize({ ...q, field: { kind: 'property', key: 'ms' }, percentiles: [50] }),
      await events.countDistinctUsers(q),
      await events.countDistinctUsers({ ...q, minEvents: 3 }),
      await events.latest({ ...q, field: { kind: 'value' } }),
      await events.sumLatestPerUser({ ...q, field: { kind: 'value' } }),
    )
  }
  out.push(await events.countDistinctUsersInAny({ projectId, filters: filters.slice(4) }))
  return out
}

if (!url) {
  it.skip(`redis chunked reads: ${redisSkipReason}`)
} else {
  const prefix = testRedisPrefix()
  const client = new Redis(url)
  afterAll(async () => {
    await client.quit()
    await dropRedisPrefix(url, prefix)
  })
  /** The repository with each call's budget (units) and time (ms) given. */
  const withChunk = (budget: number, ms = 60_000) => redisEvents(client, prefix, { budget, ms })

  describe('redis chunked reads', () => {
    const projectId = 'chunks'
    let expected: unknown[]

    beforeAll(async () => {
      const next = random(16)
      const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)]
      // Timestamps over 3 days, many of them equal (ties are ordered by member across calls too).
      const events: NewEvent[] = Array.from({ length: 260 }, () =>
        event(pick(['view', 'buy', 'bill']), T0 + Math.floor(next() * 72) * HOUR + pick([0, 0, 1, 59_999, 61_000]), {
          userId: pick(['u1', 'u2', 'u3', 'u4', '', null]),
          value: next() < 0.2 ? null : Math.floor(next() * 100),
          properties: next() < 0.2 ? null : { period: pick(['monthly', 'yearly', 12, null, true]), ms: pick([1, 2.5]) },
          tags: next() < 0.2 ? null : { plan: pick(['free', 'pro']), geo: pick(['de', 'fr']) },
        }),
      )
      const storage = withChunk(1_000_000)
      await storage.insert({ projectId, events })
      // A third of the events as an earlier version wrote them: index members without the user,
      // no typed property fields (read from the event's JSON).
      const base = `${prefix}e:${kvKey(projectId)}:`
      const old = new Set(events.filter((_, i) => i % 3 === 0).map((e) => e.id))
      for (const key of await client.keys(`${base}t*`)) {
        if ((await client.type(key)) !== 'zset') continue
        const flat = await client.zrange(key, 0, -1, 'WITHSCORES')
        for (let i = 0; i < flat.length; i += 2) {
          const parts = flat[i].split('\u0000')
          if (!old.has(parts[0])) continue
          await client.zrem(key, flat[i])
          await client.zadd(key, flat[i + 1], `${parts[0]}\u0000${parts[1]}`)
        }
      }
      for (const id of old) {
        const typed = (await client.hkeys(`${base}ev:${id}`)).filter((f) => f.startsWith('s:'))
        if (typed.length > 0) await client.hdel(`${base}ev:${id}`, ...typed)
      }
      expected = await answers(storage, projectId)
    })

    it.each([1, 2, 9, 61, 1000])('answers the same with a budget of %i units per call', async (budget) => {
      expect(await answers(withChunk(budget), projectId)).toEqual(expected)
    })

    it('answers the same when every call runs out of time (one clock check, at 256 units)', async () => {
      expect(await answers(withChunk(1_000_000, 0), projectId)).toEqual(expected)
    })
  })

  describe('redis chunked reads between writes', () => {
    /**
     * The repository with `between(cursor)` run before every call that continues a read: what it
     * writes lands between two calls of one read.
     */
    function interleaved(between: (cursor: string) => Promise<void>): EventRepository {
      const reader = new Redis(url!)
      afterAll(() => reader.quit())
      const evalsha = reader.evalsha.bind(reader) as (...args: unknown[]) => Promise<unknown>
      ;(reader as unknown as { evalsha: typeof evalsha }).evalsha = async (...args: unknown[]) => {
        if (typeof args[4] === 'string' && args[4] !== '') await between(args[4])
        return evalsha(...args)
      }
      return redisEvents(reader, prefix, { budget: 5, ms: 60_000 })
    }
    /** 120 events of value 1, each of its own user, on 20 timestamps (6 tied on each). */
    const present = () =>
      Array.from({ length: 120 }, (_, i) => event('tick', T0 + (i % 20) * 1000, { value: 1, userId: `p${i}` }))
    const scanned: EventFilter = { where: [{ field: { kind: 'value' }, op: 'gte', value: 1 }] }

    it('reads every event present for the whole read once, and each one written during it at most once', async () => {
      const projectId = 'between-writes'
      const writer = withChunk(1_000_000)
      await writer.insert({ projectId, events: present() })
      // Before each later call, one event of value 1000 and a user of its own: on a timestamp
      // already read or still ahead, often tied with the present ones.
      let late = 0
      const events = interleaved(async () => {
        late++
        const ts = T0 + ((late * 7) % 23) * 1000
        await writer.insert({ projectId, events: [event('tick', ts, { value: 1000, userId: `late${late}` })] })
      })
      const reads: Array<[string, () => Promise<{ users: number; once: boolean; sum: number }>]> = [
        [
          'summarize (index only)',
          async () => {
            const s = await events.summarize({ projectId, filter: {}, field: { kind: 'value' }, percentiles: [] })
            return { users: s.count, once: true, sum: s.sum! }
          },
        ],
        [
          'countDistinctUsers (events read)',
          async () => ({
            users: await events.countDistinctUsers({ projectId, filter: scanned }),
            // A user counted twice would have two events.
            once: (await events.countDistinctUsers({ projectId, filter: scanned, minEvents: 2 })) === 0,
            sum: Number.NaN,
          }),
        ],
        [
          'sumLatestPerUser (newest first)',
          async () => {
            const s = await events.sumLatestPerUser({ projectId, filter: scanned, field: { kind: 'value' } })
            return { users: s.users, once: true, sum: s.sum! }
          },
        ],
        [
          'list (newest first, every match)',
          async () => {
            const { events: page, total } = await events.list({ projectId, filter: scanned, limit: 100_000, offset: 0 })
            const ids = page.map((e) => e.id)
            expect(page.filter((e) => e.value === 1)).toHaveLength(120)
            return { users: total, once: new Set(ids).size === ids.length && ids.length === total, sum: Number.NaN }
          },
        ],
      ]
      for (const [label, read] of reads) {
        const before = late
        const { users, once, sum } = await read()
        const during = late - before
        expect(during, label).toBeGreaterThan(5)
        expect(once, label).toBe(true)
        expect(users, label).toBeGreaterThanOrEqual(120 + before)
        expect(users, label).toBeLessThanOrEqual(120 + late)
        // 120 present events of 1 and those written before the read, each exactly once.
        if (!Number.isNaN(sum)) expect(sum, label).toBe(120 + 1000 * (users - 120))
      }
    })

    it('reads on after the cursor when the entry it names is gone from the index', async () => {
      // Each later call first removes the entry the cursor names (as a retention would), so the call
      // places the cursor among the tied entries of its timestamp by binary search.
      for (const descending of [false, true]) {
        const projectId = `gone-${descending}`
        const writer = withChunk(1_000_000)
        await writer.insert({ projectId, events: present() })
        let removed = 0
        const events = interleaved(async (cursor) => {
          const [score, member] = (JSON.parse(cursor) as { i: [string, string] }).i
          removed += await client.zrem(`${prefix}e:${kvKey(projectId)}:t`, member)
          expect(score).toMatch(/^\d+$/)
        })
        if (descending) {
          expect(await events.sumLatestPerUser({ projectId, filter: {}, field: { kind: 'value' } })).toEqual({
            users: 120,
            sum: 120,
          })
        } else {
          const s = await events.summarize({ projectId, filter: {}, field: { kind: 'value' }, percentiles: [] })
          expect(s.count).toBe(120)
        }
        expect(removed).toBeGreaterThan(10)
      }
    })
  })
}
