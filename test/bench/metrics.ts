// Metrics bench: every saas-pack metric recomputed over 90 days of history on a 1M-event SaaS set
// (logins, signups, payments of three periods, cancellations over 120 days), per adapter, against
// one Flux `count interval=1d` query over the same 90 days on the same store, in the same run.
//
//   npx tsx test/bench/metrics.ts        (or BENCH_PART=metrics npm run bench)
//
// BENCH_METRIC_EVENTS (default 1000000), BENCH_METRIC_KV_EVENTS (default 100000: kv scans in the
// process, so its set is smaller), BENCH_ONLY (`sqlite`, `postgres`, `redis` or `kv`),
// BENCH_PG_URL, BENCH_REDIS_URL.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import Database from 'better-sqlite3'
import pg from 'pg'
import { createStorage } from 'unstorage'
import { kvStorage } from '../../adapters/kv'
import { postgresStorage } from '../../adapters/postgres'
import { redisStorage } from '../../adapters/redis'
import { sqliteStorage } from '../../adapters/sqlite'
import { createFakeClock } from '../../src/core/clock'
import { uuidv7 } from '../../src/core/ids'
import { runOperation } from '../../src/core/operation'
import { countEvents } from '../../src/events'
import { applyMetricTemplate, metricSet } from '../../src/metrics'
import { addDays, dayRange, dayStart, localDay } from '../../src/metrics/calendar'
import { computeSnapshots } from '../../src/metrics/history'
import type { NewEvent, Storage } from '../../src/storage'
import { bareContext } from '../helpers/context'
import { dropRedisPrefix } from '../helpers/redis'
import { PG_URL, postgresProblem } from './postgres'
import { prng } from './queries/generate'
import { type Loader, postgresBulkLoader, sqliteBulkLoader, storageLoader } from './queries/load'
import { int, median, ms } from './queries/timing'
import { REDIS_URL, redisProblem } from './redis'

const DAY = 86_400_000
const PROJECT_ID = '01940000-0000-7000-8000-000000000e7c'
const TIME_ZONE = 'America/New_York'
/** The data ends here; the bench's clock stands just after it. */
const TO = Date.UTC(2025, 3, 30, 16)
const SPAN_DAYS = 120
const HISTORY_DAYS = 90
const USERS = 20_000
const CHUNK = 5000

/** SaaS events, ascending in time: 90% logins, 4% signups, 5% payments (monthly 70%, quarterly 20%, yearly 10%), 1% cancellations. */
function* saasEvents(total: number): Generator<NewEvent[]> {
  const random = prng(9)
  const from = TO - SPAN_DAYS * DAY
  const step = (SPAN_DAYS * DAY) / total
  let chunk: NewEvent[] = []
  for (let i = 0; i < total; i++) {
    const ts = Math.floor(from + i * step)
    const r = random()
    const user = `u${Math.floor(random() * USERS)}`
    const base = {
      id: uuidv7(ts),
      timestamp: ts,
      receivedAt: ts,
      userId: user,
      userEmail: null,
      userName: null,
      tags: null,
      clientId: null,
    }
    if (r < 0.9) chunk.push({ ...base, name: 'user_login', value: null, properties: null })
    else if (r < 0.94) chunk.push({ ...base, name: 'user_signup', value: null, properties: { plan: 'starter' } })
    else if (r < 0.99) {
      const p = random()
      const period = p < 0.7 ? 'monthly' : p < 0.9 ? 'quarterly' : 'yearly'
      const price = [29, 99, 299][Math.floor(random() * 3)]
      chunk.push({
        ...base,
        name: 'subscription_payment',
        value: price * (period === 'monthly' ? 1 : period === 'quarterly' ? 3 : 12),
        properties: { period, plan: 'pro' },
      })
    } else chunk.push({ ...base, name: 'subscription_cancelled', value: null, properties: null })
    if (chunk.length === CHUNK) {
      yield chunk
      chunk = []
    }
  }
  if (chunk.length > 0) yield chunk
}

interface Target {
  name: string
  events: number
  storage: Storage
  loader: (storage: Storage) => Loader
  settle?: () => Promise<void>
  close(): Promise<void>
}

async function benchOne(target: Target): Promise<void> {
  const { storage } = target
  await storage.migrate()
  await storage.projects.create({
    project: {
      id: PROJECT_ID,
      name: 'Bench',
      slug: `bench-${Date.now().toString(36)}`,
      timezone: TIME_ZONE,
      createdAt: TO - SPAN_DAYS * DAY,
    },
  })
  const loader = target.loader(storage)
  const loadStart = performance.now()
  for (const chunk of saasEvents(target.events)) await loader.load(chunk)
  await target.settle?.()
  const loadS = (performance.now() - loadStart) / 1000
  const clock = createFakeClock(TO + 60_000)
  const ctx = bareContext(storage, clock)
  await runOperation(ctx, applyMetricTemplate, { projectId: PROJECT_ID, template: 'saas' })
  const set = await metricSet(ctx, PROJECT_ID)
  const yesterday = addDays(localDay(clock.now(), TIME_ZONE), -1)
  const days = dayRange(addDays(yesterday, -(HISTORY_DAYS - 1)), yesterday)

  // The baseline: one Flux count of the busiest name per local day over the same 90 days.
  const from = dayStart(days[0], TIME_ZONE)
  const count = () =>
    runOperation(ctx, countEvents, {
      projectId: PROJECT_ID,
      filter: { names: ['user_login'], from, to: clock.now() },
      interval: '1d',
      timeZone: TIME_ZONE,
    })
  const countTimes: number[] = []
  for (let i = 0; i < 7; i++) {
    const start = performance.now()
    await count()
    if (i >= 2) countTimes.push(performance.now() - start)
  }
  const countMs = median(countTimes)

  // Every metric over the 90 days at once, as the history job and a recalculation do it.
  const start = performance.now()
  const written = await computeSnapshots(
    ctx,
    set,
    set.metrics.map((metric) => ({ metric, days })),
  )
  const totalMs = performance.now() - start
  const metricDays = set.metrics.length * days.length
  const perMetricDay = totalMs / metricDays
  console.log(
    `\n${target.name}: ${int(target.events)} events over ${SPAN_DAYS} days loaded in ${loadS.toFixed(1)} s; project zone ${TIME_ZONE}`,
  )
  console.log(`  count user_login interval=1d over the 90 days (Flux count): ${ms(countMs)} (median of 5)`)
  console.log(
    `  saas pack, ${set.metrics.length} metrics x ${days.length} days = ${metricDays} metric-days (${written.length} snapshots written): ${(totalMs / 1000).toFixed(1)} s, ${ms(perMetricDay)} per metric-day = ${(perMetricDay / countMs).toFixed(2)} x one count query; the whole recompute = ${(totalMs / countMs).toFixed(0)} count queries`,
  )
  // Each metric on its own (a fresh evaluator: formulas recompute their inputs).
  const parts: string[] = []
  for (const metric of set.metrics) {
    const t0 = performance.now()
    await computeSnapshots(ctx, set, [{ metric, days }])
    parts.push(`${metric.definition.slug} ${ms((performance.now() - t0) / days.length)}`)
  }
  console.log(`  per metric-day, each metric alone: ${parts.join(', ')}`)
  const mrr = written.find(
    (s) => s.day === yesterday && set.metrics.find((m) => m.definition.id === s.metricId)?.definition.slug === 'mrr',
  )
  console.log(`  mrr on ${yesterday}: ${mrr?.value}`)
}

async function sqliteTarget(events: number): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'telltale-mbench-'))
  const file = join(dir, 'telltale.db')
  const storage = sqliteStorage({ file })
  let db: Database.Database | undefined
  return {
    name: 'SQLite',
    events,
    storage,
    loader: () => {
      db = new Database(file)
      return sqliteBulkLoader(db, PROJECT_ID)
    },
    settle: async () => {
      db?.pragma('wal_checkpoint(TRUNCATE)')
      db?.close()
    },
    close: async () => {
      await storage.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function postgresTarget(events: number): Promise<Target> {
  const schema = `telltale_mbench_${process.pid}_${Date.now().toString(36)}`
  const admin = new pg.Client({ connectionString: PG_URL })
  await admin.connect()
  await admin.query(`create schema "${schema}"`)
  const storage = postgresStorage({ connectionString: PG_URL, schema })
  const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` })
  await client.connect()
  return {
    name: 'Postgres',
    events,
    storage,
    loader: () => postgresBulkLoader(client, PROJECT_ID),
    settle: async () => void (await client.query('vacuum (analyze) telltale_events')),
    close: async () => {
      await client.end()
      await storage.close()
      await admin.query(`drop schema if exists "${schema}" cascade`)
      await admin.end()
    },
  }
}

function redisTarget(events: number): Target {
  const prefix = `tt_mbench_${process.pid}_${Date.now().toString(36)}:`
  const storage = redisStorage({ url: REDIS_URL, prefix })
  return {
    name: 'Redis',
    events,
    storage,
    loader: (s) => storageLoader(s, PROJECT_ID),
    close: async () => {
      await storage.close()
      await dropRedisPrefix(REDIS_URL, prefix)
    },
  }
}

function kvTarget(events: number): Target {
  const storage = kvStorage({ storage: createStorage() })
  return {
    name: 'kv (memory driver)',
    events,
    storage,
    loader: (s) => storageLoader(s, PROJECT_ID),
    close: () => storage.close(),
  }
}

export async function runMetricsBench(): Promise<void> {
  const events = Number(process.env.BENCH_METRIC_EVENTS ?? 1_000_000)
  const kvEvents = Number(process.env.BENCH_METRIC_KV_EVENTS ?? 100_000)
  const only = process.env.BENCH_ONLY
  console.log(
    `telltale metrics bench: the saas pack recomputed over ${HISTORY_DAYS} days of history (the history job's and recalculation's work)`,
  )
  const wanted = (name: string) => !only || only === name
  const targets: Array<() => Promise<Target | string>> = []
  if (wanted('sqlite')) targets.push(() => sqliteTarget(events))
  if (wanted('postgres'))
    targets.push(async () =>
      (await postgresProblem()) ? `Postgres: SKIPPED (${PG_URL} unreachable)` : postgresTarget(events),
    )
  if (wanted('redis'))
    targets.push(async () =>
      (await redisProblem()) ? `Redis: SKIPPED (${REDIS_URL} unreachable)` : redisTarget(events),
    )
  if (wanted('kv')) targets.push(async () => kvTarget(kvEvents))
  for (const make of targets) {
    const target = await make()
    if (typeof target === 'string') {
      console.log(`\n${target}`)
      continue
    }
    try {
      await benchOne(target)
    } finally {
      await target.close()
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runMetricsBench().catch((error) => {
    console.error(error)
    process.exitCode = 1
  })
}
