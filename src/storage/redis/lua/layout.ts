/**
 * The event scripts. Layout under the project base `B` = `{prefix}e:{kvKey(projectId)}:`:
 *
 * - `B ev:{id}`            HASH, one per event: `j` the event as JSON (what get/list return), and
 *                          the fields queries read without parsing JSON: `n` name, `t` timestamp,
 *                          `u` userId, `v` value, `g:{enc tag key}` tag value,
 *                          `q:{enc property key}` numeric property, `s:{enc property key}` any
 *                          other property, typed (`s…`, `b1`, `b0`, `z`, `o`), so a filter on a
 *                          property reads two fields, not the JSON. (The id is the key's last
 *                          segment, so it needs no encoding to stay unambiguous.)
 * - `B t`, `B t:{enc name}` ZSET time indexes of the project and of one name: score timestamp,
 *                          member `{id}\0{value}\0={userId}` (value empty, and no `=`, when null), so
 *                          a summary of values and a count of distinct users read the index alone.
 *                          Members written before userId joined them are `{id}\0{value}`: their
 *                          user is read from the event. Equal timestamps order by member, which is
 *                          by id (NUL sorts below every id character), so ZREVRANGE is
 *                          `ts desc, id desc`.
 * - `B names`              ZSET (scores 0) of the raw names: ZRANGEBYLEX answers a name prefix in
 *                          byte order, which is code point order.
 * - `B cid`                HASH client id → event id: the idempotency record.
 * - `B r:{src}:{lvl}:c`    HASH bucket start → count, and `B r:{src}:{lvl}:i` ZSET of the non-empty
 *                          bucket starts (for ranges). `src` is `*` (all names) or `n:{enc name}`,
 *                          each optionally followed by `:g:{enc tag key}:{enc tag value}`; levels
 *                          are `m` (minute) and `h` (hour) for counts, `h` for tag pairs.
 * - `B r:{src}:gv:{enc tag key}` ZSET (scores 0) of the raw values seen for that tag key.
 */
export const ROLLUP_LUA = `
local MINUTE, HOUR = 60000, 3600000
local function floorTo(ts, size) local r = math.fmod(ts, size); if r < 0 then r = r + size end; return ts - r end
`
