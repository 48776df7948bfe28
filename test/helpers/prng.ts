// A small seeded PRNG (mulberry32) and the few helpers the generators need. Every random choice of
// a fuzz run goes through one `Rng`, so a seed reproduces the run's requests.

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export class Rng {
  private readonly next: () => number
  constructor(readonly seed: number) {
    this.next = mulberry32(seed)
  }

  /** [0, 1) */
  float(): number {
    return this.next()
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  /** An integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1)
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]
  }

  /** Picks by weight: `[[3, a], [1, b]]` gives `a` three times as often as `b`. */
  weighted<T>(choices: ReadonlyArray<readonly [number, T]>): T {
    const total = choices.reduce((sum, [w]) => sum + w, 0)
    let x = this.next() * total
    for (const [w, value] of choices) {
      x -= w
      if (x < 0) return value
    }
    return choices[choices.length - 1][1]
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      ;[items[i], items[j]] = [items[j], items[i]]
    }
    return items
  }
}

/** `FUZZ_SEED` when set (decimal or 0x hex), else a fresh one. Always a uint32. */
export function seedFromEnv(): number {
  const text = process.env.FUZZ_SEED
  if (text !== undefined && text.trim() !== '') {
    const n = Number(text.trim())
    if (!Number.isFinite(n)) throw new Error(`FUZZ_SEED must be a number, got ${JSON.stringify(text)}`)
    return n >>> 0
  }
  // CI replays one fixed run, so a submission's result does not depend on luck; local runs explore.
  if (process.env.CI === 'true') return CI_SEED
  return (Date.now() ^ (process.pid << 16) ^ Math.floor(Math.random() * 2 ** 32)) >>> 0
}

/** The seed of every CI run. */
export const CI_SEED = 20261122
