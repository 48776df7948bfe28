// CPU accounting from /proc, to tell a CPU-bound server from one that waits, and to notice other
// processes on the machine competing with the measurement.
import { readdirSync, readFileSync } from 'node:fs'

export interface CpuSample {
  at: number
  /** Ticks (1/100 s) used by the server process. */
  server: number
  /** Ticks used by this (load generator) process. */
  loader: number
  /** Ticks used by Postgres processes (the database is part of the system under test). */
  postgres: number
  /** Busy ticks of the whole machine. */
  machine: number
}

export interface CpuUse {
  /** In cores: 1 = one core fully busy. */
  server: number
  loader: number
  postgres: number
  /** Everything else on the machine (including other tenants of the VM, and steal time). */
  others: number
}

const TICKS_PER_S = 100

function readStat(pid: number | string): { comm: string; ticks: number } {
  // `pid (comm) state ...`: utime and stime are the 12th and 13th fields after the `(comm)`.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return {
    comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
    ticks: Number(fields[11]) + Number(fields[12]),
  }
}

const processTicks = (pid: number | 'self') => readStat(pid).ticks

/** Postgres backends come and go with connections; only those alive at both samples count fully. */
function postgresTicks(): number {
  let total = 0
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const { comm, ticks } = readStat(entry)
      if (comm === 'postgres') total += ticks
    } catch {
      // exited meanwhile
    }
  }
  return total
}

function machineBusyTicks(): number {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/)
  // Interrupt time is left out: under load it is mostly our own loopback traffic.
  const [user, nice, system, , , , , steal] = values.map(Number)
  return user + nice + system + steal
}

export function sampleCpu(serverPid: number): CpuSample {
  return {
    at: performance.now(),
    server: processTicks(serverPid),
    loader: processTicks('self'),
    postgres: postgresTicks(),
    machine: machineBusyTicks(),
  }
}

export function cpuBetween(a: CpuSample, b: CpuSample): CpuUse {
  const seconds = (b.at - a.at) / 1000
  const cores = (ticks: number) => ticks / TICKS_PER_S / seconds
  const server = cores(b.server - a.server)
  const loader = cores(b.loader - a.loader)
  const postgres = Math.max(0, cores(b.postgres - a.postgres))
  return { server, loader, postgres, others: Math.max(0, cores(b.machine - a.machine) - server - loader - postgres) }
}

/**
 * Waits (up to `maxWaitS`) until the rest of the machine is quiet (below `threshold` cores over a
 * 1 s window), so a build or test run of someone else does not land in a measurement. Returns
 * the seconds waited, or `undefined` when it gave up.
 */
export async function waitForQuiet(
  serverPid: number,
  maxWaitS: number,
  threshold: number,
): Promise<number | undefined> {
  const started = performance.now()
  for (;;) {
    const before = sampleCpu(serverPid)
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const waited = (performance.now() - started) / 1000
    if (cpuBetween(before, sampleCpu(serverPid)).others < threshold) return waited - 1
    if (waited >= maxWaitS) return undefined
  }
}
