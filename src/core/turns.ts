import type { Storage } from '../storage'

/**
 * Turns on the event loop for long work over a store whose reads run on this thread (SQLite,
 * kv): each read waits for a turn of its own, and a turn is given at most once per pass of the
 * event loop, after its I/O. A year of metric history then holds the loop for one read at a time,
 * and another tenant's request is served between two of them. Stores read over a socket need no
 * turns: their reads wait on I/O anyway.
 */
export interface Turns {
  take(): Promise<void>
}

const noTurns: Turns = { take: () => Promise.resolve() }
const byStorage = new WeakMap<Storage, Turns>()

export function turnsOf(storage: Storage): Turns {
  if (!storage.readsOnThisThread) return noTurns
  let turns = byStorage.get(storage)
  if (!turns) {
    // Each turn starts after the previous one was given, in the next pass of the loop: a
    // setImmediate queued while immediates run waits for the next pass (after the poll phase).
    let last = Promise.resolve()
    turns = {
      take() {
        const turn = last.then(() => new Promise<void>((resolve) => setImmediate(resolve)))
        last = turn
        return turn
      },
    }
    byStorage.set(storage, turns)
  }
  return turns
}
