import { LUA_HELPERS } from '../script'
import { ROLLUP_LUA } from './layout'
import { QUERY_FILTER, QUERY_PREDICATES } from './query-filter'
import { QUERY_OPS } from './query-ops'
import { QUERY_SCAN } from './query-scan'

/**
 * ARGV: base, query JSON `{ op, from?, to?, names?, prefix?, upper?, userId?, tags: [[k, v]...],
 * bucket?, tagKey?, property?, percentiles?, limit?, offset?, minEvents?, where?: [predicate...] }`
 * (numbers as strings; predicates typed as described at `passesWhere`), or
 * `{ op: 'countDistinctUsersInAny', filters: [query without op...] }`: each filter is run as
 * countDistinctUsers into one table of users, so a user matching several counts once, and every
 * filter reads the same data (one script).
 *
 * What reads what (names and a name prefix only pick which time indexes and rollups are read):
 * - count without userId/tags: ZCOUNT on each matching name's time index (or the project's).
 * - Rollups for the whole buckets inside the range, the partial buckets at its edges scanned (at
 *   most two hours, or two minutes, of events): count with one tag pair; countSeries with a bucket
 *   that is a multiple of a minute (of an hour with one tag pair); countByTag without userId/tags;
 *   the total of a list with one tag pair (whose page is then read from the newest events back,
 *   stopping at offset + limit matches).
 * - list without userId/tags: ZREVRANGEBYSCORE with LIMIT on each name's index, merged; no scan.
 * - Scanned over the whole candidate range (one HMGET per event for the filtered fields): anything
 *   with userId, `where` predicates or several tag pairs, countByTag with a tag filter, countSeries
 *   with a bucket that is not a multiple of a minute (reads only the index), and summarize always:
 *   exact percentiles need every value (of `value` it reads the index alone, of a property one field
 *   per event).
 * - `where` (any predicate) turns every op into that scan: no rollup or index count knows a
 *   property. Predicates on `value`/`userId` read the `v`/`u` fields; a property predicate reads `j`
 *   and decodes it once per candidate (only when one exists). A NUL property key arrives as `x`
 *   (always absent) and reads nothing.
 * - countDistinctUsers (counting each user's matching events, for minEvents) and sumLatestPerUser
 *   scan the whole candidate range (reading `u`, and for the latter the `v` in the index or the `q:`
 *   field); latest scans each index newest first (ts desc, id desc) and stops at its first numeric
 *   value.
 */
export const QUERY_LUA = `${LUA_HELPERS}${ROLLUP_LUA}${QUERY_FILTER}${QUERY_PREDICATES}${QUERY_SCAN}${QUERY_OPS}`
