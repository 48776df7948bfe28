import type { KvStore } from './store'

/**
 * Unique values over the key-value primitives: a slug, a client id, an email. A unique value has
 * one key, which holds its claim: `{claimedAt} {owner}` (epoch ms, one space, the owner as given,
 * e.g. the id of the record that uses the value). Claims are written before the record that uses
 * the value, so a value is never used unclaimed, and taken with set-if-absent or compare-and-set,
 * so two concurrent claimers never both win.
 *
 * The one orphan rule: a claim whose holder does not hold the value (its record is missing, or
 * no longer has that value: a crash between the claim and the record's write) may be taken over,
 * by compare-and-set, once it is older than the grace period. A younger claim is never taken
 * over: its record may still be on its way (a create between its two writes, an update between
 * claiming the new value and writing it). Every path that gives a value up releases its claim
 * itself (`releaseUnique`). The grace is also the bound: a writer that stalls longer than it
 * between its claim and its record can be overtaken, and both records then say the value (reads
 * through the claim find the newer one).
 *
 * Claims written by earlier versions are read as they are: a plain owner (project slugs), `{at}
 * {owner}` (metric slugs) and JSON `[owner, at]` (event client ids). A claim with no time counts
 * as older than any grace period. Only a plain owner could be misread (one made of digits, a space
 * and more, or a JSON `[string, number]`): those were project ids, which telltale makes UUIDs.
 */

/**
 * The value of a released claim. The store has no compare-and-delete, and a read-then-delete could
 * remove a claim written in between; a compare-and-set to this cannot. It reads as no claim.
 */
export const RELEASED = ''

/** How long a claim is safe from takeover (ms): longer than any claim-to-write gap short of a crash. */
export const CLAIM_GRACE_MS = 60_000

export interface Claim {
  owner: string
  /** When it was claimed (epoch ms); 0 for a claim stored without a time. */
  at: number
}

export interface ClaimClock {
  /** The time claims are written with and judged at (epoch ms; default `Date.now`). */
  now?: () => number
  /** How long a claim is safe from takeover (default `CLAIM_GRACE_MS`). */
  graceMs?: number
}

export interface ClaimOptions extends ClaimClock {
  /** Whether `owner` (another claim's holder, past the grace) still holds the value: its record exists and has it. */
  holds(owner: string): Promise<boolean>
  /**
   * The key's value as `readClaims` just found it claimable (absent, released or orphaned): the
   * first attempt writes over it without reading or judging it again.
   */
  current?: { value: string | undefined }
}

export interface ClaimOutcome {
  /** Who holds the value after the call: `owner` when it won (or already held it). */
  holder: string
  /** True when this call wrote the claim (free, or taken over); false when it found it held. */
  claimed: boolean
}

/** The claim a stored value holds, in any format telltale has written; `undefined` for absent or released. */
export function parseClaim(value: string | undefined): Claim | undefined {
  if (value === undefined || value === RELEASED) return undefined
  const space = value.indexOf(' ')
  if (space > 0 && DIGITS.test(value.slice(0, space)))
    return { owner: value.slice(space + 1), at: Number(value.slice(0, space)) }
  if (value[0] === '[') {
    const legacy = parseJsonClaim(value)
    if (legacy) return legacy
  }
  return { owner: value, at: 0 }
}

const DIGITS = /^\d+$/

function parseJsonClaim(value: string): Claim | undefined {
  try {
    const parsed: unknown = JSON.parse(value)
    if (Array.isArray(parsed) && typeof parsed[0] === 'string' && typeof parsed[1] === 'number')
      return { owner: parsed[0], at: parsed[1] }
  } catch {}
  return undefined
}

/** The stored form of a claim: `{at} {owner}`. */
export const claimValue = (owner: string, at: number) => `${Math.max(0, Math.floor(at))} ${owner}`

/** The orphan rule's clock: a younger claim stands; an older one only while its holder holds the value. */
export const pastGrace = (claim: Claim, now: number, graceMs: number) => now - claim.at >= graceMs

/**
 * Makes `owner` the holder of the value at `key`: when it is free (absent or released), when
 * `owner` holds it already, or when its claim is an orphan (past the grace period, and `holds`
 * says its holder does not hold the value). Otherwise the outcome names the holder.
 */
export async function claimUnique(
  kv: KvStore,
  key: string,
  owner: string,
  options: ClaimOptions,
): Promise<ClaimOutcome> {
  const now = options.now ?? Date.now
  const graceMs = options.graceMs ?? CLAIM_GRACE_MS
  let judged = options.current
  for (let attempt = 0; attempt < 100; attempt++) {
    const value = judged ? judged.value : await kv.get(key)
    const at = now()
    const claim = judged ? undefined : parseClaim(value)
    judged = undefined
    if (claim?.owner === owner) return { holder: owner, claimed: false }
    if (claim && (!pastGrace(claim, at, graceMs) || (await options.holds(claim.owner))))
      return { holder: claim.owner, claimed: false }
    const next = claimValue(owner, at)
    if (value === undefined ? await kv.setIfAbsent(key, next) : await kv.compareAndSet(key, value, next))
      return { holder: owner, claimed: true }
  }
  throw new Error(`telltale: ${key} changed 100 times while being claimed`)
}

/** Releases the value at `key` if `owner` still holds it. True when this call released it. */
export async function releaseUnique(kv: KvStore, key: string, owner: string): Promise<boolean> {
  const value = await kv.get(key)
  return parseClaim(value)?.owner === owner && kv.compareAndSet(key, value, RELEASED)
}

/** Who holds the value at `key`, whatever the claim's age; `undefined` when nobody does. */
export async function claimHolder(kv: KvStore, key: string): Promise<string | undefined> {
  return parseClaim(await kv.get(key))?.owner
}

/** Per key: the holder whose claim stands, or the value to claim over (absent, released or orphaned). */
export type ClaimState = { holder: string } | { holder: undefined; current: { value: string | undefined } }

/**
 * The claims of many keys, judged at once for a batch (one `getMany`, and one `holdsMany` for the
 * claims past the grace): a key that no claim holds is then taken with `claimUnique(..., {
 * current })`, which starts from the value read here.
 */
export async function readClaims(
  kv: KvStore,
  keys: string[],
  options: ClaimClock & { holdsMany(owners: string[]): Promise<boolean[]> },
): Promise<ClaimState[]> {
  const values = await kv.getMany(keys)
  const now = (options.now ?? Date.now)()
  const graceMs = options.graceMs ?? CLAIM_GRACE_MS
  const claims = values.map(parseClaim)
  const asked = claims.flatMap((claim, i) => (claim && pastGrace(claim, now, graceMs) ? [i] : []))
  const held = asked.length === 0 ? [] : await options.holdsMany(asked.map((i) => claims[i]!.owner))
  const holds = new Map(asked.map((i, j) => [i, held[j]]))
  return claims.map((claim, i) =>
    claim && holds.get(i) !== false ? { holder: claim.owner } : { holder: undefined, current: { value: values[i] } },
  )
}
