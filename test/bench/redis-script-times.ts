// How long Redis is held by each query (issue 16; a script, not a test): loads BENCH_EVENTS events
// (default 200000, test/helpers/scan-workload.ts) under a fresh prefix, then runs each workload
// query once with SLOWLOG recording every command over 200 µs, and prints per query: the commands
// it sent (counted by the client), the median and the longest of those logged, their sum (Redis'
// own time, nearly all of it), the wall time the caller waited, and the longest a PING waited
// meanwhile, sent by another process (the host app) every millisecond; then the load average (the
// box is shared: a busy one stretches every figure). SLOWLOG is not set to log everything because it
// also logs each command a script runs, and logging all of those slows the scripts down.
//
//   npx tsx test/bench/redis-script-times.ts
//
// BENCH_REDIS_URL (default redis://127.0.0.1:6379). Sets slowlog-log-slower-than 200 and a long
// slowlog while it runs and restores both; removes every key of its prefix at the end.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { loadavg } from 'node:os'
import { createInterface } from 'node:readline'
import { Redis } from 'ioredis'
import { redisStorage } from '../../adapters/redis'
import { dropRedisPrefix } from '../helpers/redis'
import { WORKLOAD_QUERIES, workloadEvents } from '../helpers/scan-workload'
import { REDIS_URL } from './redis'

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000)

/** id, time, microseconds, arguments, client address (`?:0` for a command a script ran), client name. */
type SlowEntry = [number, number, number, string[], string, string]

/**
 * A PING every millisecond from a process of its own (its event loop is not this one's, which
 * parses replies and sorts values): `stop` answers the longest a PING waited.
 */
async function hostPings(): Promise<{ stop(): Promise<number> }> {
  const code = `
    const { Redis } = require('ioredis')
    const client = new Redis(process.env.PING_URL)
    let longest = 0
    let running = true
    process.on('SIGTERM', () => { running = false })
    ;(async () => {
      await client.ping()
      console.log('ready')
      while (running) {
        const at = performance.now()
        await client.ping()
        longest = Math.max(longest, performance.now() - at)
        await new Promise((resolve) => setTimeout(resolve, 1))
      }
      console.log(String(longest))
      client.disconnect()
    })()`
  const child = spawn(process.execPath, ['-e', code], {
    env: { ...process.env, PING_URL: REDIS_URL },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  await lines.next() // 'ready'
  return {
    async stop() {
      child.kill('SIGTERM')
      return Number((await lines.next()).value)
    },
  }
}

async function main(): Promise<void> {
  const prefix = `tt_bench_${randomBytes(6).toString('hex')}:`
  const admin = new Redis(REDIS_URL)
  const client = new Redis(REDIS_URL)
  let sent = 0
  const send = client.sendCommand.bind(client)
  client.sendCommand = (command, stream) => {
    sent++
    return send(command, stream)
  }
  const storage = redisStorage({ client, prefix })
  const [, slowerThan] = (await admin.config('GET', 'slowlog-log-slower-than')) as string[]
  const [, maxLen] = (await admin.config('GET', 'slowlog-max-len')) as string[]
  try {
    await storage.migrate()
    const projectId = 'scan-workload'
    const events = workloadEvents(EVENTS)
    const start = performance.now()
    const queue = Array.from({ length: Math.ceil(events.length / 5000) }, (_, i) =>
      events.slice(i * 5000, (i + 1) * 5000),
    )
    const worker = async () => {
      for (let batch = queue.shift(); batch; batch = queue.shift())
        await storage.events.insert({ projectId, events: batch })
    }
    await Promise.all([worker(), worker(), worker(), worker()])
    console.log(`loaded ${EVENTS.toLocaleString('en')} events in ${((performance.now() - start) / 1000).toFixed(1)} s`)

    await admin.config('SET', 'slowlog-log-slower-than', '200')
    await admin.config('SET', 'slowlog-max-len', '1000000')
    console.log(`${'query'.padEnd(54)} calls  median ms  longest ms  redis ms  wall ms  PING ms`)
    for (const query of WORKLOAD_QUERIES) {
      await query.run(storage.events, projectId) // loads the scripts
      await admin.slowlog('RESET')
      sent = 0
      const host = await hostPings()
      const began = performance.now()
      await query.run(storage.events, projectId)
      const wall = performance.now() - began
      const ping = await host.stop()
      // The commands this query sent (a script's own commands are logged too, from client `?:0`).
      const entries = ((await admin.call('SLOWLOG', 'GET', '-1')) as SlowEntry[]).filter(
        (e) => e[4] !== '?:0' && e[3].some((arg) => arg.includes(prefix)),
      )
      const us = entries.map((e) => e[2])
      const longest = us.reduce((m, x) => Math.max(m, x), 0)
      const sorted = [...us].sort((a, b) => a - b)
      const median = sorted.length === 0 ? 0 : sorted[Math.floor(sorted.length / 2)]
      console.log(
        `${query.label.padEnd(54)} ${String(sent).padStart(5)}  ${(median / 1000).toFixed(1).padStart(9)}  ${(longest / 1000).toFixed(1).padStart(10)}  ${(us.reduce((s, x) => s + x, 0) / 1000).toFixed(1).padStart(8)}  ${wall.toFixed(1).padStart(7)}  ${ping.toFixed(1).padStart(7)}`,
      )
    }
    console.log(
      `load average: ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    )
  } finally {
    await admin.config('SET', 'slowlog-log-slower-than', slowerThan)
    await admin.config('SET', 'slowlog-max-len', maxLen)
    await storage.close()
    await client.quit()
    await admin.quit()
    await dropRedisPrefix(REDIS_URL, prefix)
  }
}

await main()
