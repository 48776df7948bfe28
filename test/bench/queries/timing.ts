// Timing and printing for the query bench: interleaved runs, medians, one verdict per query.

export interface Timed {
  /** Median wall time, ms. */
  median: number
  runs: number[]
}

/**
 * Times each function `runs` times after `warmups` untimed calls. Calls are interleaved (A B, then
 * B A, ...) so drift on a shared machine hits every side alike.
 */
export async function timeEach(fns: Array<() => Promise<unknown>>, warmups: number, runs: number): Promise<Timed[]> {
  for (let i = 0; i < warmups; i++) for (const fn of fns) await fn()
  const samples: number[][] = fns.map(() => [])
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? fns.map((_, k) => k) : fns.map((_, k) => fns.length - 1 - k)
    for (const k of order) {
      const start = performance.now()
      await fns[k]()
      samples[k].push(performance.now() - start)
    }
  }
  return samples.map((s) => ({ median: median(s), runs: s }))
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

export const ms = (n: number) => `${n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0)} ms`
export const int = (n: number) => Math.round(n).toLocaleString('en-US')

export interface Row {
  label: string
  telltale: number
  handWritten: number
  /** Largest telltale ÷ hand-written ratio that passes; undefined for an informational row. */
  target?: number
  note?: string
}

/** Prints one query line; returns whether it met its target (true when it has none). */
export function printRow(row: Row): boolean {
  const ratio = row.telltale / row.handWritten
  const verdict = row.target === undefined ? '' : `target ≤ ${row.target}  ${ratio <= row.target ? 'PASS' : 'MISS'}`
  console.log(
    `  ${row.label.padEnd(46)}${ms(row.telltale).padStart(10)}${ms(row.handWritten).padStart(12)}${`${ratio.toFixed(2)}×`.padStart(9)}  ${verdict}${row.note ? `  ${row.note}` : ''}`,
  )
  return row.target === undefined || ratio <= row.target
}

export function printHeader(): void {
  console.log(`  ${'query'.padEnd(46)}${'telltale'.padStart(10)}${'hand SQL'.padStart(12)}${'ratio'.padStart(9)}`)
}
