import { LUA_HELPERS } from '../script'
import { ROLLUP_LUA } from './layout'
import { QUERY_FILTER, QUERY_PREDICATES } from './query-filter'
import { QUERY_OPS } from './query-ops'
import { QUERY_RESUME } from './query-resume'
import { QUERY_SCAN } from './query-scan'

/**
 * ARGV: base, query JSON `{ op, budget, from?, to?, names?, userId?, tags: [[k, v]...], bucket?,
 * tagKey?, property?, want?, stop?, limit?, offset?, ids?, where?: [predicate...] }` (numbers as
 * strings; predicates typed as described at `passesWhere`), cursor ('' to start; see QUERY_RESUME).
 * A name prefix arrives resolved into `names`. Answers `[cursor, partial answer...]`: a read that
 * needs more than `budget` units is several calls, each given the cursor of the one before
 * (events.ts loops, and adds the partial answers up).
 *
 * What reads what (names only pick which time indexes and rollups are read):
 * - count without userId/tags: ZCOUNT on each name's time index (or the project's). One call.
 * - Rollups for the whole buckets inside the range, the partial buckets at its edges scanned (at
 *   most two hours, or two minutes, of events): count with one tag pair; countSeries with a bucket
 *   that is a multiple of a minute (of an hour with one tag pair); countByTag without userId/tags.
 * - page (a list without userId/tags from one index): ZCOUNT and ZRANGE by rank. One call.
 * - listScan: each index newest first, counting the matches and answering the first `want` (ids
 *   and timestamps; the caller merges the indexes and reads the page's events with `rows`); with
 *   `stop` (no per-event filter, or one tag pair, whose total is a count) an index is read only
 *   until it has `want`.
 * - Scanned over the whole candidate range (one HMGET per event for the filtered fields): anything
 *   with userId, `where` predicates or several tag pairs, countByTag with a tag filter, countSeries
 *   with a bucket that is not a multiple of a minute (reads only the index), and summarize always:
 *   exact percentiles need every value (of `value` it reads the index alone, of a property one field
 *   per event; the caller sorts them).
 * - `where` (any predicate) turns every op into that scan: no rollup or index count knows a
 *   property. Predicates on `value`/`userId` read the `v`/`u` fields; a property predicate reads its
 *   `q:`/`s:` fields, or for an event written before those existed `j`, decoded once. A NUL
 *   property key arrives as `x` (always absent) and reads nothing.
 * - users (distinct users, counting each one's matching events, for minEvents) and latestPerUser
 *   scan the whole candidate range (reading `u`, and for the latter the `v` in the index or the `q:`
 *   field); latest scans each index newest first (ts desc, id desc) and stops at its first numeric
 *   value.
 */
export const QUERY_LUA = `${LUA_HELPERS}${ROLLUP_LUA}${QUERY_FILTER}${QUERY_PREDICATES}${QUERY_RESUME}${QUERY_SCAN}${QUERY_OPS}`
