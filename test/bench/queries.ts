// Query bench: 1M events over 30 days in SQLite and in Postgres (real adapters, real migrations),
// then telltale's core query operations against hand-written SQL on the same table, same run; then
// the same events in Redis (loaded through storage.events.insert) and the same operations against
// telltale's own SQLite and Postgres medians.
//
//   npx tsx test/bench/queries.ts          (or runQueryBench() from run.ts)
//
// BENCH_EVENTS (default 1000000), BENCH_LOAD (`bulk` default, or `insert` through
// storage.events.insert), BENCH_RUNS (timed runs per query, default 15), BENCH_WARMUPS (3),
// BENCH_INGEST (events inserted through storage.events.insert at the end to show ingest cost on
// the loaded table, default 100000, 0 skips), BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/test),
// BENCH_ONLY (`sqlite`, `postgres`, or `redis`: Redis and the SQLite run it is compared with),
// BENCH_REDIS_URL (default redis://127.0.0.1:6379; the run writes under a fresh key prefix and
// removes it at the end).

import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import Database from 'better-sqlite3'
import { Redis } from 'ioredis'
import pg from 'pg'
import { postgresStorage } from '../../adapters/postgres'
import { redisStorage } from '../../adapters/redis'
import { sqliteStorage } from '../../adapters/sqlite'
import type { CoreContext } from '../../src/core/context'
import { runOperation } from '../../src/core/operation'
import { countEvents, eventStats, listEvents } from '../../src/events'
import type { Storage } from '../../src/storage'
import { bareContext } from '../helpers/context'
import { dropRedisPrefix } from '../helpers/redis'
import { type Answers, postgresAnswers, type Stats, sqliteAnswers } from './queries/baselines'
import {
  emptyTruth,
  FROM,
  generateEvents,
  NAMES,
  PLANS,
  PROJECT_ID,
  QUERY,
  TO,
  type Truth,
  VALUE,
} from './queries/generate'
import { type Loader, type LoadMode, postgresBulkLoader, sqliteBulkLoader, storageLoader } from './queries/load'
import { int, printHeader, printRow, timeEach } from './queries/timing'
import { REDIS_URL, redisProblem } from './redis'

const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const LOAD_CHUNK = 5000
/** Batch size of the ingest measurement: the Flux batch limit. */
const INGEST_BATCH = 500

interface Settings {
  events: number
  load: LoadMode
  runs: number
  warmups: number
  ingest: number
}

function settings(): Settings {
  const load = (process.env.BENCH_LOAD ?? 'bulk') as LoadMode
  if (load !== 'bulk' && load !== 'insert') throw new Error(`BENCH_LOAD must be bulk or insert, not ${load}`)
  return {
    events: Number(process.env.BENCH_EVENTS ?? 1_000_000),
    load,
    runs: Number(process.env.BENCH_RUNS ?? 15),
    warmups: Number(process.env.BENCH_WARMUPS ?? 3),
    ingest: Number(process.env.BENCH_INGEST ?? 100_000),
  }
}

/** One backend, loaded: telltale on it, and the hand-written answers on a connection of its own. */
interface Backend {
  storage: Storage
  answers: Answers
  /** Runs after the load, before any query (Postgres: VACUUM ANALYZE, as autovacuum would). */
  settle(): Promise<string | undefined>
  /** Size of the events table and its indexes. */
  size(): Promise<string>
}

/** telltale's answers, through the core operations the HTTP layer calls. */
function telltaleAnswers(ctx: CoreContext) {
  const projectId = PROJECT_ID
  const filter = { names: [QUERY.name], from: FROM, to: TO }
  return {
    series: async () => (await runOperation(ctx, countEvents, { projectId, filter, interval: '1d' })).series!,
    groups: async () => {
      const r = await runOperation(ctx, countEvents, { projectId, filter, groupByTag: 'plan' })
      return { total: r.total, groups: r.groups! }
    },
    stats: (): Promise<Stats> => runOperation(ctx, eventStats, { projectId, filter, field: { kind: 'value' } }),
    list: async () => {
      const r = await runOperation(ctx, listEvents, {
        projectId,
        filter: { tags: { plan: QUERY.plan } },
        limit: QUERY.limit,
        offset: 0,
      })
      return { ids: r.events.map((e) => e.id), total: r.total }
    },
  }
}

function check(what: string, actual: unknown, expected: unknown): void {
  const a = JSON.stringify(actual)
  const e = JSON.stringify(expected)
  if (a !== e) throw new Error(`${what}: answers differ\n  got      ${a.slice(0, 400)}\n  expected ${e.slice(0, 400)}`)
}

/** Sum and avg may differ in the last bits (summation order); everything else is exact. */
function checkStats(what: string, s: Stats, truth: Truth): void {
  const close = (a: number | null, b: number) => a !== null && Math.abs(a - b) <= 1e-9 * Math.abs(b)
  const t = truth.stats
  if (!close(s.sum, t.sum) || !close(s.avg, t.sum / t.count))
    throw new Error(`${what}: sum/avg ${s.sum}/${s.avg}, expected ${t.sum}/${t.sum / t.count}`)
  check(
    what,
    { count: s.count, min: s.min, max: s.max, percentiles: s.percentiles },
    { count: t.count, min: t.min, max: t.max, percentiles: t.percentiles },
  )
}

async function load(storage: Storage, loader: Loader, count: number): Promise<{ truth: Truth; seconds: number }> {
  await storage.projects.create({
    project: { id: PROJECT_ID, name: 'Query bench', slug: 'query-bench', timezone: 'UTC', createdAt: FROM },
  })
  const truth = emptyTruth()
  const start = performance.now()
  for (const chunk of generateEvents(count, LOAD_CHUNK, truth)) await loader.load(chunk)
  return { truth, seconds: (performance.now() - start) / 1000 }
}

/** telltale's medians per query on one backend, for the cross-adapter table. */
interface Medians {
  series: number
  groups: number
  stats: number
  list: number
}
const telltaleMedians: Record<string, Medians> = {}

/** Checks telltale's four answers against the generated truth. */
async function checkTelltale(tt: ReturnType<typeof telltaleAnswers>, truth: Truth): Promise<void> {
  check('count interval=1d (telltale)', await tt.series(), truth.series)
  check('count group_by (telltale)', sortGroups(await tt.groups()), truthGroups(truth))
  checkStats('stats (telltale)', await tt.stats(), truth)
  check('list (telltale)', await tt.list(), { ids: truth.listIds, total: truth.listTotal })
}

const sortGroups = (g: { total: number; groups: Record<string, number> }) => ({
  total: g.total,
  groups: Object.fromEntries(Object.entries(g.groups).sort(([a], [b]) => a.localeCompare(b))),
})
const truthGroups = (truth: Truth) =>
  sortGroups({ total: truth.series.reduce((sum, d) => sum + d.count, 0), groups: truth.groups })

async function benchBackend(name: string, backend: Backend, truth: Truth, s: Settings): Promise<boolean[]> {
  const settled = await backend.settle()
  if (settled) console.log(`  ${settled}`)
  console.log(`  size: ${await backend.size()}`)
  const ctx = bareContext(backend.storage)
  const tt = telltaleAnswers(ctx)
  const hw = backend.answers

  // Same answers on both sides, and equal to the ones tallied while generating.
  await checkTelltale(tt, truth)
  check('count interval=1d (hand-written)', await hw.series(), truth.series)
  check('count group_by (hand-written)', sortGroups(await hw.groups()), truthGroups(truth))
  checkStats('stats (hand-written)', await hw.stats(), truth)
  if (hw.statsSql) checkStats('stats (hand-written, SQL only)', await hw.statsSql(), truth)
  check('list (hand-written)', await hw.list(), { ids: truth.listIds, total: truth.listTotal })
  check('list rows (hand-written)', await hw.listRows(), { ids: truth.listIds })
  console.log(
    '  answers: telltale = hand-written = computed from the generated events (series, groups, count/min/max/p50/p95/p99 exact, sum/avg to 1e-9, list ids and total)',
  )

  const pair = async (a: () => Promise<unknown>, b: () => Promise<unknown>) => timeEach([a, b], s.warmups, s.runs)
  printHeader()
  const results: boolean[] = []
  let [t, h] = await pair(tt.series, hw.series)
  results.push(
    printRow({
      label: `count ${QUERY.name} interval=1d, 30 days`,
      telltale: t.median,
      handWritten: h.median,
      target: 1.5,
    }),
  )
  const seriesMedian = t.median
  ;[t, h] = await pair(tt.groups, hw.groups)
  results.push(
    printRow({
      label: `count ${QUERY.name} group_by=tags.plan, 30 days`,
      telltale: t.median,
      handWritten: h.median,
      target: 1.5,
    }),
  )
  const groupsMedian = t.median
  const [ts, hs, hsql] = await timeEach([tt.stats, hw.stats, ...(hw.statsSql ? [hw.statsSql] : [])], s.warmups, s.runs)
  results.push(
    printRow({
      label: `stats ${QUERY.name} value p50/p95/p99, 30 days`,
      telltale: ts.median,
      handWritten: hs.median,
      target: 1.5,
      note: 'exact (rel. error 0)',
    }),
  )
  if (hsql)
    printRow({
      label: '  vs hand-written in SQL only (percentile_disc)',
      telltale: ts.median,
      handWritten: hsql.median,
    })
  const [tl, hl, hr] = await timeEach([tt.list, hw.list, hw.listRows], s.warmups, s.runs)
  results.push(
    printRow({
      label: `list tags[plan]=${QUERY.plan} limit=${QUERY.limit} (+ total)`,
      telltale: tl.median,
      handWritten: hl.median,
      target: 1.5,
    }),
  )
  printRow({ label: `  vs hand-written rows only (cost of total)`, telltale: tl.median, handWritten: hr.median })
  telltaleMedians[name] = { series: seriesMedian, groups: groupsMedian, stats: ts.median, list: tl.median }

  const p = truth.stats.percentiles
  const z = { 50: 0, 95: 1.6448536269514722, 99: 2.3263478740408408 }
  console.log(
    `  ${QUERY.name}: ${int(truth.stats.count)} values, exact p50/p95/p99 ${p[50]} / ${p[95]} / ${p[99]} (lognormal(${VALUE.mu}, ${VALUE.sigma}) quantiles ${QUERY.percentiles.map((q) => Math.exp(VALUE.mu + VALUE.sigma * z[q]).toFixed(2)).join(' / ')}); ${int(truth.listTotal)} events with plan=${QUERY.plan}`,
  )

  if (s.ingest > 0) {
    const extra = emptyTruth()
    const start = performance.now()
    for (const chunk of generateEvents(s.ingest, INGEST_BATCH, extra, 7))
      await backend.storage.events.insert({ projectId: PROJECT_ID, events: chunk })
    const seconds = (performance.now() - start) / 1000
    console.log(
      `  ingest on the loaded table: ${int(s.ingest)} events via storage.events.insert in batches of ${INGEST_BATCH}: ${seconds.toFixed(1)} s (${int(s.ingest / seconds)} events/s)`,
    )
  }
  return results
}

async function benchSqlite(s: Settings): Promise<boolean[]> {
  const dir = mkdtempSync(join(tmpdir(), 'telltale-qbench-'))
  const file = join(dir, 'telltale.db')
  const storage = sqliteStorage({ file })
  // The hand-written side: its own better-sqlite3 connection on the same file, default settings.
  let db: Database.Database | undefined
  try {
    await storage.migrate()
    db = new Database(file)
    const loader = s.load === 'bulk' ? sqliteBulkLoader(db, PROJECT_ID) : storageLoader(storage, PROJECT_ID)
    const { truth, seconds } = await load(storage, loader, s.events)
    console.log(`\nSQLite (${file})`)
    console.log(
      `  load: ${int(s.events)} events in ${seconds.toFixed(1)} s (${int(s.events / seconds)} events/s, ${s.load === 'bulk' ? 'bulk: prepared INSERT, one transaction per 5000' : 'storage.events.insert, 5000 per call'})`,
    )
    const conn = db
    return await benchBackend(
      'sqlite',
      {
        storage,
        answers: sqliteAnswers(conn, PROJECT_ID),
        settle: async () => {
          conn.pragma('wal_checkpoint(TRUNCATE)')
          return undefined
        },
        size: async () => `${(statSync(file).size / 2 ** 20).toFixed(0)} MiB file`,
      },
      truth,
      s,
    )
  } finally {
    db?.close()
    await storage.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function benchPostgres(s: Settings): Promise<boolean[]> {
  const schema = `telltale_qbench_${process.pid}_${Date.now().toString(36)}`
  const admin = new pg.Client({ connectionString: PG_URL })
  await admin.connect()
  await admin.query(`create schema "${schema}"`)
  const storage = postgresStorage({ connectionString: PG_URL, schema })
  const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` })
  try {
    await storage.migrate()
    await client.connect()
    // The load need not survive a crash: no WAL flush wait per statement (~15% faster load).
    await client.query('set synchronous_commit = off')
    const loader = s.load === 'bulk' ? postgresBulkLoader(client, PROJECT_ID) : storageLoader(storage, PROJECT_ID)
    const { truth, seconds } = await load(storage, loader, s.events)
    console.log(`\nPostgres (${PG_URL}, schema ${schema})`)
    console.log(
      `  load: ${int(s.events)} events in ${seconds.toFixed(1)} s (${int(s.events / seconds)} events/s, ${s.load === 'bulk' ? 'bulk: INSERT ... SELECT FROM unnest(arrays), 5000 per statement' : 'storage.events.insert, 5000 per call'})`,
    )
    return await benchBackend(
      'postgres',
      {
        storage,
        answers: postgresAnswers(client, PROJECT_ID),
        settle: async () => {
          const start = performance.now()
          await client.query('vacuum (analyze) telltale_events')
          return `vacuum (analyze) after the load, as autovacuum would: ${((performance.now() - start) / 1000).toFixed(1)} s`
        },
        size: async () => {
          const { rows } = await client.query(
            `select pg_size_pretty(pg_relation_size('telltale_events')) as heap, pg_size_pretty(pg_indexes_size('telltale_events')) as indexes,
               (select string_agg(indexrelid::regclass::text || ' ' || pg_size_pretty(pg_relation_size(indexrelid)), ', ') from pg_index where indrelid = 'telltale_events'::regclass) as each`,
          )
          return `heap ${rows[0].heap}, indexes ${rows[0].indexes} (${rows[0].each})`
        },
      },
      truth,
      s,
    )
  } finally {
    await client.end().catch(() => {})
    await storage.close()
    await admin.query(`drop schema if exists "${schema}" cascade`)
    await admin.end()
  }
}

/**
 * Redis has no hand-written baseline: the same core operations are compared with telltale's own
 * medians on SQLite (and shown beside Postgres'), measured earlier in this run. Counts come from
 * rollups, so the target is to be no slower than SQLite's index scans.
 */
async function benchRedis(s: Settings): Promise<boolean[]> {
  const prefix = `tt_qbench_${process.pid}_${Date.now().toString(36)}:`
  const admin = new Redis(REDIS_URL)
  const storage = redisStorage({ url: REDIS_URL, prefix })
  const memory = async () => {
    const info = await admin.info('memory')
    const field = (name: string) => Number(new RegExp(`${name}:(\\d+)`).exec(info)?.[1] ?? Number.NaN) / 2 ** 20
    return { used: field('used_memory'), rss: field('used_memory_rss'), peak: field('used_memory_peak') }
  }
  try {
    await storage.migrate()
    const before = await memory()
    const { truth, seconds } = await load(storage, storageLoader(storage, PROJECT_ID), s.events)
    const after = await memory()
    console.log(`\nRedis (${REDIS_URL}, prefix ${prefix})`)
    console.log(
      `  load: ${int(s.events)} events in ${seconds.toFixed(1)} s (${int(s.events / seconds)} events/s, storage.events.insert, ${LOAD_CHUNK} per call: one script call each)`,
    )
    console.log(
      `  memory: redis used_memory +${after.used - before.used > 0 ? (after.used - before.used).toFixed(0) : '?'} MiB for these events (${(((after.used - before.used) * 2 ** 20) / s.events).toFixed(0)} B/event); redis-server RSS ${after.rss.toFixed(0)} MiB, peak used ${after.peak.toFixed(0)} MiB; this process peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
    )
    const tt = telltaleAnswers(bareContext(storage))
    await checkTelltale(tt, truth)
    console.log('  answers: equal to the ones computed from the generated events (as on SQLite and Postgres)')
    const [series, groups, stats, list] = await timeEach([tt.series, tt.groups, tt.stats, tt.list], s.warmups, s.runs)
    const sqlite = telltaleMedians.sqlite
    const postgres = telltaleMedians.postgres
    const results: boolean[] = []
    if (!sqlite) {
      console.log(
        `  count interval=1d ${series.median.toFixed(1)} ms, group_by ${groups.median.toFixed(1)} ms, stats ${stats.median.toFixed(1)} ms, list ${list.median.toFixed(1)} ms (no SQLite run to compare with)`,
      )
      return results
    }
    console.log(
      `  ${'query (telltale on Redis vs telltale on SQLite)'.padEnd(46)}${'redis'.padStart(10)}${'sqlite'.padStart(12)}${'ratio'.padStart(9)}`,
    )
    const row = (label: string, redis: number, key: keyof Medians, target?: number) => {
      const pg = postgres ? `  (postgres ${postgres[key].toFixed(1)} ms)` : ''
      return printRow({ label, telltale: redis, handWritten: sqlite[key], target, note: pg })
    }
    results.push(row(`count ${QUERY.name} interval=1d, 30 days`, series.median, 'series', 1.0))
    results.push(row(`count ${QUERY.name} group_by=tags.plan, 30 days`, groups.median, 'groups', 1.0))
    row(`stats ${QUERY.name} value p50/p95/p99, 30 days`, stats.median, 'stats')
    row(`list tags[plan]=${QUERY.plan} limit=${QUERY.limit} (+ total)`, list.median, 'list')
    return results
  } finally {
    await storage.close()
    await dropRedisPrefix(REDIS_URL, prefix)
    await admin.quit()
  }
}

async function postgresProblem(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    await client.query('select 1')
    return undefined
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  } finally {
    await client.end().catch(() => {})
  }
}

export async function runQueryBench(): Promise<void> {
  const s = settings()
  const only = process.env.BENCH_ONLY
  console.log(
    `telltale query bench: ${int(s.events)} events over 30 days (${NAMES.length} names, tags.plan ${PLANS.map((p) => `${p.plan} ${p.weight * 100}%`).join(' / ')}, value lognormal(${VALUE.mu}, ${VALUE.sigma}))`,
  )
  console.log(
    `median of ${s.runs} runs after ${s.warmups} warm-ups, telltale core operations vs hand-written SQL, interleaved; node ${process.version}, ${availableParallelism()} CPUs`,
  )
  console.log(
    'hand SQL: better-sqlite3 prepared statements on a second connection to the file (stats: values plucked and sorted as a Float64Array in JS),',
  )
  console.log(
    '          one pg Client (stats: percentile_disc); each computes what telltale returns (list: rows and total; group_by: total and groups)',
  )
  const results: boolean[] = []
  if (!only || only === 'sqlite' || only === 'redis') results.push(...(await benchSqlite(s)))
  if (!only || only === 'postgres') {
    const problem = await postgresProblem()
    if (problem) console.log(`\nPostgres: SKIPPED (${PG_URL} unreachable: ${problem})`)
    else results.push(...(await benchPostgres(s)))
  }
  if (!only || only === 'redis') {
    const problem = await redisProblem()
    if (problem) console.log(`\nRedis: SKIPPED (${REDIS_URL} unreachable: ${problem})`)
    else results.push(...(await benchRedis(s)))
  }
  console.log(
    `\n${results.filter(Boolean).length}/${results.length} query targets met; peak RSS of this process ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
  )
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runQueryBench().catch((error) => {
    console.error(error)
    process.exitCode = 1
  })
}
