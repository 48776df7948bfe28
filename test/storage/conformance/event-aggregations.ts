// Event aggregations: count series, counts by tag, numeric summaries with percentiles.
import { beforeAll, describe, expect, it } from 'vitest'
import type { NumericSummary } from '../../../src/storage'
import { mulberry32 as random } from '../../helpers/prng'
import { event, type MakeStorage, nearestRank, seedTwoTenants, shuffle, sum, T0, useStorage } from './helpers'

export function aggregationTests(makeStorage: MakeStorage) {
  describe('events aggregations', () => {
    const store = useStorage(makeStorage)

    describe('countSeries', () => {
      /** Expected series, computed from the inserted timestamps. */
      function series(timestamps: number[], bucketMs: number) {
        const counts = new Map<number, number>()
        for (const ts of timestamps) {
          const start = Math.floor(ts / bucketMs) * bucketMs
          counts.set(start, (counts.get(start) ?? 0) + 1)
        }
        return [...counts].sort(([x], [y]) => x - y).map(([start, count]) => ({ start, count }))
      }

      const next = random(42)
      const base = Date.UTC(2024, 2, 10, 13, 2, 17, 123) // deliberately not aligned to any bucket
      const events = Array.from({ length: 80 }, (_, i) =>
        event(i % 3 === 0 ? 'page.view' : 'click', base + Math.floor(next() * 86_400_000)),
      )
      let projectId = ''
      beforeAll(async () => {
        projectId = (await seedTwoTenants(store(), events)).a
      })

      it('counts per bucket aligned to multiples of bucketMs since the epoch, non-empty only, ascending', async () => {
        for (const bucketMs of [7 * 60_000, 3_600_000, 86_400_000]) {
          const result = await store().events.countSeries({ projectId, filter: {}, bucketMs })
          expect(result).toEqual(
            series(
              events.map((e) => e.timestamp),
              bucketMs,
            ),
          )
          for (const { start } of result) expect(start % bucketMs).toBe(0)
        }
      })

      it('applies the filter, and a range start does not shift the buckets', async () => {
        const from = base + 5 * 3_600_000 + 1234
        const filter = { names: ['page.view'], from }
        const expected = series(
          events.filter((e) => e.name === 'page.view' && e.timestamp >= from).map((e) => e.timestamp),
          3_600_000,
        )
        expect(expected.length).toBeGreaterThan(1)
        expect(await store().events.countSeries({ projectId, filter, bucketMs: 3_600_000 })).toEqual(expected)
      })

      it('returns no buckets for no events', async () => {
        expect(
          await store().events.countSeries({ projectId, filter: { names: ['missing'] }, bucketMs: 60_000 }),
        ).toEqual([])
      })
    })

    describe('countByTag', () => {
      let projectId = ''
      beforeAll(async () => {
        const checkout = (tags: Record<string, string> | null) => event('checkout', T0, { tags })
        projectId = (
          await seedTwoTenants(store(), [
            checkout({ plan: 'pro', 'geo.country': 'de' }),
            checkout({ plan: 'free', 'geo.country': 'de' }),
            checkout({ plan: 'enterprise' }),
            checkout({ plan: 'pro', 'geo.country': 'fr' }),
            checkout({ plan: 'free' }),
            checkout({ plan: 'pro', 'geo.country': 'de' }),
            checkout({ plan: 'pro' }),
            checkout({ other: 'x' }),
            checkout(null),
            event('signup', T0, { tags: { plan: 'free' } }),
          ])
        ).a
      })

      it('counts per tag value, largest first, skipping events without the tag', async () => {
        expect(await store().events.countByTag({ projectId, filter: {}, tagKey: 'plan' })).toEqual([
          { value: 'pro', count: 4 },
          { value: 'free', count: 3 },
          { value: 'enterprise', count: 1 },
        ])
        expect(await store().events.countByTag({ projectId, filter: {}, tagKey: 'geo.country' })).toEqual([
          { value: 'de', count: 3 },
          { value: 'fr', count: 1 },
        ])
      })

      it('applies the filter', async () => {
        expect(
          await store().events.countByTag({
            projectId,
            filter: { names: ['checkout'], tags: { 'geo.country': 'de' } },
            tagKey: 'plan',
          }),
        ).toEqual([
          { value: 'pro', count: 2 },
          { value: 'free', count: 1 },
        ])
        expect(await store().events.countByTag({ projectId, filter: {}, tagKey: 'missing' })).toEqual([])
      })
    })

    describe('summarize', () => {
      const percentiles = [0.1, 1, 7, 14, 25, 28, 50, 55, 56, 90, 95, 99, 99.9, 100]

      /** The summary computed here from the values themselves. */
      function expectSummaryOf(summary: NumericSummary, values: number[]) {
        expect(summary.count).toBe(values.length)
        expect(summary.sum).toBeCloseTo(sum(values), 6)
        expect(summary.avg).toBeCloseTo(sum(values) / values.length, 6)
        expect(summary.min).toBe(Math.min(...values))
        expect(summary.max).toBe(Math.max(...values))
        expect(summary.percentiles).toEqual(Object.fromEntries(percentiles.map((p) => [p, nearestRank(values, p)])))
      }

      async function summarizeValues(values: Array<number | null>) {
        const { a } = await seedTwoTenants(
          store(),
          values.map((value, i) => event('measure', T0 + i, { value })),
        )
        return store().events.summarize({ projectId: a, filter: {}, field: { kind: 'value' }, percentiles })
      }

      it('summarizes the values 1..100 (nearest rank)', async () => {
        const values = Array.from({ length: 100 }, (_, i) => i + 1)
        const summary = await summarizeValues(shuffle(values))
        expect(summary).toMatchObject({ count: 100, sum: 5050, avg: 50.5, min: 1, max: 100 })
        expect(summary.percentiles).toMatchObject({ 1: 1, 7: 7, 14: 14, 50: 50, 55: 55, 95: 95, 99: 99, 100: 100 })
        expectSummaryOf(summary, values)
      })

      it('summarizes a random set of floats, skipping events without a value', async () => {
        const next = random(1234)
        const values = Array.from({ length: 173 }, () => Math.round((next() * 2000 - 500) * 1000) / 1000)
        const withGaps = values.flatMap((v, i) => (i % 10 === 0 ? [v, null] : [v]))
        expectSummaryOf(await summarizeValues(withGaps), values)
      })

      it('summarizes 1000 values with repeats', async () => {
        const next = random(99)
        const values = Array.from({ length: 1000 }, () => Math.floor(next() * 50))
        expectSummaryOf(await summarizeValues(values), values)
      })

      it('reads a numeric property, skipping rows where it is not a number', async () => {
        const withProps = (properties: Record<string, unknown> | null) =>
          event('request', T0, { properties, value: 1000 })
        const { a } = await seedTwoTenants(store(), [
          withProps({ ms: 12 }),
          withProps({ ms: 7.5, 'load.ms': 3 }),
          withProps({ ms: 30.25 }),
          withProps({ ms: '13' }),
          withProps({ ms: null }),
          withProps({ ms: true }),
          withProps({ ms: { value: 1 } }),
          withProps({ ms: [1] }),
          withProps({ other: 1 }),
          withProps(null),
          withProps({ 'load.ms': 5 }),
        ])
        const summarize = (key: string) =>
          store().events.summarize({
            projectId: a,
            filter: {},
            field: { kind: 'property', key },
            percentiles: [50, 100],
          })
        expect(await summarize('ms')).toEqual({
          count: 3,
          sum: 49.75,
          avg: 49.75 / 3,
          min: 7.5,
          max: 30.25,
          percentiles: { 50: 12, 100: 30.25 },
        })
        expect(await summarize('load.ms')).toEqual({
          count: 2,
          sum: 8,
          avg: 4,
          min: 3,
          max: 5,
          percentiles: { 50: 3, 100: 5 },
        })
      })

      it('applies the filter', async () => {
        const { a } = await seedTwoTenants(store(), [
          event('latency', T0, { value: 10, tags: { region: 'eu' } }),
          event('latency', T0 + 1, { value: 20, tags: { region: 'us' } }),
          event('latency', T0 + 2, { value: 40, tags: { region: 'eu' } }),
          event('other', T0 + 3, { value: 1000, tags: { region: 'eu' } }),
        ])
        const summary = await store().events.summarize({
          projectId: a,
          filter: { names: ['latency'], tags: { region: 'eu' } },
          field: { kind: 'value' },
          percentiles: [50],
        })
        expect(summary).toEqual({ count: 2, sum: 50, avg: 25, min: 10, max: 40, percentiles: { 50: 10 } })
      })

      it('reports sums beyond the double range as null, everything else exactly', async () => {
        for (const [values, expected] of [
          [[1e308, 1e308], { sum: null, avg: 1e308 }],
          [[-1e308, -1e308, 5], { sum: null }],
          [[1e308, -1e308, 1e308], { sum: 1e308 }],
          [[1e200, 1e200, 1e200], { sum: 3e200, avg: 1e200 }],
        ] as Array<[number[], Partial<NumericSummary>]>) {
          const summary = await summarizeValues(values)
          expect(summary).toMatchObject({
            count: values.length,
            min: Math.min(...values),
            max: Math.max(...values),
            ...expected,
          })
          expect(summary.percentiles[50]).toBe(nearestRank(values, 50))
          if (expected.avg === undefined && summary.avg !== null) expect(Number.isFinite(summary.avg)).toBe(true)
          if (expected.sum !== null) expect(summary.sum).toBeCloseTo(expected.sum!, -190)
        }
      })

      it('sums 64-bit integer properties without overflowing', async () => {
        const big = 4611686018427387904 // 2^62: two of them overflow a signed 64-bit integer
        const { a } = await seedTwoTenants(store(), [
          event('n', T0, { properties: { n: big } }),
          event('n', T0, { properties: { n: big } }),
          event('n', T0, { properties: { n: 9007199254740993 } }),
        ])
        const summary = await store().events.summarize({
          projectId: a,
          filter: {},
          field: { kind: 'property', key: 'n' },
          percentiles: [100],
        })
        expect(summary).toMatchObject({ count: 3, min: 9007199254740992, max: big, percentiles: { 100: big } })
        expect(summary.sum).toBeCloseTo(2 * big + 9007199254740992, -4)
      })

      it('reads property and tag keys with any characters, and answers "absent" for keys no row can have', async () => {
        const keys = [
          'a.b',
          'with space',
          'quote"d',
          'back\\slash',
          "it's",
          '__proto__',
          '$',
          '[0]',
          'ü😀',
          'tab\there',
          'line\nbreak',
          '',
        ]
        const properties = Object.fromEntries(keys.map((key, i) => [key, i + 1]))
        const tags = Object.fromEntries(keys.map((key, i) => [key, `v${i}`]))
        const { a } = await seedTwoTenants(store(), [
          event('k', T0, { properties, tags }),
          event('k', T0 + 1, { properties: { other: 1 }, tags: { other: 'x' } }),
        ])
        for (const [i, key] of keys.entries()) {
          const summary = await store().events.summarize({
            projectId: a,
            filter: {},
            field: { kind: 'property', key },
            percentiles: [50],
          })
          expect(summary, key).toMatchObject({ count: 1, sum: i + 1 })
          expect(await store().events.count({ projectId: a, filter: { tags: { [key]: `v${i}` } } }), key).toBe(1)
          expect(await store().events.countByTag({ projectId: a, filter: {}, tagKey: key }), key).toEqual([
            { value: `v${i}`, count: 1 },
          ])
        }
        const nul = 'a\u0000b'
        expect(
          await store().events.summarize({
            projectId: a,
            filter: {},
            field: { kind: 'property', key: nul },
            percentiles: [50],
          }),
        ).toMatchObject({ count: 0, sum: null })
        expect(await store().events.count({ projectId: a, filter: { tags: { [nul]: 'x' } } })).toBe(0)
        expect(await store().events.countByTag({ projectId: a, filter: {}, tagKey: nul })).toEqual([])
      })

      it('gives count 0 and nulls for an empty set', async () => {
        const { a } = await seedTwoTenants(store(), [event('measure', T0)])
        const summary = await store().events.summarize({
          projectId: a,
          filter: {},
          field: { kind: 'value' },
          percentiles: [50, 95],
        })
        expect(summary).toEqual({
          count: 0,
          sum: null,
          avg: null,
          min: null,
          max: null,
          percentiles: { 50: null, 95: null },
        })
        const none = await store().events.summarize({
          projectId: a,
          filter: { names: ['missing'] },
          field: { kind: 'property', key: 'ms' },
          percentiles: [],
        })
        expect(none).toEqual({ count: 0, sum: null, avg: null, min: null, max: null, percentiles: {} })
      })
    })
  })
}
