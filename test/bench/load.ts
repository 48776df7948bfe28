// The load: autocannon's programmatic API, in this process, against a server in another one.
import autocannon from 'autocannon'
import { type CpuUse, cpuBetween, sampleCpu } from './cpu'

export const CONNECTIONS = 50

export interface LoadOptions {
  url: string
  path: string
  /** Bodies sent in turn (each connection cycles through all of them). */
  bodies: string[]
  headers?: Record<string, string>
  durationS: number
  warmupS: number
  /** The server's process, for CPU accounting over the measured run. */
  serverPid: number
}

export interface Measurement {
  /** Completed requests per second over the measured window (warm-up excluded). */
  reqPerSec: number
  p50Ms: number
  p99Ms: number
  non2xx: number
  /** Connection errors and timeouts. */
  errors: number
  cpu: CpuUse
}

/** A warm-up run (discarded), then the measured run, both with the same load. */
export async function measure(options: LoadOptions): Promise<Measurement> {
  if (options.warmupS > 0) await run(options, options.warmupS)
  const before = sampleCpu(options.serverPid)
  const result = await run(options, options.durationS)
  const cpu = cpuBetween(before, sampleCpu(options.serverPid))
  return {
    reqPerSec: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    cpu,
  }
}

function run(options: LoadOptions, durationS: number): Promise<autocannon.Result> {
  const headers = { 'content-type': 'application/json', ...options.headers }
  return autocannon({
    url: options.url,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: durationS,
    timeout: 30,
    // Prebuilt requests, no setupRequest: autocannon serialises each one once and then only
    // replays buffers, so the load generator stays cheap.
    requests: options.bodies.map((body) => ({ method: 'POST', path: options.path, headers, body })),
  })
}

/** One request before the load, so a misconfigured server fails loudly instead of measuring 401s. */
export async function checkOnce(options: LoadOptions): Promise<void> {
  const response = await fetch(options.url + options.path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: options.bodies[0],
  })
  const text = await response.text()
  if (response.status !== 201)
    throw new Error(`POST ${options.path}: expected 201, got ${response.status} ${text.slice(0, 300)}`)
}
