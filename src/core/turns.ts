import type { Storage } from '../storage'

/**
 * Turns on the event loop for metric work over a store whose reads run on this thread (SQLite,
 * kv). Reads run one at a time, each in a pass of the event loop of its own (after that pass's
 * I/O), and after each one the loop is left to the rest of the process for as long as the read
 * took (at most `MAX_REST_MS`). A year of history then takes at most half of the loop, and another
 * tenant's request meets at most one read in its way instead of waiting for the whole year.
 * Stores read over a socket (Postgres, Redis) need no turns: their reads wait on I/O anyway.
 */
export interface Turns {
  run<T>(read: () => Promise<T>): Promise<T>
}

const MAX_REST_MS = 100

const noTurns: Turns = { run: (read) => read() }
const byStorage = new WeakMap<Storage, Turns>()

export function turnsOf(storage: Storage): Turns {
  if (!storage.readsOnThisThread) return noTurns
  let turns = byStorage.get(storage)
  if (!turns) {
    let previous: Promise<unknown> = Promise.resolve()
    turns = {
      run(read) {
        /** How long the next read waits after this one: as long as this one took. */
        let rest = 0
        // A setImmediate queued while immediates run waits for the next pass, after its I/O.
        const result = previous
          .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
          .then(async () => {
            const started = performance.now()
            try {
              return await read()
            } finally {
              rest = Math.min(performance.now() - started, MAX_REST_MS)
            }
          })
        previous = result.then(
          () => sleep(rest),
          () => sleep(rest),
        )
        return result
      },
    }
    byStorage.set(storage, turns)
  }
  return turns
}

const sleep = (ms: number) => new Promise<void>((resolve) => (ms < 1 ? setImmediate(resolve) : setTimeout(resolve, ms)))
