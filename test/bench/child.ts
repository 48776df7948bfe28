// Parent side of servers.ts: starts one server in its own Node process (its own event loop and,
// on a 2-core machine, in effect its own core) and stops it again.
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** What servers.mjs starts: telltale as a user mounts it, or a hand-written comparison server. */
export type ServerSpec =
  | ({ kind: 'telltale'; apiKey: string; host: 'node' | 'express' } & (
      | { file: string }
      | { connectionString: string; schema: string }
      | { redisUrl: string; prefix: string }
      | { kv: 'memory' }
    ))
  | { kind: 'bare-h3' }
  | { kind: 'express-route'; file: string }
  | { kind: 'sqlite-batch'; file: string }
  | { kind: 'pg-routes'; connectionString: string; schema: string }

/** Plain JavaScript on the built package: no TypeScript loader in the measured process. */
const SERVER_ENTRY = fileURLToPath(new URL('./servers.mjs', import.meta.url))
const START_TIMEOUT_MS = 30_000
const STDERR_LINES = 2000

export interface ServerProcess {
  url: string
  pid: number
  /** Peak resident set size so far (VmHWM), in MiB. */
  peakRssMiB(): number
  /** What the server wrote to stderr (at most `STDERR_LINES` lines). */
  stderr: string[]
  stop(): Promise<void>
}

/** Every child still running, so the parent can stop them on error or Ctrl-C. */
const running = new Set<ChildProcess>()

export async function startServer(spec: ServerSpec, options: { cpuProfDir?: string } = {}): Promise<ServerProcess> {
  const profiling = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : []
  // The IPC channel makes the child exit if this process dies without stopping it.
  const child = spawn(process.execPath, [...profiling, SERVER_ENTRY, JSON.stringify(spec)], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  const stderr: string[] = []
  createInterface({ input: child.stderr! }).on(
    'line',
    (line) => void (stderr.length < STDERR_LINES && stderr.push(line)),
  )
  running.add(child)
  child.once('exit', () => running.delete(child))

  let timer: NodeJS.Timeout | undefined
  const { port, pid } = await new Promise<{ port: number; pid: number }>((resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${spec.kind}: no ready line within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    )
    child.once('exit', (code, signal) =>
      reject(
        new Error(
          `${spec.kind}: exited before listening (code ${code}, signal ${signal})\n${stderr.slice(0, 40).join('\n')}`,
        ),
      ),
    )
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('ready ')) return void process.stderr.write(`[${spec.kind}] ${line}\n`)
      resolve(JSON.parse(line.slice('ready '.length)))
    })
  })
    .catch((error) => {
      child.kill('SIGKILL')
      throw error
    })
    .finally(() => clearTimeout(timer))

  return {
    url: `http://127.0.0.1:${port}`,
    pid,
    peakRssMiB: () => readVmHwmKiB(pid) / 1024,
    stderr,
    stop: () => stop(child),
  }
}

/** Stops every child still running (error paths, Ctrl-C). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map(stop))
}

/** SIGTERM (lets the server close and write its CPU profile), SIGKILL after 10 s. */
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

function readVmHwmKiB(pid: number): number {
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!match) throw new Error(`no VmHWM in /proc/${pid}/status`)
  return Number(match[1])
}
