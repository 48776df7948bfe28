/**
 * The few key-value primitives that every record-like repository (projects, keys, jobs, rate
 * limits, and later definitions, monitors, users, webhooks...) is written over, once. Redis and
 * unstorage differ only here: `redisKv` does each in one Lua script, `unstorageKv` behind a
 * per-key lock in this process.
 *
 * Keys are ASCII (`kvKey` encodes every user-given segment) and `:`-separated, which is the path
 * separator unstorage drivers already use. Values are strings (JSON).
 */
export interface KvStore {
  /** The value, or `undefined` when the key is absent (or its TTL passed). */
  get(key: string): Promise<string | undefined>
  /** Values in key order, `undefined` for the absent ones. One round trip where the backend allows. */
  getMany(keys: string[]): Promise<Array<string | undefined>>
  /** Writes the value, replacing any. `ttlMs` makes the key expire (real time). */
  set(key: string, value: string, options?: { ttlMs?: number }): Promise<void>
  /** Writes only when the key is absent. True when this call wrote. */
  setIfAbsent(key: string, value: string, options?: { ttlMs?: number }): Promise<boolean>
  /**
   * Replaces the value only while it still equals `expected` (`undefined`: only while absent).
   * True when this call wrote: the building block of every read-modify-write.
   */
  compareAndSet(key: string, expected: string | undefined, value: string): Promise<boolean>
  /** Adds `by` to an integer counter (absent counts as 0) and returns the new total. `ttlMs` applies when this call creates it. */
  increment(key: string, by: number, options?: { ttlMs?: number }): Promise<number>
  /** Removes the key. True when it existed. */
  delete(key: string): Promise<boolean>
  /**
   * Every key starting with `prefix`, sorted. Indexed on Redis, a listing on unstorage, where a
   * key whose TTL passed may still be listed until something removes it (reads treat it as absent).
   */
  scan(prefix: string): Promise<string[]>
  /** Releases what the primitive opened itself. */
  close(): Promise<void>
}

/**
 * A key from segments: each one percent-encoded, so a user-given slug, bucket or tag never adds a
 * separator, a glob character, a `..` path step (fs driver) or a non-ASCII byte.
 */
export function kvKey(...segments: Array<string | number>): string {
  return segments.map((s) => encodeSegment(String(s))).join(':')
}

/**
 * The empty segment is `~` (which encoding never produces otherwise): unstorage collapses `::`
 * and drops a trailing `:`, so `a::b` would be the key `a:b` of another segment list.
 */
const EMPTY_SEGMENT = '~'
const encodeSegment = (segment: string) =>
  segment === ''
    ? EMPTY_SEGMENT
    : encodeURIComponent(segment).replace(/[.!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

const decodeSegment = (segment: string) => (segment === EMPTY_SEGMENT ? '' : decodeURIComponent(segment))

/**
 * The start shared by every `kvKey(...segments, last)` whose `last` segment starts with
 * `partial`: segments are encoded character by character, so an encoded prefix prefixes them.
 */
export function kvKeyPrefix(segments: Array<string | number>, partial: string): string {
  return `${kvKey(...segments)}:${partial === '' ? '' : encodeSegment(partial)}`
}

/** The last segment of a key, decoded. */
export function lastSegment(key: string): string {
  return decodeSegment(key.slice(key.lastIndexOf(':') + 1))
}

/** Every segment of a key, decoded: what `kvKey` was given, as strings. */
export function keySegments(key: string): string[] {
  return key.split(':').map(decodeSegment)
}

/**
 * Read-modify-write over compare-and-set: reads, lets `change` compute the next value (or
 * `undefined` to write nothing), and retries when another writer got there first.
 */
export async function update<T>(
  kv: KvStore,
  key: string,
  change: (current: string | undefined) => { value: string | undefined; result: T },
): Promise<T> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const current = await kv.get(key)
    const { value, result } = change(current)
    if (value === undefined || value === current) return result
    if (await kv.compareAndSet(key, current, value)) return result
  }
  throw new Error(`telltale: ${key} changed 100 times while being updated`)
}
