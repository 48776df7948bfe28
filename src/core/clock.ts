/** Where core code reads the time. Epoch milliseconds, UTC. Injected so tests never sleep. */
export interface Clock {
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }

export interface FakeClock extends Clock {
  set(ms: number | string | Date): void
  advance(ms: number): void
}

/** A clock that only moves when told to. */
export function createFakeClock(start: number | string | Date = '2024-01-15T10:30:00Z'): FakeClock {
  let current = new Date(start).getTime()
  return {
    now: () => current,
    set: (ms) => {
      current = new Date(ms).getTime()
    },
    advance: (ms) => {
      current += ms
    },
  }
}
