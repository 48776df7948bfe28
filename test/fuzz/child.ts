// Parent side of server.ts: starts the fuzz target in its own process, sends requests to it with a
// deadline, kills and replaces it when it hangs or dies, and reads its side channel.

import { type ChildProcess, spawn } from 'node:child_process'
import http from 'node:http'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { StoredEvent } from '../../src/storage'
import type { Fingerprint } from '../helpers/fingerprint'
import type { FuzzRequest } from './gen'
import type { ReadyLine, ServerSpec } from './server'

const SERVER_ENTRY = fileURLToPath(new URL('./server.ts', import.meta.url))
const START_TIMEOUT_MS = 30_000
const STDERR_LINES = 400
/** A request unanswered this long makes the parent ping the server's event loop. */
const PROBE_AFTER_MS = 500
/** A ping unanswered this long means the event loop is blocked: the request hangs the server (generous: the box may be busy). */
const PING_TIMEOUT_MS = 1500

export type Outcome =
  | { kind: 'reply'; status: number; headers: http.IncomingHttpHeaders; body: string; ms: number }
  | {
      kind: 'timeout'
      ms: number /** The event loop stopped answering pings (rather than the request being slow). */
      blocked: boolean
    }
  | { kind: 'network'; error: string; ms: number }

/** An event as the side channel returns it: the store's own record, as JSON. */
export type SideEvent = StoredEvent

export interface StoreState {
  /** The fuzz project's records and the global ones. */
  fuzz: Fingerprint
  other: Fingerprint
}

interface Process {
  child: ChildProcess
  ready: ReadyLine
  stderr: string[]
}

/**
 * The server under test, plus a spare started in the background on the same store, so replacing a
 * wedged server costs no start-up time.
 */
export class FuzzServer {
  private current: Process | undefined
  private spare: Promise<Process> | undefined
  /** Fuzz requests: one keep-alive connection, reused the way clients reuse it. */
  private agent: http.Agent | undefined
  /** The side channel: connections of its own, so a connection a fuzz request spoiled cannot block it. */
  private sideAgent: http.Agent | undefined
  restarts = 0

  constructor(readonly spec: ServerSpec) {}

  get port(): number {
    return this.current!.ready.port
  }
  get projects(): ReadyLine['projects'] {
    return this.current!.ready.projects
  }
  get surfaces(): string[] {
    return this.current!.ready.surfaces
  }
  /** The last lines the current server wrote to stderr (crash reports). */
  get stderr(): string[] {
    return this.current?.stderr ?? []
  }

  async start(): Promise<void> {
    this.use(await spawnServer(this.spec))
    this.prepareSpare()
  }

  private use(process: Process): void {
    this.current = process
    this.agent?.destroy()
    this.sideAgent?.destroy()
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    this.sideAgent = new http.Agent({ keepAlive: true, maxSockets: 2 })
  }

  private prepareSpare(): void {
    const spare = spawnServer(this.spec)
    spare.catch(() => {}) // reported when it is needed
    this.spare = spare
  }

  alive(): boolean {
    return !!this.current && isRunning(this.current.child)
  }

  /** How the current process ended, if it did: `exit code 70` / `signal SIGKILL`. */
  exitInfo(): string | undefined {
    const child = this.current?.child
    if (!child || isRunning(child)) return undefined
    return child.signalCode ? `signal ${child.signalCode}` : `exit code ${child.exitCode}`
  }

  /** Whether the process is running and its event loop answers. */
  async responsive(): Promise<boolean> {
    if (!this.alive()) return false
    if (await pingServer(this.port)) return true
    await new Promise((resolve) => setTimeout(resolve, 100)) // an exit may still be on its way
    return this.alive() && pingServer(this.port)
  }

  /** SIGKILL (it may be spinning), then the spare (or a fresh server) on the same store. */
  async restart(): Promise<void> {
    await this.kill()
    this.restarts++
    const next = await (this.spare ?? spawnServer(this.spec)).catch(() => spawnServer(this.spec))
    this.use(next)
    this.prepareSpare()
  }

  async kill(): Promise<void> {
    this.agent?.destroy()
    this.sideAgent?.destroy()
    if (this.current) await killProcess(this.current.child, 'SIGKILL')
  }

  /** SIGTERM (closes the store cleanly), SIGKILL after 5 s; the spare too. */
  async stop(): Promise<void> {
    this.agent?.destroy()
    this.sideAgent?.destroy()
    const spare = await this.spare?.catch(() => undefined)
    this.spare = undefined
    await Promise.all([this.current, spare].map((p) => p && killProcess(p.child, 'SIGTERM')))
  }

  /** One request with a deadline; never throws. */
  send(request: FuzzRequest, keys: { fuzz: string; other: string }, timeoutMs: number): Promise<Outcome> {
    const headers: Record<string, string> = { ...request.headers }
    const auth = request.auth
    if (auth.kind === 'fuzz') headers.authorization = `Bearer ${keys.fuzz}`
    else if (auth.kind === 'other') headers.authorization = `Bearer ${keys.other}`
    else if (auth.kind === 'raw') headers.authorization = auth.header.replaceAll('{key}', keys.fuzz)
    const body =
      request.bodyBase64 !== undefined
        ? Buffer.from(request.bodyBase64, 'base64')
        : request.body !== undefined
          ? Buffer.from(request.body, 'utf8')
          : undefined
    if (body && !request.chunked) headers['content-length'] = String(body.length)
    return this.raw(request.method, request.path, headers, body, request.chunked === true, timeoutMs, true, this.agent)
  }

  /**
   * Whether the keep-alive connection the last fuzz request left behind still serves a request.
   * When it does not, the connection is dropped (a fresh one is used from then on).
   */
  async connectionReusable(): Promise<boolean> {
    const outcome = await this.raw('GET', '/__fuzz/ping', {}, undefined, false, PING_TIMEOUT_MS, false, this.agent)
    if (outcome.kind === 'reply' && outcome.status === 200) return true
    this.agent?.destroy()
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    return false
  }

  /**
   * Sends a request. When `probe` is set and no reply came within PROBE_AFTER_MS, the server is
   * pinged on a fresh connection every second; a ping left unanswered means its event loop is
   * blocked, and the request counts as a hang at once rather than after `timeoutMs`.
   */
  raw(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: Buffer | undefined,
    chunked: boolean,
    timeoutMs: number,
    probe = false,
    agent = this.sideAgent,
  ): Promise<Outcome> {
    const started = performance.now()
    const ms = () => Math.round(performance.now() - started)
    const port = this.port
    return new Promise<Outcome>((resolve) => {
      let settled = false
      let probeTimer: NodeJS.Timeout | undefined
      const done = (outcome: Outcome) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        clearTimeout(probeTimer)
        resolve(outcome)
      }
      let req: http.ClientRequest
      try {
        req = http.request({ host: '127.0.0.1', port, method, path, headers, agent })
      } catch (error) {
        return done({ kind: 'network', error: `request not sent: ${(error as Error).message}`, ms: ms() })
      }
      const timer = setTimeout(() => {
        done({ kind: 'timeout', ms: ms(), blocked: false })
        req.destroy()
      }, timeoutMs)
      const ping = () => {
        void pingServer(port).then((ok) => {
          if (settled) return
          if (!ok) {
            done({ kind: 'timeout', ms: ms(), blocked: true })
            req.destroy()
          } else probeTimer = setTimeout(ping, PROBE_AFTER_MS)
        })
      }
      if (probe) probeTimer = setTimeout(ping, PROBE_AFTER_MS)
      req.on('response', (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () =>
          done({
            kind: 'reply',
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: ms(),
          }),
        )
        res.on('error', (error) => done({ kind: 'network', error: error.message, ms: ms() }))
      })
      req.on('error', (error: NodeJS.ErrnoException) =>
        done({ kind: 'network', error: error.code ?? error.message, ms: ms() }),
      )
      if (body && chunked) {
        const cut = Math.floor(body.length / 2)
        req.write(body.subarray(0, cut))
        req.end(body.subarray(cut))
      } else req.end(body)
    })
  }

  private async side<T>(method: string, path: string, body?: unknown, timeoutMs = 10_000): Promise<T> {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
    const outcome = await this.raw(
      method,
      path,
      data ? { 'content-type': 'application/json', 'content-length': String(data.length) } : {},
      data,
      false,
      timeoutMs,
    )
    if (outcome.kind !== 'reply')
      throw new SideChannelError(`side channel ${path}: ${outcome.kind === 'timeout' ? 'timeout' : outcome.error}`)
    if (outcome.status !== 200)
      throw new SideChannelError(`side channel ${path}: ${outcome.status} ${outcome.body.slice(0, 500)}`)
    return JSON.parse(outcome.body) as T
  }

  /** What the store holds per domain for each project (hashed). */
  state(): Promise<StoreState> {
    return this.side('GET', '/__fuzz/state')
  }

  async count(projectId: string): Promise<number> {
    return (await this.side<{ count: number }>('GET', `/__fuzz/count?project=${projectId}`)).count
  }

  /** The stored events with these ids (null when missing), and the project's event count. */
  events(projectId: string, ids: string[]): Promise<{ events: Array<SideEvent | null>; count: number }> {
    return this.side('POST', '/__fuzz/events', { project: projectId, ids })
  }

  async dump(projectId: string): Promise<SideEvent[]> {
    return (await this.side<{ events: SideEvent[] }>('GET', `/__fuzz/dump?project=${projectId}`, undefined, 30_000))
      .events
  }

  async errors(): Promise<string[]> {
    return (await this.side<{ errors: string[] }>('GET', '/__fuzz/errors')).errors
  }
}

export class SideChannelError extends Error {}

/** `node --import tsx server.ts <spec>` (not the tsx CLI, which forks: the pid is the server's). */
async function spawnServer(spec: ServerSpec): Promise<Process> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER_ENTRY, JSON.stringify(spec)], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  const stderr: string[] = []
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderr.push(line)
    if (stderr.length > STDERR_LINES) stderr.splice(0, stderr.length - STDERR_LINES)
  })
  let timer: NodeJS.Timeout | undefined
  const ready = await new Promise<ReadyLine>((resolve, reject) => {
    timer = setTimeout(
      () =>
        reject(new Error(`fuzz server: no ready line within ${START_TIMEOUT_MS} ms\n${stderr.slice(-30).join('\n')}`)),
      START_TIMEOUT_MS,
    )
    child.once('exit', (code, signal) =>
      reject(
        new Error(
          `fuzz server exited before listening (code ${code}, signal ${signal})\n${stderr.slice(-30).join('\n')}`,
        ),
      ),
    )
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('ready ')) resolve(JSON.parse(line.slice('ready '.length)) as ReadyLine)
    })
  })
    .catch((error) => {
      child.kill('SIGKILL')
      throw error
    })
    .finally(() => clearTimeout(timer))
  return { child, ready, stderr }
}

const isRunning = (child: ChildProcess) => child.exitCode === null && child.signalCode === null

function killProcess(child: ChildProcess, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  if (!isRunning(child)) return Promise.resolve()
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill(signal)
  })
}

/** Whether the server answers a trivial request on a fresh connection within PING_TIMEOUT_MS. */
function pingServer(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/__fuzz/ping', agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode === 200))
    })
    req.setTimeout(PING_TIMEOUT_MS, () => {
      req.destroy()
      resolve(false)
    })
    req.on('error', () => resolve(false))
    req.end()
  })
}
