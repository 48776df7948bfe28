import type { Storage } from '../storage'

/**
 * State kept per store (caches of verified keys, known projects): several telltale instances over
 * one store in one process share it, and it goes away with the store.
 */
export function perStore<T>(create: () => T): (storage: Storage) => T {
  const values = new WeakMap<Storage, T>()
  return (storage) => {
    let value = values.get(storage)
    if (value === undefined) {
      value = create()
      values.set(storage, value)
    }
    return value
  }
}
