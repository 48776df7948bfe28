/**
 * Per-key async mutex: work under the same key runs one at a time, in call order; different keys
 * do not wait for each other. In-process only (unstorage has no transactions and no locks).
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>()

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key)
    const result = previous ? previous.then(work) : work()
    const tail = result.then(
      () => {},
      () => {},
    )
    this.tails.set(key, tail)
    // The last one out removes its key, so the map only holds keys with work in flight.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key)
    })
    return result
  }
}

/** One value per object, created on first use: state shared by every instance over one store. */
export function sharedBy<K extends object, V>(create: () => V): (owner: K) => V {
  const values = new WeakMap<K, V>()
  return (owner) => {
    let value = values.get(owner)
    if (value === undefined) {
      value = create()
      values.set(owner, value)
    }
    return value
  }
}
