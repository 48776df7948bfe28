import { nearestRank } from '../event-predicates'
import type { NumericSummary } from '../events'

/**
 * The budget of one query script call, in the units of QUERY_RESUME (lua/query-resume.ts): an index
 * entry 1, an entry whose event is read 4, a rollup bucket, tag value or name 1. Redis is shared with the
 * host app and runs one script at a time, so a call must stay far below the 50 ms a request may wait
 * behind it (issue 16). Measured on the 2-core dev box (`npx tsx test/bench/redis-script-times.ts`,
 * 200k events) with other work loading both cores (load average 7): an index entry alone cost about
 * 3 µs, an event read with its fields checked 9–11 µs, so 2,000 units (500 events read, or 2,000
 * index entries) take 5–7 ms per call there and about a third of that on a quiet box. Larger
 * chunks would save round trips (about 0.1 ms each, some 60 ms of a 200k-event scan), not Redis time.
 */
export const SCAN_BUDGET = 2_000

/**
 * And at most this many milliseconds per call by Redis' own clock (checked every 256 units): on a
 * server short of CPU a call does less rather than run longer. On the loaded 2-core box Redis
 * itself is sometimes not scheduled for 30–40 ms in the middle of a call (a fixed 4 ms script was
 * logged at up to 41 ms), so the call's own work is kept at 5 ms to leave that room below 50 ms.
 */
export const SCAN_MS = 5

/** One call of a chunked read: the reply `[cursor, ...partial]` for the cursor given ('' to start). */
export type ChunkCall = (cursor: string) => Promise<string[]>

/**
 * Runs a read to its end: each call continues where the one before stopped, and `take` gets each
 * call's reply (its partial answer from index 1).
 *
 * What a read spread over calls sees when other writes come between its calls: every event stored
 * for the whole read is read exactly once (a cursor is an entry's (timestamp, member) in a time
 * index, or a bucket start, never a rank, so entries added before it do not move it); an event
 * stored during the read is read if it lands after the cursor and not if it lands before it, so
 * at most once. Rollup buckets and the edges scanned beside them cover disjoint times, and an event
 * is in one name's index, so that holds for counts from rollups and reads of several names too.
 * Each call is atomic; the read as a whole is not a snapshot.
 */
export async function readAll(call: ChunkCall, take: (reply: string[]) => void): Promise<void> {
  let cursor = ''
  do {
    const reply = await call(cursor)
    cursor = reply[0]
    take(reply)
  } while (cursor !== '')
}

/** Strings in UTF-8 byte order (the order of Redis members and of SQL's binary collation). */
function byteOrder(a: string, b: string): number {
  if (a === b) return 0
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}

/** An event's place in "newest first": `-1` when `a` (ts, id) is newer than `b`. */
export function newestFirst(a: { ts: number; id: string }, b: { ts: number; id: string }): number {
  return b.ts - a.ts || byteOrder(b.id, a.id)
}

/** The sum of ascending `sorted` (a fixed order: the same values give the same sum). */
function plainSum(sorted: Float64Array): number {
  let sum = 0
  for (const x of sorted) sum += x
  return sum
}

/** A sum beyond the double range along the way, scaled down by 2^64 (exact for doubles) and back. */
function scaledSum(sorted: Float64Array): number {
  const scale = 2 ** 64
  let scaled = 0
  for (const x of sorted) scaled += x / scale
  return scaled * scale
}

/**
 * count/sum/avg/min/max and nearest-rank percentiles of every value a summarize read answered,
 * computed as the script computed them when it read everything in one call.
 */
export function summaryOf(values: number[], percentiles: number[]): NumericSummary {
  const n = values.length
  const sorted = Float64Array.from(values).sort()
  let sum = plainSum(sorted)
  let avg: number
  if (Number.isFinite(sum)) avg = sum / n
  else {
    sum = scaledSum(sorted)
    // The average as the sum of x / n, which cannot overflow.
    avg = 0
    for (const x of sorted) avg += x / n
  }
  return {
    count: n,
    sum: Number.isFinite(sum) ? sum : null,
    avg,
    min: sorted[0],
    max: sorted[n - 1],
    percentiles: Object.fromEntries(percentiles.map((p) => [p, sorted[nearestRank(p, n) - 1]])),
  }
}

/** The sum of each user's latest value (ascending, as summarize sums), or null beyond the double range. */
export function sumOfLatest(values: number[]): number | null {
  if (values.length === 0) return null
  const sorted = Float64Array.from(values).sort()
  let sum = plainSum(sorted)
  if (!Number.isFinite(sum)) sum = scaledSum(sorted)
  return Number.isFinite(sum) ? sum : null
}
