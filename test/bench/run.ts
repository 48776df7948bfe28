// `npm run bench`: telltale's ingest throughput against hand-written servers doing the same
// writes, measured in one run with one load tool. Environment:
//   BENCH_DURATION    seconds per measurement (default 10)
//   BENCH_WARMUP      seconds of warm-up per server (default a quarter of that, 1..3)
//   BENCH_QUIET_WAIT  seconds to wait for other processes to calm down before each measurement
//                     (default 60; 0 turns it off)
//   BENCH_CPU_PROF    a directory: every server runs with --cpu-prof and writes its profile there
//   BENCH_PG_URL      default postgres://postgres@127.0.0.1:5432/test; a throwaway database is
//                     created and dropped there
//   BENCH_REDIS_URL   default redis://127.0.0.1:6379; every run writes under a fresh key prefix
//                     and removes it
//   BENCH_PART        `ingest`, `queries` or `metrics` to run one part only (default all; the
//                     query and metrics benches have their own settings: test/bench/queries.ts,
//                     test/bench/metrics.ts)
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { redisStorage } from '../../adapters/redis'
import { randomBase62 } from '../../src/core/ids'
import { dropRedisPrefix } from '../helpers/redis'
import { batchBodies, singleBodies } from './bodies'
import { type ServerSpec, startServer, stopAll } from './child'
import { waitForQuiet } from './cpu'
import { CONNECTIONS, checkOnce, measure } from './load'
import { runMetricsBench } from './metrics'
import { type BenchDatabase, createBenchDatabase, PG_URL, postgresProblem } from './postgres'
import { runQueryBench } from './queries'
import { REDIS_URL, redisProblem } from './redis'
import { measureRedisBatching } from './redis-storage'
import { BUSY_MACHINE, type Comparison, header, printComparison, printSummary, printTitle, type Side } from './report'

const durationS = Number(process.env.BENCH_DURATION ?? 10)
const warmupS = Number(process.env.BENCH_WARMUP ?? Math.min(3, Math.max(1, durationS / 4)))
const cpuProfDir = process.env.BENCH_CPU_PROF || undefined
const quietWaitS = Number(process.env.BENCH_QUIET_WAIT ?? 60)
const BATCH_SIZE = 100

const tmp = mkdtempSync(join(tmpdir(), 'telltale-bench-'))
/** Created when the Postgres part starts; dropped by `cleanUp`. */
let database: BenchDatabase | undefined
const apiKey = `tt_${randomBase62(43)}`
const bodies = { single: singleBodies(500), batch: batchBodies(50, BATCH_SIZE) }

type Load = 'single' | 'batch'
const PATHS: Record<Load, string> = { single: '/api/events', batch: '/api/events/batch' }

/** Starts `spec` in its own process, loads it, reads its peak RSS, stops it. */
async function measureServer(label: string, spec: ServerSpec, load: Load): Promise<Side> {
  const server = await startServer(spec, { cpuProfDir })
  try {
    const options = {
      url: server.url,
      path: PATHS[load],
      bodies: bodies[load],
      headers: { authorization: `Bearer ${apiKey}` },
      durationS,
      warmupS,
      serverPid: server.pid,
    }
    await checkOnce(options)
    if (quietWaitS > 0) {
      const waited = await waitForQuiet(server.pid, quietWaitS, BUSY_MACHINE)
      if (waited === undefined)
        console.log(`  (${label}: the machine stayed busy for ${quietWaitS} s; measuring anyway)`)
      else if (waited >= 1) console.log(`  (${label}: waited ${waited.toFixed(0)} s for other processes to calm down)`)
    }
    const measurement = await measure(options)
    return {
      label,
      measurement,
      perRequest: load === 'batch' ? BATCH_SIZE : 1,
      peakRssMiB: server.peakRssMiB(),
      stderr: server.stderr,
    }
  } finally {
    await server.stop()
  }
}

const sqliteFile = (name: string) => join(tmp, `${name}.db`)

async function main(): Promise<boolean> {
  if (!existsSync(new URL('../../dist/index.mjs', import.meta.url)))
    throw new Error('dist/ is missing: npm run build (npm run bench builds first)')
  header([
    `telltale ingest bench: autocannon, ${CONNECTIONS} connections, no pipelining, ${durationS} s per measurement after ${warmupS} s warm-up`,
    `node ${process.version}, ${availableParallelism()} CPUs; every server runs in its own process on 127.0.0.1`,
  ])
  const comparisons: Comparison[] = []
  type Run = () => Promise<Side>
  const compare = async (
    c: Omit<Comparison, 'baseline' | 'telltale' | 'references'>,
    baseline: Run,
    telltale: Run,
    ...references: Run[]
  ) => {
    printTitle(c.title)
    const result: Comparison = { ...c, baseline: await baseline(), telltale: await telltale(), references: [] }
    for (const reference of references) result.references.push(await reference())
    comparisons.push(result)
    return {
      title: c.title,
      pass: printComparison(result),
      clean: [result.baseline, result.telltale].every((s) => s.measurement.non2xx === 0 && s.measurement.errors === 0),
    }
  }

  const sqliteTelltale = (name: string, host: 'node' | 'express'): ServerSpec => ({
    kind: 'telltale',
    host,
    file: sqliteFile(name),
    apiKey,
  })
  const results = [
    await compare(
      {
        title: '1. single-event ingest on node:http: telltale (SQLite) vs bare h3 (JSON parse → 201)',
        unit: 'req/s',
        target: 0.5,
      },
      () => measureServer('bare h3 on node:http', { kind: 'bare-h3' }, 'single'),
      () => measureServer('telltale on node:http, SQLite', sqliteTelltale('telltale-node', 'node'), 'single'),
    ),
    await compare(
      {
        title:
          '2. single-event ingest in Express: telltale (SQLite) vs a hand-written route (express.json() + one INSERT)',
        unit: 'req/s',
        target: 1.0,
      },
      () =>
        measureServer(
          'Express route, better-sqlite3',
          { kind: 'express-route', file: sqliteFile('express-route') },
          'single',
        ),
      () => measureServer('telltale in Express, SQLite', sqliteTelltale('telltale-express', 'express'), 'single'),
    ),
    await compare(
      {
        title: `3. batch-${BATCH_SIZE} ingest: telltale in Express (SQLite) vs hand-written better-sqlite3 (one transaction)`,
        unit: 'events/s',
        target: 0.3,
      },
      () => measureServer('better-sqlite3 + h3', { kind: 'sqlite-batch', file: sqliteFile('baseline-batch') }, 'batch'),
      () => measureServer('telltale in Express, SQLite', sqliteTelltale('telltale-batch', 'express'), 'batch'),
    ),
  ]

  const pgDown = await postgresProblem()
  if (pgDown) {
    console.log(`\n4. Postgres: SKIPPED (${PG_URL} unreachable: ${pgDown})`)
  } else {
    database = await createBenchDatabase()
    const db = database
    /** A Postgres server on a schema of its own, dropped as soon as the measurement is done. */
    const onPostgres = (label: string, kind: 'pg-routes' | 'telltale', load: Load) => () =>
      db.withSchema(`${kind.replace('-', '_')}_${load}`, (schema) =>
        measureServer(
          label,
          kind === 'telltale'
            ? { kind, host: 'express', connectionString: db.url, schema, apiKey }
            : { kind, connectionString: db.url, schema },
          load,
        ),
      )
    results.push(
      await compare(
        {
          title: '4a. single-event ingest: telltale in Express on Postgres vs hand-written pg (single-row INSERT)',
          unit: 'req/s',
          target: 0.3,
        },
        onPostgres('pg + h3', 'pg-routes', 'single'),
        onPostgres('telltale in Express, Postgres', 'telltale', 'single'),
      ),
      await compare(
        {
          title: `4b. batch-${BATCH_SIZE} ingest: telltale in Express on Postgres vs hand-written pg (one multi-row INSERT)`,
          unit: 'events/s',
          target: 0.3,
        },
        onPostgres('pg + h3', 'pg-routes', 'batch'),
        onPostgres('telltale in Express, Postgres', 'telltale', 'batch'),
      ),
    )
  }

  const redisDown = await redisProblem()
  if (redisDown) {
    console.log(`\n5. Redis and kv: SKIPPED (${REDIS_URL} unreachable: ${redisDown})`)
  } else {
    const prefix = `tt_bench_${randomBase62(8)}:`
    const onRedis = (load: Load) => () =>
      measureServer(
        'telltale in Express, Redis',
        { kind: 'telltale', host: 'express', redisUrl: REDIS_URL, prefix: `${prefix}${load}:`, apiKey },
        load,
      )
    const onKv = (load: Load) => () =>
      measureServer(
        'telltale in Express, kv (memory)',
        { kind: 'telltale', host: 'express', kv: 'memory', apiKey },
        load,
      )
    const onSqlite = (load: Load) => () =>
      measureServer('telltale in Express, SQLite', sqliteTelltale(`telltale-vs-redis-${load}`, 'express'), load)
    try {
      // Shown for comparison (no target): the adapters side by side, same load, same run.
      await compare(
        {
          title: '5a. single-event ingest through HTTP: telltale on Redis vs on SQLite (ref: kv, memory driver)',
          unit: 'req/s',
        },
        onSqlite('single'),
        onRedis('single'),
        onKv('single'),
      )
      await compare(
        {
          title: `5b. batch-${BATCH_SIZE} ingest through HTTP: telltale on Redis vs on SQLite (ref: kv, memory driver)`,
          unit: 'events/s',
        },
        onSqlite('batch'),
        onRedis('batch'),
        onKv('batch'),
      )
    } finally {
      await dropRedisPrefix(REDIS_URL, prefix)
    }
    results.push(await redisBatching())
  }

  const peak = Math.max(...comparisons.map((c) => c.telltale.peakRssMiB))
  const bare = comparisons[0].baseline.peakRssMiB
  console.log(
    `\npeak RSS of the telltale server process under load: ${peak.toFixed(0)} MiB (VmHWM, highest telltale run above);`,
  )
  console.log(`  the bare h3 server peaked at ${bare.toFixed(0)} MiB. Every server runs plain node on the built dist/.`)
  printSummary(results)
  if (cpuProfDir) console.log(`CPU profiles of every server: ${cpuProfDir}`)
  return results.every((r) => r.clean)
}

/** 5c: Redis batches in one script call against the same writes one call each (in this process). */
async function redisBatching(): Promise<{ title: string; pass: boolean; clean: boolean }> {
  const title =
    '5c. Redis storage: 100-event batches pipelined (one script call each, 4 in flight) vs the same inserts one call per event, each awaited'
  printTitle(title)
  const prefix = `tt_bench_${randomBase62(8)}:`
  const storage = redisStorage({ url: REDIS_URL, prefix })
  try {
    await storage.migrate()
    const { batched, pipelined, single } = await measureRedisBatching(storage)
    const ratio = pipelined / single
    const target = 5
    const rate = (n: number) => `${Math.round(n).toLocaleString('en-US')} events/s`
    console.log(
      `  batches, pipelined (4 in flight)   ${rate(pipelined)}\n  batches, awaited one by one        ${rate(batched)} (${(batched / single).toFixed(2)}× one call per event)`,
    )
    console.log(`  one call per event, one by one     ${rate(single)}`)
    console.log(`  ratio     ${ratio.toFixed(2)} (target ≥ ${target})  ${ratio >= target ? 'PASS' : 'MISS'}`)
    return { title, pass: ratio >= target, clean: true }
  } finally {
    await storage.close()
    await dropRedisPrefix(REDIS_URL, prefix)
  }
}

async function cleanUp(): Promise<void> {
  await stopAll()
  rmSync(tmp, { recursive: true, force: true })
  const dropping = database
  database = undefined // cleanUp runs again after the query bench and on signals
  await dropping?.drop().catch((error) => console.error('could not drop the bench database:', error))
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the servers`)
    void cleanUp().finally(() => process.exit(130))
  })
}

const part = process.env.BENCH_PART
let clean = false
try {
  clean = part === 'queries' || part === 'metrics' ? true : await main()
  if (part === undefined || part === 'queries') {
    await cleanUp()
    await runQueryBench()
  }
  if (part === undefined || part === 'metrics') {
    await cleanUp()
    await runMetricsBench()
  }
} catch (error) {
  console.error(error)
} finally {
  await cleanUp()
}
// Misses are results; failed requests or errors make the run itself invalid.
process.exit(clean ? 0 : 1)
