// claimUnique, releaseUnique, claimHolder and readClaims (src/storage/kv/claims.ts) over a
// backend's primitives: free claims, re-claims, conflicts, the orphan rule on both sides of the
// grace period (an injected clock, no sleeps), releases, the formats earlier versions stored, and
// one winner among concurrent claimers.
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { kvKey } from '../../../src/storage/kv'
import {
  CLAIM_GRACE_MS,
  claimHolder,
  claimUnique,
  claimValue,
  parseClaim,
  RELEASED,
  readClaims,
  releaseUnique,
} from '../../../src/storage/kv/claims'
import type { MakeKv } from './kv-store'

const T0 = 1_700_000_000_000
const GRACE = 1_000

export function claimTests(makeKv: MakeKv) {
  describe('claimUnique', () => {
    const run = randomUUID()
    const fresh = () => ({ kv: makeKv(), key: kvKey('claimtest', run, randomUUID()) })
    /** Options with a clock at `now`; `holders` are the owners whose record holds the value. */
    const at = (now: number, holders: string[] = []) => {
      const asked: string[] = []
      return {
        options: {
          now: () => now,
          graceMs: GRACE,
          holds: async (owner: string) => {
            asked.push(owner)
            return holders.includes(owner)
          },
        },
        asked,
      }
    }

    it('claims a free value, stored as `{at} {owner}`', async () => {
      const { kv, key } = fresh()
      expect(await claimHolder(kv, key)).toBeUndefined()
      expect(await claimUnique(kv, key, 'a', at(T0).options)).toEqual({ holder: 'a', claimed: true })
      expect(await kv.get(key)).toBe(`${T0} a`)
      expect(await claimHolder(kv, key)).toBe('a')
    })

    it('lets the holder claim again, without writing', async () => {
      const { kv, key } = fresh()
      await claimUnique(kv, key, 'a', at(T0).options)
      const late = at(T0 + 10 * GRACE)
      expect(await claimUnique(kv, key, 'a', late.options)).toEqual({ holder: 'a', claimed: false })
      expect(late.asked).toEqual([])
      expect(await kv.get(key)).toBe(`${T0} a`)
    })

    it('refuses another owner and names the holder', async () => {
      const { kv, key } = fresh()
      await claimUnique(kv, key, 'a', at(T0).options)
      const other = at(T0 + 1, ['a'])
      expect(await claimUnique(kv, key, 'b', other.options)).toEqual({ holder: 'a', claimed: false })
      expect(other.asked).toEqual([]) // within the grace period, the holder is not even asked
      expect(await claimHolder(kv, key)).toBe('a')
    })

    it('refuses an orphan (its holder does not hold the value) within the grace period', async () => {
      const { kv, key } = fresh()
      await claimUnique(kv, key, 'a', at(T0).options)
      expect(await claimUnique(kv, key, 'b', at(T0 + GRACE - 1).options)).toEqual({ holder: 'a', claimed: false })
      expect(await kv.get(key)).toBe(`${T0} a`)
    })

    it('takes an orphan over once it is past the grace period, and not a claim its holder holds', async () => {
      const { kv, key } = fresh()
      await claimUnique(kv, key, 'a', at(T0).options)
      const held = at(T0 + GRACE, ['a'])
      expect(await claimUnique(kv, key, 'b', held.options)).toEqual({ holder: 'a', claimed: false })
      expect(held.asked).toEqual(['a'])
      const orphan = at(T0 + GRACE)
      expect(await claimUnique(kv, key, 'b', orphan.options)).toEqual({ holder: 'b', claimed: true })
      expect(await kv.get(key)).toBe(`${T0 + GRACE} b`)
      // The new claim has a grace period of its own.
      expect(await claimUnique(kv, key, 'c', at(T0 + GRACE + 1).options)).toEqual({ holder: 'b', claimed: false })
    })

    it('uses a grace period of a minute by default', async () => {
      const { kv, key } = fresh()
      await kv.set(key, claimValue('a', Date.now() - CLAIM_GRACE_MS + 5_000))
      const holds = async () => false
      expect(await claimUnique(kv, key, 'b', { holds })).toEqual({ holder: 'a', claimed: false })
      await kv.set(key, claimValue('a', Date.now() - CLAIM_GRACE_MS))
      expect(await claimUnique(kv, key, 'b', { holds })).toEqual({ holder: 'b', claimed: true })
    })

    it('releases only for the holder, to the tombstone, which a new claim writes over', async () => {
      const { kv, key } = fresh()
      await claimUnique(kv, key, 'a', at(T0).options)
      expect(await releaseUnique(kv, key, 'b')).toBe(false)
      expect(await claimHolder(kv, key)).toBe('a')
      expect(await releaseUnique(kv, key, 'a')).toBe(true)
      expect(await kv.get(key)).toBe(RELEASED)
      expect(await claimHolder(kv, key)).toBeUndefined()
      expect(await releaseUnique(kv, key, 'a')).toBe(false)
      // Free again at once, whatever the grace period.
      expect(await claimUnique(kv, key, 'b', at(T0 + 1).options)).toEqual({ holder: 'b', claimed: true })
      expect(await releaseUnique(kv, randomUUID(), 'a')).toBe(false) // absent
    })

    it('keeps owners as given: spaces, separators, digits, unicode', async () => {
      for (const owner of ['a b  c', '1700000000000 x', '["x",1]', 'p:1', '123', 'ü 😀', ' ']) {
        const { kv, key } = fresh()
        expect(await claimUnique(kv, key, owner, at(T0).options)).toEqual({ holder: owner, claimed: true })
        expect(await claimHolder(kv, key)).toBe(owner)
        expect(await claimUnique(kv, key, owner, at(T0 + 1).options)).toEqual({ holder: owner, claimed: false })
        expect(await releaseUnique(kv, key, owner)).toBe(true)
      }
    })

    describe('claims stored by earlier versions', () => {
      // Project slugs held the plain id; metric slugs `{at} {id}`; event client ids JSON `[id, at]`.
      const legacy = [
        { format: 'plain id (project slugs)', value: 'p-0190a3b4-old', owner: 'p-0190a3b4-old', at: 0 },
        { format: '`{at} {id}` (metric slugs)', value: `${T0} m-1`, owner: 'm-1', at: T0 },
        { format: 'JSON `[id, at]` (event client ids)', value: JSON.stringify(['e 1', T0]), owner: 'e 1', at: T0 },
      ]

      it('parses every format, and the tombstone as no claim', () => {
        for (const { value, owner, at } of legacy) expect(parseClaim(value)).toEqual({ owner, at })
        expect(parseClaim(RELEASED)).toBeUndefined()
        expect(parseClaim(undefined)).toBeUndefined()
        expect(parseClaim('[not json')).toEqual({ owner: '[not json', at: 0 })
      })

      for (const { format, value, owner, at: claimedAt } of legacy)
        it(`reads, keeps, re-claims, takes over and releases a ${format}`, async () => {
          const { kv, key } = fresh()
          await kv.set(key, value)
          expect(await claimHolder(kv, key)).toBe(owner)
          // A claim with no time is old enough at once; one with a time has its grace period.
          const soon = claimedAt + GRACE - 1
          expect(await claimUnique(kv, key, 'new', at(claimedAt === 0 ? T0 : soon, [owner]).options)).toEqual({
            holder: owner,
            claimed: false,
          })
          if (claimedAt !== 0)
            expect(await claimUnique(kv, key, 'new', at(soon).options)).toEqual({ holder: owner, claimed: false })
          expect(await claimUnique(kv, key, owner, at(T0 * 2).options)).toEqual({ holder: owner, claimed: false })
          expect(await kv.get(key)).toBe(value)
          expect(await claimUnique(kv, key, 'new', at(claimedAt + GRACE).options)).toEqual({
            holder: 'new',
            claimed: true,
          })
          expect(await kv.get(key)).toBe(`${claimedAt + GRACE} new`)

          await kv.set(key, value)
          expect(await releaseUnique(kv, key, 'other')).toBe(false)
          expect(await releaseUnique(kv, key, owner)).toBe(true)
          expect(await claimHolder(kv, key)).toBeUndefined()
        })
    })

    it('lets exactly one of many concurrent claimers of a free value win', async () => {
      const { kv, key } = fresh()
      const owners = Array.from({ length: 20 }, (_, i) => `o${i}`)
      const outcomes = await Promise.all(owners.map((owner) => claimUnique(kv, key, owner, at(T0).options)))
      const winners = outcomes.filter((o) => o.claimed)
      expect(winners).toHaveLength(1)
      expect(outcomes.map((o) => o.holder)).toEqual(owners.map(() => winners[0].holder))
      expect(await claimHolder(kv, key)).toBe(winners[0].holder)
    })

    it('lets exactly one of many concurrent claimers take an orphan over', async () => {
      const { kv, key } = fresh()
      await kv.set(key, claimValue('dead', T0))
      const owners = Array.from({ length: 20 }, (_, i) => `o${i}`)
      const outcomes = await Promise.all(owners.map((owner) => claimUnique(kv, key, owner, at(T0 + GRACE + 1).options)))
      const winners = outcomes.filter((o) => o.claimed)
      expect(winners).toHaveLength(1)
      expect(outcomes.map((o) => o.holder)).toEqual(owners.map(() => winners[0].holder))
      expect(await kv.get(key)).toBe(`${T0 + GRACE + 1} ${winners[0].holder}`)
    })

    it('readClaims judges a batch at once, asking only about claims past the grace period', async () => {
      const kv = makeKv()
      const key = (name: string) => kvKey('claimtest', run, 'batch', name)
      await kv.set(key('released'), RELEASED)
      await kv.set(key('young'), claimValue('y', T0))
      await kv.set(key('held'), claimValue('h', T0 - GRACE))
      await kv.set(key('orphan'), claimValue('o', T0 - GRACE))
      await kv.set(key('legacy'), 'plain')
      await kv.set(key('legacy-held'), JSON.stringify(['j', 1]))
      const names = ['absent', 'released', 'young', 'held', 'orphan', 'legacy', 'legacy-held']
      const asked: string[][] = []
      const states = await readClaims(
        kv,
        names.map((name) => key(name)),
        {
          now: () => T0 + GRACE - 1,
          graceMs: GRACE,
          holdsMany: async (owners) => {
            asked.push(owners)
            return owners.map((owner) => owner === 'h' || owner === 'j')
          },
        },
      )
      expect(asked).toEqual([['h', 'o', 'plain', 'j']])
      expect(states).toEqual([
        { holder: undefined, current: { value: undefined } },
        { holder: undefined, current: { value: RELEASED } },
        { holder: 'y' },
        { holder: 'h' },
        { holder: undefined, current: { value: claimValue('o', T0 - GRACE) } },
        { holder: undefined, current: { value: 'plain' } },
        { holder: 'j' },
      ])
      expect(await readClaims(kv, [], { holdsMany: async () => [] })).toEqual([])

      // A claimable key is then claimed from the value read, without judging it again...
      const claim = (name: string, owner: string, i: number) =>
        claimUnique(kv, key(name), owner, {
          ...at(T0 + GRACE).options,
          current: (states[i] as { current: { value: string | undefined } }).current,
        })
      expect(await claim('orphan', 'new', 4)).toEqual({ holder: 'new', claimed: true })
      expect(await claim('absent', 'new', 0)).toEqual({ holder: 'new', claimed: true })
      // ...and judged as usual when it changed since.
      await kv.set(key('legacy'), claimValue('fast', T0 + GRACE))
      expect(await claim('legacy', 'new', 5)).toEqual({ holder: 'fast', claimed: false })
      await kv.set(key('released'), claimValue('new', T0))
      expect(await claim('released', 'new', 1)).toEqual({ holder: 'new', claimed: false })
    })
  })
}
