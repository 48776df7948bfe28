// Printing: one line per server, one verdict per comparison.
import type { Measurement } from './load'

export interface Side {
  label: string
  measurement: Measurement
  /** Multiplies req/s into the unit compared (100 for batch-100 requests → events/s). */
  perRequest: number
  peakRssMiB: number
  /** The server's stderr output. */
  stderr: string[]
}

export interface Comparison {
  title: string
  unit: 'req/s' | 'events/s'
  baseline: Side
  telltale: Side
  /** Least telltale ÷ baseline ratio that passes; undefined for a comparison shown for information. */
  target?: number
  /** Extra servers shown for context, outside the ratio. */
  references: Side[]
}

/** Cores used by other processes above which a measurement is flagged as disturbed. */
export const BUSY_MACHINE = 0.3

const num = (n: number) => Math.round(n).toLocaleString('en-US')
const ms = (n: number) => `${n.toFixed(n < 10 ? 1 : 0)} ms`

export function header(lines: string[]): void {
  for (const line of lines) console.log(line)
}

export function printTitle(title: string): void {
  console.log(`\n${title}`)
}

/** Prints both sides and the verdict (under the title); returns whether the target was met. */
export function printComparison(c: Comparison): boolean {
  for (const side of [c.baseline, c.telltale]) printSide(side, c.unit)
  for (const side of c.references) printSide({ ...side, label: `(ref) ${side.label}` }, c.unit)
  const rate = (s: Side) => s.measurement.reqPerSec * s.perRequest
  const ratio = rate(c.telltale) / rate(c.baseline)
  const pass = c.target === undefined || ratio >= c.target
  // Work per CPU-second of the server: the same comparison, but blind to CPU taken by others.
  const perCpu = (s: Side) => rate(s) / Math.max(s.measurement.cpu.server, 0.01)
  const verdict =
    c.target === undefined ? '(no target: for comparison)' : `(target ≥ ${c.target})  ${pass ? 'PASS' : 'MISS'}`
  console.log(
    `  ratio     ${ratio.toFixed(2)} ${verdict}   (per server CPU-second: ${(perCpu(c.telltale) / perCpu(c.baseline)).toFixed(2)})`,
  )
  return pass
}

function printSide(side: Side, unit: Comparison['unit']): void {
  const m = side.measurement
  const rate = `${num(m.reqPerSec * side.perRequest)} ${unit}`.padStart(17)
  const extra = side.perRequest === 1 ? '' : ` (${num(m.reqPerSec)} req/s)`
  console.log(
    `  ${side.label.padEnd(36)}${rate}${extra}  p50 ${ms(m.p50Ms)}  p99 ${ms(m.p99Ms)}  non-2xx ${m.non2xx}  peak RSS ${side.peakRssMiB.toFixed(0)} MiB`,
  )
  const cores = (n: number) => n.toFixed(2)
  const perCpu = num((m.reqPerSec * side.perRequest) / Math.max(m.cpu.server, 0.01))
  console.log(
    `  ${''.padEnd(36)}CPU (cores): server ${cores(m.cpu.server)}, load generator ${cores(m.cpu.loader)}, postgres ${cores(m.cpu.postgres)}, others ${cores(m.cpu.others)}; ${perCpu} ${unit.split('/')[0]} per server CPU-second`,
  )
  if (m.cpu.others > BUSY_MACHINE)
    console.log(`  WARNING: other processes used ${cores(m.cpu.others)} cores during this measurement; it may be low`)
  if (m.non2xx > 0) console.log(`  WARNING: ${side.label}: ${m.non2xx} non-2xx responses`)
  if (m.errors > 0) console.log(`  WARNING: ${side.label}: ${m.errors} connection errors/timeouts`)
  if (side.stderr.length > 0) printStderr(side.stderr)
}

/** Server logs in one line: how many, and each distinct first line once with its count. */
function printStderr(lines: string[]): void {
  const heads = new Map<string, number>()
  for (const line of lines) if (!/^\s/.test(line) && !/^[}\]]/.test(line)) heads.set(line, (heads.get(line) ?? 0) + 1)
  const summary = [...heads]
    .slice(0, 3)
    .map(([line, n]) => `${n}× "${line.slice(0, 100)}"`)
    .join(', ')
  console.log(`  ${''.padEnd(36)}server stderr: ${lines.length} lines: ${summary}`)
}

export function printSummary(results: { title: string; pass: boolean }[]): void {
  const missed = results.filter((r) => !r.pass)
  console.log(
    `\n${results.length - missed.length}/${results.length} targets met${missed.length ? ` (missed: ${missed.map((r) => r.title.split(':')[0]).join(', ')})` : ''}`,
  )
}
