import { Redis } from 'ioredis'
import { redisStorage } from 'telltale/adapters/redis'
import { afterAll, describe, expect, it } from 'vitest'
import type { EventFilter, NewEvent } from '../../src/storage'
import { kvKey } from '../../src/storage/kv'
import { redisKv } from '../../src/storage/redis'
import { mulberry32 as random } from '../helpers/prng'
import { dropRedisPrefix, redisSkipReason, redisTestUrl, testRedisPrefix } from '../helpers/redis'
import { event, storageConformance } from './conformance'

// Throws in CI when the URL is missing; locally the file is skipped.
const url = redisTestUrl()

/** A client that counts the commands it sends (a script call is one, a MULTI block several). */
function countingClient(url: string): { client: Redis; commands: string[] } {
  const client = new Redis(url)
  const commands: string[] = []
  const send = client.sendCommand.bind(client)
  client.sendCommand = (command, stream) => {
    commands.push(command.name)
    return send(command, stream)
  }
  return { client, commands }
}

const project = (id: string, slug: string) => ({
  id,
  name: 'Redis',
  slug,
  timezone: 'UTC',
  createdAt: 1_700_000_000_000,
})
const T0 = Date.UTC(2024, 0, 15, 10, 30)

if (!url) {
  // Reported as skipped, with the reason: never as a pass.
  it.skip(`redis storage: ${redisSkipReason}`)
} else {
  // One prefix per run of this file; every key under it is removed at the end.
  const prefix = testRedisPrefix()
  afterAll(() => dropRedisPrefix(url, prefix))

  storageConformance('redis', async () => {
    const storage = redisStorage({ url, prefix })
    return { storage, cleanup: () => storage.close() }
  })

  describe('redis adapter', () => {
    it('does not quit a client the caller passed in', async () => {
      const client = new Redis(url)
      try {
        const storage = redisStorage({ client, prefix })
        await storage.migrate()
        await storage.close()
        expect(client.status).toBe('ready')
        expect(await client.ping()).toBe('PONG')
      } finally {
        await client.quit()
      }
    })

    it('keeps two prefixes in one Redis apart', async () => {
      const otherPrefix = `${prefix}other:`
      const first = redisStorage({ url, prefix })
      const second = redisStorage({ url, prefix: otherPrefix })
      try {
        await first.migrate()
        await second.migrate()
        const p = project('0190c5b2-7c3e-7000-8000-000000000002', `twice-${prefix}`)
        await first.projects.create({ project: p })
        await first.events.insert({ projectId: p.id, events: [event('apart', T0)] })
        expect(await second.projects.get({ projectId: p.id })).toBeUndefined()
        expect(await second.events.count({ projectId: p.id, filter: {} })).toBe(0)
        await second.projects.create({ project: p })
        expect(await second.projects.getBySlug({ slug: p.slug })).toEqual(p)
        expect(await first.events.count({ projectId: p.id, filter: {} })).toBe(1)
      } finally {
        await first.close()
        await second.close()
      }
    })

    it('inserts a batch of 100 events in one round trip', async () => {
      const { client, commands } = countingClient(url)
      try {
        const storage = redisStorage({ client, prefix })
        await storage.events.insert({ projectId: 'warm-up', events: [event('warm', T0)] }) // loads the script
        commands.length = 0
        const events = Array.from({ length: 100 }, (_, i) =>
          event('batch', T0 + i, { tags: { i: String(i % 7) }, clientId: `c-${i}` }),
        )
        expect(await storage.events.insert({ projectId: 'one-trip', events })).toEqual({
          ids: events.map((e) => e.id),
          created: 100,
        })
        expect(commands).toEqual(['evalsha'])
        expect(await storage.events.count({ projectId: 'one-trip', filter: {} })).toBe(100)
      } finally {
        await client.quit()
      }
    })

    it('claims a batch of due jobs in one round trip', async () => {
      const { client, commands } = countingClient(url)
      try {
        const storage = redisStorage({ client, prefix })
        const kind = 'one-trip'
        for (let i = 0; i < 60; i++)
          await storage.jobs.schedule({ kind, projectId: `p${i % 3}`, key: `k${i}`, dueAt: T0 + i })
        await storage.jobs.claimDue({ kind, now: T0, owner: 'warm-up', leaseMs: 1, limit: 1 }) // loads the script
        commands.length = 0
        const batch = await storage.jobs.claimDue({ kind, now: T0 + 60, owner: 'a', leaseMs: 30_000, limit: 50 })
        expect(commands).toEqual(['evalsha'])
        expect(batch.map((item) => item.dueAt)).toEqual(Array.from({ length: 50 }, (_, i) => T0 + i))
        expect(batch.every((item) => item.owner === 'a' && item.leaseUntil === T0 + 60 + 30_000)).toBe(true)
      } finally {
        await client.quit()
      }
    })

    it('summarizes a range in one script call', async () => {
      const { client, commands } = countingClient(url)
      try {
        const storage = redisStorage({ client, prefix })
        const values = Array.from({ length: 500 }, (_, i) => (i * 37) % 500)
        await storage.events.insert({
          projectId: 'summary',
          events: values.map((value, i) => event('m', T0 + i * 1000, { value })),
        })
        await storage.events.summarize({
          projectId: 'summary',
          filter: {},
          field: { kind: 'value' },
          percentiles: [50],
        }) // loads the script
        commands.length = 0
        const summary = await storage.events.summarize({
          projectId: 'summary',
          filter: { from: T0 + 100_000, to: T0 + 200_000 },
          field: { kind: 'value' },
          percentiles: [50, 99],
        })
        expect(commands).toEqual(['evalsha'])
        const inRange = values.slice(100, 200).sort((a, b) => a - b)
        expect(summary).toEqual({
          count: 100,
          sum: inRange.reduce((s, v) => s + v, 0),
          avg: inRange.reduce((s, v) => s + v, 0) / 100,
          min: inRange[0],
          max: inRange[99],
          percentiles: { 50: inRange[49], 99: inRange[98] },
        })
      } finally {
        await client.quit()
      }
    })

    it('reads events written before index members carried the user id and properties had fields, alone or mixed with new ones', async () => {
      const storage = redisStorage({ url, prefix })
      const client = new Redis(url)
      try {
        const projectId = `old-members-${prefix}`
        const rnd = random(7)
        const users = ['u1', 'u2', 'u3', '', null]
        const periods = ['monthly', 'yearly', null, 12, true, { a: 1 }, undefined]
        const events = Array.from({ length: 300 }, (_, i) =>
          event(i % 3 ? 'buy' : 'view', T0 + i * 1000, {
            userId: users[Math.floor(rnd() * users.length)],
            value: i % 4 ? Math.floor(rnd() * 100) : null,
            properties: i % 5 ? { period: periods[Math.floor(rnd() * periods.length)] } : null,
          }),
        )
        await storage.events.insert({ projectId, events })
        const answers = async () => {
          const period = (op: 'eq' | 'neq', value: string | number | boolean | null): EventFilter => ({
            where: [{ field: { kind: 'property', key: 'period' }, op, value }],
          })
          const filters: EventFilter[] = [
            {},
            { names: ['buy'] },
            { from: T0 + 50_000, to: T0 + 200_000 },
            period('eq', 'yearly'),
            period('neq', 'monthly'),
            period('eq', null),
            period('eq', 12),
            period('eq', true),
          ]
          const out: unknown[] = []
          for (const filter of filters) {
            out.push(
              await storage.events.countDistinctUsers({ projectId, filter }),
              await storage.events.countDistinctUsers({ projectId, filter, minEvents: 2 }),
              await storage.events.sumLatestPerUser({ projectId, filter, field: { kind: 'value' } }),
              await storage.events.summarize({ projectId, filter, field: { kind: 'value' }, percentiles: [50] }),
              (await storage.events.list({ projectId, filter, limit: 20, offset: 5 })).events.map((e) => e.id),
            )
          }
          out.push(await storage.events.countDistinctUsersInAny({ projectId, filters }))
          return out
        }
        const expected = await answers()
        /** Rewrites every `n`th member of the project's time indexes to the old `{id}\0{value}` form. */
        /**
         * Turns the events `old` picks into events as an earlier version wrote them: their index
         * members `{id}\0{value}` (in every index), and no typed property fields.
         */
        const toOldEvents = async (old: (index: number) => boolean) => {
          const base = `${prefix}e:${kvKey(projectId)}:`
          const ids = new Set(events.filter((_, i) => old(i)).map((e) => e.id))
          let rewritten = 0
          for (const key of await client.keys(`${base}t*`)) {
            if ((await client.type(key)) !== 'zset') continue
            const flat = await client.zrange(key, 0, -1, 'WITHSCORES')
            for (let i = 0; i < flat.length; i += 2) {
              const parts = flat[i].split('\u0000')
              if (parts.length !== 3 || !ids.has(parts[0])) continue
              await client.zrem(key, flat[i])
              await client.zadd(key, flat[i + 1], `${parts[0]}\u0000${parts[1]}`)
              rewritten++
            }
          }
          for (const id of ids) {
            const eventKey = `${base}ev:${id}`
            const typedFields = (await client.hkeys(eventKey)).filter((f) => f.startsWith('s:'))
            if (typedFields.length > 0) await client.hdel(eventKey, ...typedFields)
          }
          return rewritten
        }
        expect(await toOldEvents((i) => i % 2 === 0)).toBe(300) // 150 events, each in two indexes
        expect(await answers()).toEqual(expected)
        expect(await toOldEvents(() => true)).toBe(300)
        expect(await answers()).toEqual(expected)
      } finally {
        await client.quit()
        await storage.close()
      }
    })

    it('migrates from 4 instances at once', async () => {
      const fresh = testRedisPrefix()
      const storages = Array.from({ length: 4 }, () => redisStorage({ url, prefix: fresh }))
      try {
        await Promise.all(storages.map((s) => s.migrate()))
        await Promise.all(storages.map((s) => s.migrate()))
        const p = project('0190c5b2-7c3e-7000-8000-000000000003', `four-${fresh}`)
        await storages[0].projects.create({ project: p })
        expect(await storages[3].projects.get({ projectId: p.id })).toEqual(p)
      } finally {
        for (const s of storages) await s.close()
        await dropRedisPrefix(url, fresh)
      }
    })

    it('refuses a newer schema version than it knows, in one line', async () => {
      const fresh = testRedisPrefix()
      const client = new Redis(url)
      try {
        await client.set(`${fresh}schema`, '99')
        const storage = redisStorage({ client, prefix: fresh })
        const error = await storage.migrate().catch((e: unknown) => e as Error)
        expect(error).toBeInstanceOf(Error)
        expect((error as Error).message).toMatch(/^telltale: .*schema version 99, newer than this telltale knows \(1\)/)
        expect((error as Error).message).not.toContain('\n')
        expect(await client.get(`${fresh}schema`)).toBe('99')
      } finally {
        await client.quit()
        await dropRedisPrefix(url, fresh)
      }
    })

    // Counts come from minute/hour rollups for whole buckets and from the events at the edges: over
    // random ranges, names and tags they must equal counting the events themselves.
    it('answers counts from rollups, and lists, exactly as counting the events', async () => {
      const storage = redisStorage({ url, prefix })
      try {
        const next = random(2024)
        const names = ['page.view', 'page.leave', 'click', 'signup']
        const day = 86_400_000
        const start = Date.UTC(2024, 4, 1, 22, 17, 3, 9)
        const events: NewEvent[] = Array.from({ length: 1500 }, () => {
          const tags: Record<string, string> = { plan: ['free', 'pro', 'team'][Math.floor(next() * 3)] }
          if (next() < 0.5) tags['geo:c*'] = ['de', 'fr ü'][Math.floor(next() * 2)]
          return event(names[Math.floor(next() * names.length)], start + Math.floor(next() * 3 * day), {
            tags,
            userId: next() < 0.5 ? 'u1' : 'u2',
          })
        })
        const projectId = `rollups-${prefix}`
        for (let i = 0; i < events.length; i += 400)
          await storage.events.insert({ projectId, events: events.slice(i, i + 400) })

        const matches = (e: NewEvent, f: EventFilter) =>
          (!f.names || f.names.includes(e.name)) &&
          (!f.namePrefix || e.name.startsWith(f.namePrefix)) &&
          (f.from === undefined || e.timestamp >= f.from) &&
          (f.to === undefined || e.timestamp < f.to) &&
          (f.userId === undefined || e.userId === f.userId) &&
          Object.entries(f.tags ?? {}).every(([k, v]) => e.tags?.[k] === v)
        const time = () => start - day / 2 + Math.floor(next() * 4 * day)
        const filters: EventFilter[] = [{}, { from: start + 3_600_000 }, { to: start + 2 * day }]
        for (let i = 0; i < 40; i++) {
          const [a, b] = [time(), time()].sort((x, y) => x - y)
          const f: EventFilter = { from: next() < 0.8 ? a : undefined, to: next() < 0.8 ? b : undefined }
          const kind = Math.floor(next() * 4)
          if (kind === 1) f.names = [names[i % 4], names[(i + 1) % 4]]
          if (kind === 2) f.namePrefix = 'page.'
          if (next() < 0.4) f.tags = { plan: 'pro' }
          if (next() < 0.1) f.userId = 'u1'
          filters.push(f)
        }
        for (const filter of filters) {
          const mine = events.filter((e) => matches(e, filter))
          expect(await storage.events.count({ projectId, filter }), JSON.stringify(filter)).toBe(mine.length)
          const newest = [...mine].sort((x, y) => y.timestamp - x.timestamp || (y.id > x.id ? 1 : y.id < x.id ? -1 : 0))
          const listed = await storage.events.list({ projectId, filter, limit: 20, offset: 5 })
          expect(listed.total, JSON.stringify(filter)).toBe(mine.length)
          expect(
            listed.events.map((e) => e.id),
            JSON.stringify(filter),
          ).toEqual(newest.slice(5, 25).map((e) => e.id))
          for (const bucketMs of [60_000, 300_000, 900_000, 3_600_000, day, 7 * 60_000, 1234]) {
            const counts = new Map<number, number>()
            for (const e of mine) {
              const bucket = e.timestamp - (e.timestamp % bucketMs)
              counts.set(bucket, (counts.get(bucket) ?? 0) + 1)
            }
            const expected = [...counts].sort(([x], [y]) => x - y).map(([start, count]) => ({ start, count }))
            expect(
              await storage.events.countSeries({ projectId, filter, bucketMs }),
              `${bucketMs} ${JSON.stringify(filter)}`,
            ).toEqual(expected)
          }
          for (const tagKey of ['plan', 'geo:c*']) {
            const counts = new Map<string, number>()
            for (const e of mine)
              if (e.tags?.[tagKey] !== undefined) counts.set(e.tags[tagKey], (counts.get(e.tags[tagKey]) ?? 0) + 1)
            const expected = [...counts]
              .map(([value, count]) => ({ value, count }))
              .sort((x, y) => y.count - x.count || x.value.localeCompare(y.value))
            expect(
              await storage.events.countByTag({ projectId, filter, tagKey }),
              `${tagKey} ${JSON.stringify(filter)}`,
            ).toEqual(expected)
          }
        }
      } finally {
        await storage.close()
      }
    })

    it('kv: scan is sorted, indexed, and drops keys whose TTL passed', async () => {
      const client = new Redis(url)
      try {
        const kv = redisKv(client, `${prefix}kvtest:`)
        await kv.set('b:2', 'x')
        await kv.set('b:1', 'x')
        await kv.set('a:1', 'x')
        await kv.set('b:short', 'x', { ttlMs: 30 })
        expect(await kv.increment('b:count', 2, { ttlMs: 60_000 })).toBe(2)
        expect(await kv.increment('b:count', 3, { ttlMs: 1 })).toBe(5)
        expect(await client.pttl(`${prefix}kvtest:kv:b:count`)).toBeGreaterThan(1000) // the TTL of the creating call
        expect(await kv.scan('b:')).toEqual(['b:1', 'b:2', 'b:count', 'b:short'])
        await new Promise((resolve) => setTimeout(resolve, 60))
        expect(await kv.scan('b:')).toEqual(['b:1', 'b:2', 'b:count'])
        expect(await client.zrange(`${prefix}kvtest:kv-index`, 0, -1)).toEqual(['a:1', 'b:1', 'b:2', 'b:count'])
        expect(await kv.compareAndSet('b:1', 'y', 'z')).toBe(false)
        expect(await kv.compareAndSet('b:1', 'x', 'z')).toBe(true)
        expect(await kv.compareAndSet('c:1', undefined, 'new')).toBe(true)
        expect(await kv.compareAndSet('c:1', undefined, 'again')).toBe(false)
        expect(await kv.getMany(['b:1', 'missing', 'c:1'])).toEqual(['z', undefined, 'new'])
        expect(await kv.delete('b:1')).toBe(true)
        expect(await kv.delete('b:1')).toBe(false)
        expect(await kv.scan('')).toEqual(['a:1', 'b:2', 'b:count', 'c:1'])
      } finally {
        await client.quit()
      }
    })

    it('rejects a misconfiguration with one line saying what to fix', () => {
      expect(() => redisStorage({} as never)).toThrow(/^telltale: redisStorage needs \{ url/)
      expect(() => redisStorage({ url: 'http://x' })).toThrow(/url must start with redis:\/\//)
      expect(() => redisStorage({ url, client: {} } as never)).toThrow(/not both/)
      expect(() => redisStorage({ client: {} as Redis })).toThrow(/ioredis client/)
      expect(() => redisStorage({ url, prefix: '' })).toThrow(/prefix must be a non-empty string/)
      expect(() => redisStorage({ client: { evalsha() {}, isCluster: true } as unknown as Redis })).toThrow(
        /does not support Redis Cluster/,
      )
    })
  })
}
