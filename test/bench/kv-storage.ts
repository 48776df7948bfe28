// kv adapter bench: events over 30 days into kvStorage on unstorage's memory and fs drivers, then
// the event queries. Not a test: prints a table.
//
//   npx tsx test/bench/kv-storage.ts
//
// KV_BENCH_SIZES (default `10000,100000`), KV_BENCH_DRIVERS (default `memory,fs`),
// KV_BENCH_FS_MAX (largest size run on fs, default 100000).
//
// Each query is timed three ways: `first` is the first query of a process (reads and parses every
// event), `after write` follows a one-event insert (lists the keys again, reads only the new
// event), `cached` repeats it with nothing written (one get of the project's token).
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createStorage, type Storage as Unstorage } from 'unstorage'
import fsDriver from 'unstorage/drivers/fs'
import { kvStorage } from '../../adapters/kv'
import type { NewEvent, Storage } from '../../src/storage'

const sizes = (process.env.KV_BENCH_SIZES ?? '10000,100000').split(',').map(Number)
const drivers = (process.env.KV_BENCH_DRIVERS ?? 'memory,fs').split(',')
const fsMax = Number(process.env.KV_BENCH_FS_MAX ?? 100_000)
const DAY = 86_400_000
const TO = Date.UTC(2024, 5, 1)
const FROM = TO - 30 * DAY
const BATCH = 100

let seed = 42
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
  return seed / 2 ** 31
}
const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]

function makeEvent(): NewEvent {
  const timestamp = FROM + Math.floor(random() * 30 * DAY)
  return {
    id: randomUUID(),
    name: pick(['page.view', 'page.view', 'click', 'signup', 'purchase']),
    timestamp,
    receivedAt: timestamp + 5,
    userId: `u-${Math.floor(random() * 500)}`,
    userEmail: null,
    userName: null,
    value: Math.round(random() * 100_000) / 100,
    properties: { path: pick(['/', '/pricing', '/docs', '/blog']), ms: Math.floor(random() * 900) },
    tags: { plan: pick(['free', 'pro', 'enterprise']), country: pick(['de', 'fr', 'us', 'jp', 'br']) },
    clientId: random() < 0.5 ? randomUUID() : null,
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
async function time(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now()
  await work()
  return performance.now() - start
}
const ms = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(0))

const queries: Array<[string, (s: Storage, p: string) => Promise<unknown>]> = [
  ['count', (s, projectId) => s.events.count({ projectId, filter: {} })],
  ['count, tag filter', (s, projectId) => s.events.count({ projectId, filter: { tags: { plan: 'pro' } } })],
  [
    'countSeries 1d, 30 days',
    (s, projectId) => s.events.countSeries({ projectId, filter: { from: FROM, to: TO }, bucketMs: DAY }),
  ],
  ['countByTag', (s, projectId) => s.events.countByTag({ projectId, filter: {}, tagKey: 'country' })],
  [
    'summarize (p50/p95/p99)',
    (s, projectId) =>
      s.events.summarize({
        projectId,
        filter: { names: ['purchase'] },
        field: { kind: 'value' },
        percentiles: [50, 95, 99],
      }),
  ],
  ['list 50, with total', (s, projectId) => s.events.list({ projectId, filter: {}, limit: 50, offset: 0 })],
]

async function run(driver: string, size: number) {
  const dir = driver === 'fs' ? mkdtempSync(join(tmpdir(), 'telltale-kv-bench-')) : undefined
  const open = (): Unstorage => (dir ? createStorage({ driver: fsDriver({ base: dir }) }) : createStorage())
  try {
    let unstorage = open()
    let storage = kvStorage({ storage: unstorage })
    await storage.migrate()
    const projectId = randomUUID()
    await storage.projects.create({
      project: { id: projectId, name: 'Bench', slug: `bench-${projectId}`, timezone: 'UTC', createdAt: FROM },
    })

    const batches: number[] = []
    for (let i = 0; i < size; i += BATCH) {
      const events = Array.from({ length: Math.min(BATCH, size - i) }, makeEvent)
      batches.push(await time(() => storage.events.insert({ projectId, events })))
    }
    const insertTotal = batches.reduce((a, b) => a + b, 0)
    console.log(
      `\n${driver}, ${size} events: insert ${ms(median(batches))} ms per ${BATCH}-event batch (median; ${Math.round((size / insertTotal) * 1000)} events/s)`,
    )

    // A new process's first query: a new Storage object (fs) has no cache; memory keeps its one object.
    if (dir) {
      unstorage = open()
      storage = kvStorage({ storage: unstorage })
    }
    const first = await time(() => queries[0][1](storage, projectId))
    console.log(`  first query (reads and parses every event): ${ms(first)} ms`)
    console.log(`  ${'query'.padEnd(26)} ${'after write'.padStart(12)} ${'cached'.padStart(10)}  (ms, median)`)
    for (const [name, query] of queries) {
      const afterWrite: number[] = []
      const cached: number[] = []
      for (let r = 0; r < 5; r++) {
        await storage.events.insert({ projectId, events: [makeEvent()] })
        afterWrite.push(await time(() => query(storage, projectId)))
        cached.push(await time(() => query(storage, projectId)))
      }
      console.log(`  ${name.padEnd(26)} ${ms(median(afterWrite)).padStart(12)} ${ms(median(cached)).padStart(10)}`)
    }
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true })
  }
}

for (const driver of drivers)
  for (const size of sizes) {
    if (driver === 'fs' && size > fsMax) {
      console.log(`\nfs, ${size} events: skipped (KV_BENCH_FS_MAX=${fsMax})`)
      continue
    }
    await run(driver, size)
  }
