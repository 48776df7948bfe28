// Redis storage bench (a script, not a test): ingest batched against one call per event, then the
// core queries over BENCH_EVENTS events (default 200000) spread over 30 days, and Redis memory.
//
//   npx tsx test/bench/redis-storage.ts
//
// BENCH_REDIS_URL (default redis://127.0.0.1:6379), BENCH_EVENTS, BENCH_RUNS (timed runs per query,
// default 5). Writes under a fresh `tt_bench_<hex>:` prefix and removes every key of it at the end.
import { randomBytes, randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { Redis } from 'ioredis'
import { redisStorage } from '../../adapters/redis'
import type { NewEvent, Storage } from '../../src/storage'
import { mulberry32 } from '../helpers/prng'
import { dropRedisPrefix } from '../helpers/redis'

const URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'
const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000)
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const DAY = 86_400_000
const TO = Date.UTC(2024, 5, 1)
const FROM = TO - 30 * DAY
const NAMES = ['page.view', 'checkout', 'signup', 'api.request']
const PLANS = ['free', 'pro', 'team']
const COUNTRIES = ['de', 'fr', 'us', 'jp', 'br']

const next = mulberry32(7)
const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)]
const newEvent = (timestamp: number): NewEvent => ({
  id: randomUUID(),
  name: pick(NAMES),
  timestamp,
  receivedAt: timestamp + 5,
  userId: `u${Math.floor(next() * 1000)}`,
  userEmail: null,
  userName: null,
  value: Math.round(next() * 100_000) / 100,
  properties: { ms: Math.floor(next() * 500) },
  tags: { plan: pick(PLANS), country: pick(COUNTRIES) },
  clientId: null,
})

async function usedMemory(client: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await client.info('memory'))![1])
}

async function time<T>(label: string, run: () => Promise<T>, describe: (result: T) => string): Promise<void> {
  const result = await run() // warm-up (loads the script)
  const ms: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now()
    await run()
    ms.push(performance.now() - start)
  }
  ms.sort((a, b) => a - b)
  console.log(
    `  ${label.padEnd(52)} median ${ms[Math.floor(ms.length / 2)].toFixed(1).padStart(8)} ms  (min ${ms[0].toFixed(1)})  ${describe(result)}`,
  )
}

/**
 * Events/s of 100-event batches (one insert call, one script call each), awaited one by one and
 * pipelined (4 calls in flight on the one connection, as concurrent requests of a server send
 * them), against the same kind of events inserted one call per event, awaited one by one: what
 * batching and pipelining buy. Timestamps one second apart, as a live batch has them.
 */
export async function measureRedisBatching(
  storage: Storage,
  batches = 200,
): Promise<{ batched: number; pipelined: number; single: number; batchedEvents: number; singleEvents: number }> {
  const batchesOf = () =>
    Array.from({ length: batches }, (_, b) =>
      Array.from({ length: 100 }, (_, i) => newEvent(FROM + (b * 100 + i) * 1000)),
    )
  const rate = async (events: number, run: () => Promise<void>) => {
    const start = performance.now()
    await run()
    return events / ((performance.now() - start) / 1000)
  }
  const sequential = batchesOf()
  const batched = await rate(batches * 100, async () => {
    for (const events of sequential) await storage.events.insert({ projectId: 'ingest-batched', events })
  })
  const queue = batchesOf()
  const pipelined = await rate(batches * 100, async () => {
    const worker = async () => {
      for (let events = queue.shift(); events; events = queue.shift())
        await storage.events.insert({ projectId: 'ingest-pipelined', events })
    }
    await Promise.all([worker(), worker(), worker(), worker()])
  })
  const singles = Array.from({ length: batches * 10 }, (_, i) => newEvent(FROM + i * 1000))
  const single = await rate(singles.length, async () => {
    for (const e of singles) await storage.events.insert({ projectId: 'ingest-single', events: [e] })
  })
  return { batched, pipelined, single, batchedEvents: batches * 100, singleEvents: singles.length }
}

async function main(): Promise<void> {
  const prefix = `tt_bench_${randomBytes(6).toString('hex')}:`
  const admin = new Redis(URL)
  const storage = redisStorage({ url: URL, prefix })
  try {
    await storage.migrate()
    const memoryBefore = await usedMemory(admin)

    // (1) Ingest: 100-event batches (one script call each) against one insert per event, each awaited.
    const ingest = await measureRedisBatching(storage)
    console.log(`ingest (${URL}):`)
    console.log(`  100-event batches, awaited one by one:  ${Math.round(ingest.batched).toLocaleString('en')} events/s`)
    console.log(
      `  100-event batches, 4 calls in flight:    ${Math.round(ingest.pipelined).toLocaleString('en')} events/s`,
    )
    console.log(`  one insert call per event, awaited:      ${Math.round(ingest.single).toLocaleString('en')} events/s`)
    console.log(
      `  ratio: ${(ingest.pipelined / ingest.single).toFixed(1)}x pipelined, ${(ingest.batched / ingest.single).toFixed(1)}x awaited one by one`,
    )
    const batched = { length: ingest.batchedEvents }
    const single = { length: ingest.singleEvents }

    // (2) Queries over EVENTS events in 30 days, loaded in 1000-event batches, 4 calls in flight.
    const projectId = 'queries'
    const start = performance.now()
    const chunk = 1000
    let loaded = 0
    const load = async () => {
      while (loaded < EVENTS) {
        const n = Math.min(chunk, EVENTS - loaded)
        loaded += n
        await storage.events.insert({
          projectId,
          events: Array.from({ length: n }, () => newEvent(FROM + Math.floor(next() * 30 * DAY))),
        })
      }
    }
    await Promise.all([load(), load(), load(), load()])
    console.log(
      `loaded ${EVENTS.toLocaleString('en')} events over 30 days in ${((performance.now() - start) / 1000).toFixed(1)} s; medians of ${RUNS} runs:`,
    )
    const range = { from: FROM, to: TO }
    await time(
      'countSeries 1d over 30 days (all names)',
      () => storage.events.countSeries({ projectId, filter: range, bucketMs: DAY }),
      (r) => `${r.length} buckets`,
    )
    await time(
      'countSeries 1d over 30 days, one name',
      () => storage.events.countSeries({ projectId, filter: { ...range, names: ['checkout'] }, bucketMs: DAY }),
      (r) => `${r.length} buckets`,
    )
    await time(
      'countSeries 1h, range not hour-aligned (edges scanned)',
      () =>
        storage.events.countSeries({ projectId, filter: { from: FROM + 1234, to: TO - 1234 }, bucketMs: 3_600_000 }),
      (r) => `${r.length} buckets`,
    )
    await time(
      'count, name prefix + one tag, 30 days',
      () => storage.events.count({ projectId, filter: { ...range, namePrefix: 'page.', tags: { plan: 'pro' } } }),
      (r) => `${r}`,
    )
    await time(
      'countByTag country, 30 days',
      () => storage.events.countByTag({ projectId, filter: range, tagKey: 'country' }),
      (r) => r.map((x) => `${x.value}=${x.count}`).join(' '),
    )
    await time(
      'summarize value p50/p95/p99, 30 days, all events',
      () => storage.events.summarize({ projectId, filter: range, field: { kind: 'value' }, percentiles: [50, 95, 99] }),
      (r) => `n=${r.count} p95=${r.percentiles[95]}`,
    )
    await time(
      'summarize value, one name, 30 days',
      () =>
        storage.events.summarize({
          projectId,
          filter: { ...range, names: ['checkout'] },
          field: { kind: 'value' },
          percentiles: [50, 95, 99],
        }),
      (r) => `n=${r.count}`,
    )
    await time(
      'list tag plan=pro, limit 50 with total (rollup total)',
      () => storage.events.list({ projectId, filter: { ...range, tags: { plan: 'pro' } }, limit: 50, offset: 0 }),
      (r) => `total=${r.total}`,
    )
    await time(
      'list userId + 2 tags, limit 50 with total (full scan)',
      () =>
        storage.events.list({
          projectId,
          filter: { ...range, userId: 'u7', tags: { plan: 'pro', country: 'de' } },
          limit: 50,
          offset: 0,
        }),
      (r) => `total=${r.total}`,
    )
    await time(
      'list one name, limit 50 with total (no scan)',
      () => storage.events.list({ projectId, filter: { ...range, names: ['checkout'] }, limit: 50, offset: 0 }),
      (r) => `total=${r.total}`,
    )

    // (3) Memory.
    const memoryAfter = await usedMemory(admin)
    const total = EVENTS + batched.length + single.length
    console.log(
      `redis used_memory: ${(memoryAfter / 2 ** 20).toFixed(1)} MiB (+${((memoryAfter - memoryBefore) / 2 ** 20).toFixed(1)} MiB for ${total.toLocaleString('en')} events, ~${Math.round((memoryAfter - memoryBefore) / total)} B/event)`,
    )
  } finally {
    await storage.close()
    await admin.quit()
    const removed = await dropRedisPrefix(URL, prefix)
    console.log(`removed ${removed} keys under ${prefix}`)
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
