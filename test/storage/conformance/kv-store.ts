// The KvStore conformance suite: what every key-value backend passes before anything is built on
// it. First the eight primitives themselves (values, getMany, setIfAbsent, compare-and-set races,
// counters, sorted scans, TTLs), then what is written once over them for every backend: unique
// claims (claims.ts) and record repositories (records.ts). kv-store.test.ts runs it on unstorage's
// memory and fs drivers (unstorageKv) and on Redis (redisKv).
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { type KvStore, kvKey } from '../../../src/storage/kv'
import { claimTests } from './kv-claims'
import { recordTests } from './kv-records'

/** A KvStore over the suite's backing store; every call may return the same object. */
export type MakeKv = () => KvStore

/** The whole suite, in the caller's `describe`. */
export function kvStoreConformance(makeKv: MakeKv): void {
  primitiveTests(makeKv)
  claimTests(makeKv)
  recordTests(makeKv)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function primitiveTests(makeKv: MakeKv) {
  describe('primitives', () => {
    // Every test works under a fresh key prefix of its own, so the suite may share one store.
    const fresh = () => ({ kv: makeKv(), at: (...segments: string[]) => kvKey('kvtest', run, ...segments) })
    const run = randomUUID()

    it('get, set and delete; an absent key is undefined', async () => {
      const { kv, at } = fresh()
      const key = at(randomUUID())
      expect(await kv.get(key)).toBeUndefined()
      await kv.set(key, 'one')
      expect(await kv.get(key)).toBe('one')
      await kv.set(key, '') // an empty value is a value
      expect(await kv.get(key)).toBe('')
      expect(await kv.delete(key)).toBe(true)
      expect(await kv.delete(key)).toBe(false)
      expect(await kv.get(key)).toBeUndefined()
    })

    it('keeps values as they are: JSON, numbers as text, unicode, separators', async () => {
      const { kv, at } = fresh()
      for (const value of ['{"a":1}', '42', 'true', 'null', 'k1|2|x;', 'é 日本 🎉', 'a:b:c', ' spaced ']) {
        const key = at(randomUUID())
        await kv.set(key, value)
        expect(await kv.get(key)).toBe(value)
      }
    })

    it('getMany answers in key order, undefined for the absent ones', async () => {
      const { kv, at } = fresh()
      const [a, b, c] = [at('a'), at('b'), at('c')]
      await kv.set(a, '1')
      await kv.set(c, '3')
      expect(await kv.getMany([c, b, a, c])).toEqual(['3', undefined, '1', '3'])
      expect(await kv.getMany([])).toEqual([])
    })

    it('setIfAbsent writes once', async () => {
      const { kv, at } = fresh()
      const key = at('once')
      expect(await kv.setIfAbsent(key, 'first')).toBe(true)
      expect(await kv.setIfAbsent(key, 'second')).toBe(false)
      expect(await kv.get(key)).toBe('first')
    })

    it('compareAndSet writes only over the expected value (undefined: only while absent)', async () => {
      const { kv, at } = fresh()
      const key = at('cas')
      expect(await kv.compareAndSet(key, 'nothing', 'x')).toBe(false)
      expect(await kv.get(key)).toBeUndefined()
      expect(await kv.compareAndSet(key, undefined, 'v1')).toBe(true)
      expect(await kv.compareAndSet(key, undefined, 'v2')).toBe(false)
      expect(await kv.compareAndSet(key, 'v2', 'v3')).toBe(false)
      expect(await kv.compareAndSet(key, 'v1', 'v2')).toBe(true)
      expect(await kv.get(key)).toBe('v2')
    })

    it('one of many concurrent compareAndSets over the same value wins', async () => {
      const { kv, at } = fresh()
      const key = at('race')
      await kv.set(key, 'start')
      const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => kv.compareAndSet(key, 'start', `w${i}`)))
      expect(wins.filter(Boolean)).toHaveLength(1)
      expect(await kv.get(key)).toBe(`w${wins.indexOf(true)}`)
    })

    it('increment adds to a counter (absent counts 0) and returns the total, atomically', async () => {
      const { kv, at } = fresh()
      const key = at('counter')
      expect(await kv.increment(key, 5)).toBe(5)
      expect(await kv.increment(key, -2)).toBe(3)
      const totals = await Promise.all(Array.from({ length: 20 }, () => kv.increment(key, 1)))
      expect(new Set(totals).size).toBe(20)
      expect(Math.max(...totals)).toBe(23)
      expect(await kv.get(key)).toBe('23')
    })

    it('scan lists every key under a prefix, sorted, and not a deleted one', async () => {
      const { kv, at } = fresh()
      const keys = ['b', 'a', 'a~', 'c:d', 'A', 'é'].map((s) => at('scan', s))
      for (const key of keys) await kv.set(key, 'x')
      await kv.set(at('scanner'), 'not under scan:')
      expect(await kv.scan(`${at('scan')}:`)).toEqual([...keys].sort())
      await kv.delete(keys[0])
      expect(await kv.scan(`${at('scan')}:`)).toEqual(keys.slice(1).sort())
      expect(await kv.scan(`${at('nothing')}:`)).toEqual([])
    })

    it('a TTL makes a key absent once it passes (set, setIfAbsent, increment)', async () => {
      const { kv, at } = fresh()
      const [a, b, c] = [at('ttl-a'), at('ttl-b'), at('ttl-c')]
      await kv.set(a, 'short', { ttlMs: 60 })
      expect(await kv.setIfAbsent(b, 'short', { ttlMs: 60 })).toBe(true)
      expect(await kv.increment(c, 1, { ttlMs: 60 })).toBe(1)
      expect(await kv.get(a)).toBe('short')
      await sleep(150)
      expect(await kv.getMany([a, b, c])).toEqual([undefined, undefined, undefined])
      // Expired is absent for the writes too.
      expect(await kv.setIfAbsent(b, 'again')).toBe(true)
      expect(await kv.increment(c, 1)).toBe(1)
      expect(await kv.compareAndSet(a, undefined, 'new')).toBe(true)
    })
  })
}
