import { KeyedLock, sharedBy } from './lock'
import type { KvStore } from './store'

/**
 * Every value is stored as `k{expiresAt}|{length}|{value};`:
 * - the expiry (epoch ms, empty for none) makes TTLs work on drivers without them, invisibly;
 * - the leading letter keeps unstorage's `destr` from parsing the value as JSON on the way out;
 * - the length and the final `;` let a read recognise a torn value: the fs driver writes a file
 *   in place (truncate, then write), so a read racing a write can see an empty or partial file.
 *   A strict prefix of a value, even one cut inside a multi-byte character, fails one of the two.
 */
const encode = (value: string, expiresAt: number | undefined) => `k${expiresAt ?? ''}|${value.length}|${value};`

interface Stored {
  value: string
  expiresAt: number | undefined
}

/** `null`: absent; `torn`: a read that raced a write (read again). */
function decode(raw: unknown, key: string): Stored | null | 'torn' {
  if (raw === null || raw === undefined) return null
  const text = typeof raw === 'string' ? raw : raw instanceof Uint8Array ? new TextDecoder().decode(raw) : undefined
  if (text === undefined)
    throw new Error(`telltale: the value at ${key} is not a string (written by something else than telltale?)`)
  if (text === '') return 'torn'
  if (text[0] !== 'k') throw new Error(`telltale: the value at ${key} is not telltale's (written by something else?)`)
  const bar = text.indexOf('|')
  const lengthEnd = bar < 0 ? -1 : text.indexOf('|', bar + 1)
  if (lengthEnd < 0) return 'torn'
  const start = lengthEnd + 1
  const length = Number(text.slice(bar + 1, lengthEnd))
  if (text.length !== start + length + 1 || text[text.length - 1] !== ';') return 'torn'
  const expiry = text.slice(1, bar)
  return { value: text.slice(start, start + length), expiresAt: expiry === '' ? undefined : Number(expiry) }
}

const live = (stored: Stored | null, now: number) =>
  stored !== null && (stored.expiresAt === undefined || stored.expiresAt > now) ? stored : null

/** How often, and how long apart, a torn read is retried before it is reported. */
const TORN_RETRIES = 50
const TORN_WAIT_MS = 2

/** Reads spread over this many concurrent driver calls at most (the fs driver opens a file each). */
const READ_CHUNK = 500

/**
 * What telltale uses of an unstorage `Storage` (`createStorage({ driver })`). Written out here so
 * that telltale's public types do not import unstorage's (whose optional drivers' declarations do
 * not type-check without their own packages); every unstorage `Storage` fits it as it is.
 */
export interface Unstorage {
  getItem(key: string): Promise<unknown>
  getItems(keys: string[]): Promise<Array<{ key: string; value: unknown }>>
  setItem(key: string, value: string): Promise<void>
  removeItem(key: string): Promise<void>
  getKeys(base?: string): Promise<string[]>
}

export interface UnstorageKvOptions {
  /** Prefix of every key telltale writes (`telltale` → `telltale:event:...`), to share a storage with other data. */
  base?: string
}

/** Per unstorage `Storage`: the write locks, and the KvStore of each base. */
const sharedState = sharedBy<Unstorage, { lock: KeyedLock; stores: Map<string, KvStore> }>(() => ({
  lock: new KeyedLock(),
  stores: new Map(),
}))

/**
 * The `KvStore` primitives over any unstorage `Storage`. unstorage has no transactions, so every
 * write (plain sets included, so a set cannot slip between a compare-and-set's read and write) runs
 * under a per-key lock in this process, shared by every caller over the same `Storage` object:
 * the same object is returned for the same storage and base. Reads take no lock.
 *
 * Across processes sharing one backing store (an fs directory, a Redis behind unstorage) the
 * read-modify-writes are NOT atomic: two processes can both see a key absent and both write it.
 */
export function unstorageKv(storage: Unstorage, options: UnstorageKvOptions = {}): KvStore {
  const base = normalizeBase(options.base)
  const shared = sharedState(storage)
  const existing = shared.stores.get(base)
  if (existing) return existing
  const store = createUnstorageKv(storage, base, shared.lock)
  shared.stores.set(base, store)
  return store
}

function normalizeBase(base: string | undefined): string {
  if (base === undefined || base === '') return ''
  if (!/^[A-Za-z0-9_-]+(:[A-Za-z0-9_-]+)*$/.test(base))
    throw new Error(
      `telltale: invalid kv base ${JSON.stringify(base)} (letters, digits, - and _, segments joined by :)`,
    )
  return `${base}:`
}

function createUnstorageKv(storage: Unstorage, base: string, lock: KeyedLock): KvStore {
  const full = (key: string) => base + key

  async function read(key: string): Promise<Stored | null> {
    for (let attempt = 0; ; attempt++) {
      const stored = decode(await storage.getItem(full(key)), key)
      if (stored !== 'torn') return live(stored, Date.now())
      if (attempt >= TORN_RETRIES)
        throw new Error(`telltale: the value at ${key} stays incomplete (a write that never finished?)`)
      await new Promise((resolve) => setTimeout(resolve, TORN_WAIT_MS))
    }
  }

  async function readMany(keys: string[]): Promise<Array<Stored | null>> {
    const out: Array<Stored | null> = []
    for (let i = 0; i < keys.length; i += READ_CHUNK) {
      const chunk = keys.slice(i, i + READ_CHUNK)
      // getItems is one round trip on drivers that have it (redis: MGET); the others read each key.
      const items = await storage.getItems(chunk.map(full))
      const now = Date.now()
      for (const [j, key] of chunk.entries()) {
        const stored = decode(items[j]?.value, key)
        out.push(stored === 'torn' ? await read(key) : live(stored, now))
      }
    }
    return out
  }

  const write = (key: string, value: string, expiresAt: number | undefined) =>
    storage.setItem(full(key), encode(value, expiresAt))
  const expiry = (ttlMs: number | undefined) =>
    ttlMs === undefined ? undefined : Date.now() + Math.max(1, Math.ceil(ttlMs))

  return {
    get: async (key) => (await read(key))?.value,
    getMany: async (keys) => (await readMany(keys)).map((stored) => stored?.value),
    set: (key, value, options) => lock.run(key, () => write(key, value, expiry(options?.ttlMs))),
    setIfAbsent: (key, value, options) =>
      lock.run(key, async () => {
        if (await read(key)) return false
        await write(key, value, expiry(options?.ttlMs))
        return true
      }),
    compareAndSet: (key, expected, value) =>
      lock.run(key, async () => {
        if ((await read(key))?.value !== expected) return false
        await write(key, value, undefined)
        return true
      }),
    increment: (key, by, options) =>
      lock.run(key, async () => {
        const current = await read(key)
        const total = (current ? Number(current.value) : 0) + by
        if (!Number.isSafeInteger(total)) throw new Error(`telltale: ${key} does not hold an integer counter`)
        // The TTL applies when this call creates the counter; an existing one keeps its expiry.
        await write(key, String(total), current ? current.expiresAt : expiry(options?.ttlMs))
        return total
      }),
    delete: (key) =>
      lock.run(key, async () => {
        const existed = (await read(key)) !== null
        await storage.removeItem(full(key))
        return existed
      }),
    async scan(prefix) {
      // unstorage lists by whole segments (`a:b:`), so list the segments the prefix covers and
      // keep the keys that really start with it.
      const wanted = full(prefix)
      const listed = await storage.getKeys(wanted.slice(0, wanted.lastIndexOf(':') + 1))
      const keys: string[] = []
      for (const key of listed) if (key.startsWith(wanted)) keys.push(key.slice(base.length))
      return keys.sort()
    },
    // The storage is the caller's: telltale never disposes it.
    close: async () => {},
  }
}
