import { LUA_HELPERS } from './script'

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
const ROLLUP_LUA = `
local MINUTE, HOUR = 60000, 3600000
local function floorTo(ts, size) local r = math.fmod(ts, size); if r < 0 then r = r + size end; return ts - r end
`

/**
 * ARGV: base, then the batch as one JSON array (one argument, so the client encodes one string
 * instead of twenty per event), each event `[id, ts, name, client id ('' or '=' .. id), userId
 * ('' or '=' ..), value ('' or '=' ..), JSON, [tag key, tag value, ...], [numeric property key,
 * number, ...], [other property key, typed value, ...]]`, every scalar a string (numbers keep their
 * exact text; a typed value is `s` + a string, `b1`/`b0`, `z` for null, `o` for an object or array).
 * Checks every event first and writes only when all pass: the batch is atomic. Returns
 * [created, id for each input...].
 */
export const INSERT_LUA = `${LUA_HELPERS}${ROLLUP_LUA}
local base = ARGV[1]
local batch = cjson.decode(ARGV[2])
local n = #batch
local events = {}
for e = 1, n do
  local a = batch[e]
  local ev = { id = a[1], ts = a[2], name = a[3], cid = a[4], u = a[5], v = a[6], j = a[7], tags = {}, props = {} }
  local flat = a[8]
  for t = 1, #flat, 2 do ev.tags[#ev.tags + 1] = { flat[t], flat[t + 1] } end
  flat = a[9]
  for p = 1, #flat, 2 do ev.props[#ev.props + 1] = { flat[p], flat[p + 1] } end
  ev.scalars = a[10] or {}
  events[e] = ev
end

-- Check: a stored or repeated client id answers its first id; a new event's id must be new.
-- Stored client ids and existing event keys are looked up for the whole batch at once (one HMGET,
-- one EXISTS per 1000), not one call per event.
local cidKey = base .. 'cid'
local function chunked(command, key, list, each)
  for from = 1, #list, 1000 do
    local args = { command }
    if key then args[2] = key end
    for k = from, math.min(from + 999, #list) do args[#args + 1] = list[k] end
    each(redis.call(unpack(args)), from)
  end
end
local cids = {}
for e = 1, n do
  local ev = events[e]
  if ev.cid ~= '' then
    ev.cid = string.sub(ev.cid, 2)
    cids[#cids + 1] = ev.cid
  end
end
local storedCid = {}
chunked('HMGET', cidKey, cids, function(found, from)
  for k, id in ipairs(found) do if id then storedCid[cids[from + k - 1]] = id end end
end)
local ids, seenIds, seenCids, newKeys = {}, {}, {}, {}
local created = 0
for e = 1, n do
  local ev = events[e]
  local first = false
  if ev.cid ~= '' then
    first = seenCids[ev.cid] or storedCid[ev.cid]
    if not first then seenCids[ev.cid] = ev.id end
  end
  if first then
    ids[e + 1] = first
  else
    if seenIds[ev.id] then return redis.error_reply('telltale: event id ' .. ev.id .. ' appears twice in one insert; nothing was written') end
    seenIds[ev.id] = true
    newKeys[#newKeys + 1] = base .. 'ev:' .. ev.id
    ev.write = true
    ids[e + 1] = ev.id
    created = created + 1
  end
end
local clash = false
chunked('EXISTS', nil, newKeys, function(existing) clash = clash or existing > 0 end)
if clash then
  for _, key in ipairs(newKeys) do
    if redis.call('EXISTS', key) == 1 then
      return redis.error_reply('telltale: event id ' .. string.sub(key, #base + 4) .. ' is already stored in this project; nothing was written')
    end
  end
end

-- Names and tag keys repeat across a batch: each is encoded once.
local encoded = {}
local function encm(s)
  local e = encoded[s]
  if not e then e = enc(s); encoded[s] = e end
  return e
end

-- Rollup increments and index entries are gathered over the batch first, then written with one
-- HINCRBY per distinct bucket and one ZADD per index (per 1000 entries): events that arrive
-- together mostly share their minute, hour, name and tags.
local bumps, bumpOrder = {}, {}
local function bump(counter, b, newKey, newMember)
  local slots = bumps[counter]
  if not slots then slots = {}; bumps[counter] = slots end
  local entry = slots[b]
  if not entry then
    entry = { counter, b, 0, newKey, newMember }
    slots[b] = entry
    bumpOrder[#bumpOrder + 1] = entry
  end
  entry[3] = entry[3] + 1
end
-- Rollup key names per name and per name + tag pair, built once per batch.
local allKeys = { m = base .. 'r:*:m', h = base .. 'r:*:h' }
local nameKeys, tagKeys = {}, {}
local function keysOfName(name)
  local k = nameKeys[name]
  if not k then
    local named = base .. 'r:n:' .. encm(name)
    k = { named = named, m = named .. ':m', h = named .. ':h', t = base .. 't:' .. encm(name) }
    nameKeys[name] = k
  end
  return k
end
local function keysOfTag(name, tagKey, tagValue)
  local id = name .. '\0' .. tagKey .. '\0' .. tagValue
  local k = tagKeys[id]
  if not k then
    local named = keysOfName(name).named
    local pair = ':g:' .. encm(tagKey) .. ':' .. encm(tagValue)
    k = { all = base .. 'r:*' .. pair .. ':h', named = named .. pair .. ':h', allValues = base .. 'r:*:gv:' .. encm(tagKey), namedValues = named .. ':gv:' .. encm(tagKey) }
    tagKeys[id] = k
  end
  return k
end
local zadds, zaddOrder = {}, {}
local newCids = {}
local function zadd(key, score, member)
  local list = zadds[key]
  if not list then list = {}; zadds[key] = list; zaddOrder[#zaddOrder + 1] = key end
  list[#list + 1] = score
  list[#list + 1] = member
end

for e = 1, n do
  local ev = events[e]
  if ev.write then
    local key = base .. 'ev:' .. ev.id
    local ts = tonumber(ev.ts)
    local hset = { 'HSET', key, 'j', ev.j, 'n', ev.name, 't', ev.ts }
    if ev.u ~= '' then hset[#hset + 1] = 'u'; hset[#hset + 1] = string.sub(ev.u, 2) end
    if ev.v ~= '' then hset[#hset + 1] = 'v'; hset[#hset + 1] = string.sub(ev.v, 2) end
    for _, tag in ipairs(ev.tags) do hset[#hset + 1] = 'g:' .. encm(tag[1]); hset[#hset + 1] = tag[2] end
    for _, prop in ipairs(ev.props) do hset[#hset + 1] = 'q:' .. encm(prop[1]); hset[#hset + 1] = prop[2] end
    local sc = ev.scalars
    for p = 1, #sc, 2 do hset[#hset + 1] = 's:' .. encm(sc[p]); hset[#hset + 1] = sc[p + 1] end
    -- One HSET per event; field by field past what unpack can spread (Lua's C stack).
    if #hset <= 4000 then
      redis.call(unpack(hset))
    else
      for f = 3, #hset, 2 do redis.call('HSET', key, hset[f], hset[f + 1]) end
    end
    -- The user as sent (\`=\` then the id, or empty for none): the empty user id is a user.
    local member = ev.id .. '\0' .. string.sub(ev.v, 2) .. '\0' .. ev.u
    local names = keysOfName(ev.name)
    zadd(base .. 't', ev.ts, member)
    zadd(names.t, ev.ts, member)
    if ev.cid ~= '' then
      newCids[#newCids + 1] = ev.cid
      newCids[#newCids + 1] = ev.id
    end
    local minute, hour = fmt(floorTo(ts, MINUTE)), fmt(floorTo(ts, HOUR))
    bump(allKeys.m, minute)
    bump(allKeys.h, hour)
    -- A new minute of a name may be a new name; a new hour of a tag pair a new value of the tag.
    bump(names.m, minute, base .. 'names', ev.name)
    bump(names.h, hour)
    for _, tag in ipairs(ev.tags) do
      local tags = keysOfTag(ev.name, tag[1], tag[2])
      bump(tags.all, hour, tags.allValues, tag[2])
      bump(tags.named, hour, tags.namedValues, tag[2])
    end
  end
end

chunked('HSET', cidKey, newCids, function() end)
for _, key in ipairs(zaddOrder) do
  local list = zadds[key]
  for from = 1, #list, 2000 do
    local args = { 'ZADD', key }
    for k = from, math.min(from + 1999, #list) do args[#args + 1] = list[k] end
    redis.call(unpack(args))
  end
end
-- A counter that reaches exactly what this batch added is a new bucket: only then is it added to
-- its range index (and its name or tag value to theirs).
for _, entry in ipairs(bumpOrder) do
  if redis.call('HINCRBY', entry[1] .. ':c', entry[2], entry[3]) == entry[3] then
    redis.call('ZADD', entry[1] .. ':i', entry[2], entry[2])
    if entry[4] then redis.call('ZADD', entry[4], 0, entry[5]) end
  end
end
ids[1] = tostring(created)
return ids`

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
export const QUERY_LUA = `${LUA_HELPERS}${ROLLUP_LUA}
local base = ARGV[1]

-- One query q (one filter and its op). countDistinctUsers adds each matching event to users
-- (user id -> events seen), a table the filters of countDistinctUsersInAny share. (Its body is
-- not indented: it was the whole script before countDistinctUsersInAny ran it once per filter.)
local function run(q, users)
local from = q.from and tonumber(q.from) or -math.huge
local to = q.to and tonumber(q.to) or math.huge
local function bound(x, open) if x == -math.huge then return '-inf' elseif x == math.huge then return '+inf' elseif open then return '(' .. fmt(x) else return fmt(x) end end

-- Sources: the time index and rollup base of each matching name, or of the whole project.
local sources = {}
if q.names or q.prefix then
  local names
  if q.prefix then
    names = redis.call('ZRANGEBYLEX', base .. 'names', '[' .. q.prefix, q.upper and ('(' .. q.upper) or '+')
    if q.names then
      local wanted = {}
      for _, name in ipairs(q.names) do wanted[name] = true end
      local both = {}
      for _, name in ipairs(names) do if wanted[name] then both[#both + 1] = name end end
      names = both
    end
  else
    names = q.names
  end
  for _, name in ipairs(names) do sources[#sources + 1] = { idx = base .. 't:' .. enc(name), src = base .. 'r:n:' .. enc(name) } end
else
  sources[1] = { idx = base .. 't', src = base .. 'r:*' }
end

-- Per-event filters (these make a query scan): fields read with one HMGET per candidate.
local tags = q.tags or {}
local preds = q.where or {}
local hasWhere = #preds > 0
local fields, checks = {}, {}
if q.userId then fields[#fields + 1] = 'u'; checks[#checks + 1] = q.userId end
local rollupTag = nil
if not q.userId and not hasWhere and #tags == 1 then
  rollupTag = ':g:' .. enc(tags[1][1]) .. ':' .. enc(tags[1][2])
end
for _, tag in ipairs(tags) do fields[#fields + 1] = 'g:' .. enc(tag[1]); checks[#checks + 1] = tag[2] end
local nChecks = #fields
-- Anything that filters event by event (rollups and plain index counts cannot answer it).
local filtered = nChecks > 0 or hasWhere
local op = q.op
local extra = nil
local fieldOf = function() return q.property and ('q:' .. enc(q.property)) or 'v' end
if op == 'summarize' or op == 'latest' or op == 'sumLatestPerUser' then extra = fieldOf() elseif op == 'countByTag' then extra = 'g:' .. enc(q.tagKey) end
-- The value is in the index member: no read of the event for it.
local inlineValue = extra == 'v'
local extraAt, userAt = nil, nil
if extra and not inlineValue then fields[#fields + 1] = extra; extraAt = #fields end
if op == 'countDistinctUsers' or op == 'sumLatestPerUser' then fields[#fields + 1] = 'u'; userAt = #fields end

-- Predicates (EventPredicate): each { f = 'v' | 'u' | 'p' | 'x' (absent: a NUL key), k = property
-- key, op, s = { typed scalars } or n = number }, a typed scalar { 'n', text } | { 's', text } |
-- { 'b', '1' | '0' } | { 'z' } (null), so no JSON type is lost crossing cjson. A field read is
-- typed the same way: nil (absent), 'z', 'n', 's', 'b', or 'o' (object or array, equal to nothing).
local predV, predU = nil, nil
local propAt = {} -- property key -> position of its q: field (its s: field follows)
for _, p in ipairs(preds) do
  if p.f == 'v' and not predV then fields[#fields + 1] = 'v'; predV = #fields end
  if p.f == 'u' and not predU then fields[#fields + 1] = 'u'; predU = #fields end
  if p.f == 'p' then
    if not propAt[p.k] then
      fields[#fields + 1] = 'q:' .. enc(p.k)
      propAt[p.k] = #fields
      fields[#fields + 1] = 's:' .. enc(p.k)
    end
    p.at = propAt[p.k]
  end
  if p.s then
    for k, sc in ipairs(p.s) do
      local t = sc[1]
      if t == 'n' then p.s[k] = { 'n', tonumber(sc[2]) } elseif t == 'b' then p.s[k] = { 'b', sc[2] == '1' } elseif t == 'z' then p.s[k] = { 'z' } else p.s[k] = { 's', sc[2] } end
    end
  end
  if p.n then p.n = tonumber(p.n) end
end
local function typed(x)
  if x == nil then return nil end
  if x == cjson.null then return 'z' end
  local t = type(x)
  if t == 'string' then return 's' elseif t == 'number' then return 'n' elseif t == 'boolean' then return 'b' end
  return 'o'
end
local function eqScalar(t, x, sc)
  if sc[1] == 'z' then return t == nil or t == 'z' end
  return t == sc[1] and x == sc[2]
end
-- Whether the event whose HMGET answer is got passes every predicate. An event written before
-- properties had fields of their own (\`modern\` false: its index member is the old form) is read
-- from its JSON, decoded once.
local function passesWhere(got, id, modern)
  local props = false
  for _, p in ipairs(preds) do
    local t, x = nil, nil
    if p.f == 'v' then
      local raw = got[predV]
      if raw then t, x = 'n', tonumber(raw) end
    elseif p.f == 'u' then
      local raw = got[predU]
      if raw then t, x = 's', raw end
    elseif p.f == 'p' and modern then
      local number, other = got[p.at], got[p.at + 1]
      if number then
        t, x = 'n', tonumber(number)
      elseif other then
        local c = string.sub(other, 1, 1)
        if c == 's' then t, x = 's', string.sub(other, 2) elseif c == 'b' then t, x = 'b', other == 'b1' elseif c == 'z' then t = 'z' else t = 'o' end
      end
    elseif p.f == 'p' then
      if props == false then
        props = nil
        local raw = redis.call('HGET', base .. 'ev:' .. id, 'j')
        if raw then
          local ev = cjson.decode(raw)
          if type(ev) == 'table' and type(ev.properties) == 'table' then props = ev.properties end
        end
      end
      if props then x = props[p.k]; t = typed(x) end
    end
    local ok
    if p.op == 'eq' or p.op == 'neq' then
      ok = eqScalar(t, x, p.s[1])
      if p.op == 'neq' then ok = not ok end
    elseif p.op == 'in' then
      ok = false
      for _, sc in ipairs(p.s) do if eqScalar(t, x, sc) then ok = true; break end end
    elseif t ~= 'n' then
      ok = false
    elseif p.op == 'gt' then ok = x > p.n
    elseif p.op == 'gte' then ok = x >= p.n
    elseif p.op == 'lt' then ok = x < p.n
    elseif p.op == 'lte' then ok = x <= p.n
    else
      ok = false
    end
    if not ok then return false end
  end
  return true
end

-- id, value text, and the user part: '=' then the userId, '' for none, nil in a member written
-- before members held it.
local function split(member)
  local sep = string.find(member, '\0', 1, true)
  local second = string.find(member, '\0', sep + 1, true)
  if not second then return string.sub(member, 1, sep - 1), string.sub(member, sep + 1), nil end
  return string.sub(member, 1, sep - 1), string.sub(member, sep + 1, second - 1), string.sub(member, second + 1)
end
-- The user is the only field read: a member that holds it needs no read of the event.
local userOnly = #fields == 1 and userAt == 1 and nChecks == 0 and not hasWhere

-- Calls visit(id, ts, extraField, userId) for every event of idx in [a, b) passing the filters, in
-- ascending (or descending) order, reading 1000 index entries at a time; stops when visit returns true.
local function scan(idx, a, b, visit, descending)
  if a >= b then return end
  local first = redis.call('ZCOUNT', idx, '-inf', bound(a, true))
  local last = redis.call('ZCOUNT', idx, '-inf', bound(b, true)) - 1
  local function each(chunk)
    local lo, hi, step = 1, #chunk - 1, 2
    if descending then lo, hi, step = #chunk - 1, 1, -2 end
    for k = lo, hi, step do
      local id, value, inlineUser = split(chunk[k])
      local pass = true
      local user = nil
      if not inlineValue then value = nil end
      if userOnly and inlineUser then
        if inlineUser ~= '' then user = string.sub(inlineUser, 2) end
      elseif #fields > 0 then
        local got = redis.call('HMGET', base .. 'ev:' .. id, unpack(fields))
        for c = 1, nChecks do if got[c] ~= checks[c] then pass = false; break end end
        if pass and hasWhere then pass = passesWhere(got, id, inlineUser ~= nil) end
        if extraAt then value = got[extraAt] end
        if userAt then user = got[userAt] end
      elseif hasWhere then
        pass = passesWhere({}, id, inlineUser ~= nil)
      end
      if pass and visit(id, chunk[k + 1], value, user) then return true end
    end
    return false
  end
  if descending then
    local s = last
    while s >= first do
      local e = math.max(first, s - 999)
      if each(redis.call('ZRANGE', idx, e, s, 'WITHSCORES')) then return end
      s = e - 1
    end
  else
    for s = first, last, 1000 do if each(redis.call('ZRANGE', idx, s, math.min(s + 999, last), 'WITHSCORES')) then return end end
  end
end

-- Splits [a, b) into whole buckets of the coarsest level first, finer levels at the edges, and
-- raw edges no level covers. Returns { {level, size, lo, hi}... } and { {lo, hi}... }.
local function plan(a, b, levels)
  local covered, raw = {}, {}
  local function split(lo, hi, k)
    if lo >= hi then return end
    local level = levels[k]
    if not level then raw[#raw + 1] = { lo, hi }; return end
    local size = level[2]
    local lo2 = lo == -math.huge and lo or (lo == floorTo(lo, size) and lo or floorTo(lo, size) + size)
    local hi2 = hi == math.huge and hi or floorTo(hi, size)
    if lo2 < hi2 then
      covered[#covered + 1] = { level[1], size, lo2, hi2 }
      split(lo, lo2, k + 1)
      split(hi2, hi, k + 1)
    else
      split(lo, hi, k + 1)
    end
  end
  split(a, b, 1)
  return covered, raw
end

-- Calls add(bucketStart, count) for every non-empty rollup bucket of src at level in [lo, hi).
local function rollup(src, level, lo, hi, add)
  local starts = redis.call('ZRANGEBYSCORE', src .. ':' .. level .. ':i', bound(lo, false), bound(hi, true))
  for s = 1, #starts, 1000 do
    local chunk = {}
    for k = s, math.min(s + 999, #starts) do chunk[#chunk + 1] = starts[k] end
    local counts = redis.call('HMGET', src .. ':' .. level .. ':c', unpack(chunk))
    for k = 1, #chunk do add(tonumber(chunk[k]), tonumber(counts[k]) or 0) end
  end
end

local function levelsFor(bucket, tagged)
  local levels = {}
  if bucket % HOUR == 0 then levels[#levels + 1] = { 'h', HOUR } end
  if not tagged and bucket % MINUTE == 0 then levels[#levels + 1] = { 'm', MINUTE } end
  return levels
end

local function count()
  local total = 0
  if not filtered then
    for _, s in ipairs(sources) do total = total + redis.call('ZCOUNT', s.idx, bound(from, false), bound(to, true)) end
  elseif rollupTag then
    local covered, raw = plan(from, to, { { 'h', HOUR } })
    for _, s in ipairs(sources) do
      for _, c in ipairs(covered) do rollup(s.src .. rollupTag, c[1], c[3], c[4], function(_, n) total = total + n end) end
      for _, r in ipairs(raw) do scan(s.idx, r[1], r[2], function() total = total + 1 end) end
    end
  else
    for _, s in ipairs(sources) do scan(s.idx, from, to, function() total = total + 1 end) end
  end
  return total
end

if op == 'count' then return tostring(count()) end

if op == 'countSeries' then
  local bucket = tonumber(q.bucket)
  local series = {}
  local function add(ts, n) local b = floorTo(ts, bucket); series[b] = (series[b] or 0) + n end
  local levels = {}
  if not filtered then levels = levelsFor(bucket, false) elseif rollupTag then levels = levelsFor(bucket, true) end
  local covered, raw = plan(from, to, levels)
  for _, s in ipairs(sources) do
    local src = rollupTag and (s.src .. rollupTag) or s.src
    for _, c in ipairs(covered) do rollup(src, c[1], c[3], c[4], add) end
    for _, r in ipairs(raw) do scan(s.idx, r[1], r[2], function(_, ts) add(tonumber(ts), 1) end) end
  end
  local starts = {}
  for b in pairs(series) do starts[#starts + 1] = b end
  table.sort(starts)
  local out = {}
  for _, b in ipairs(starts) do out[#out + 1] = fmt(b); out[#out + 1] = tostring(series[b]) end
  return out
end

if op == 'countByTag' then
  local counts = {}
  local function add(value, n) counts[value] = (counts[value] or 0) + n end
  local encKey = enc(q.tagKey)
  for _, s in ipairs(sources) do
    if not filtered then
      -- Whole hours from each value's rollup, the partial hours at the edges scanned once.
      local covered, raw = plan(from, to, { { 'h', HOUR } })
      if #covered > 0 then
        for _, value in ipairs(redis.call('ZRANGE', s.src .. ':gv:' .. encKey, 0, -1)) do
          for _, c in ipairs(covered) do rollup(s.src .. ':g:' .. encKey .. ':' .. enc(value), c[1], c[3], c[4], function(_, n) add(value, n) end) end
        end
      end
      for _, r in ipairs(raw) do scan(s.idx, r[1], r[2], function(_, _, value) if value then add(value, 1) end end) end
    else
      scan(s.idx, from, to, function(_, _, value) if value then add(value, 1) end end)
    end
  end
  local out = {}
  for value, n in pairs(counts) do if n > 0 then out[#out + 1] = value; out[#out + 1] = tostring(n) end end
  return out
end

if op == 'summarize' then
  local values = {}
  for _, s in ipairs(sources) do
    scan(s.idx, from, to, function(_, _, value)
      local x = value and value ~= '' and tonumber(value)
      if x then values[#values + 1] = x end
    end)
  end
  local n = #values
  if n == 0 then return { '0' } end
  table.sort(values)
  local sum = 0
  for k = 1, n do sum = sum + values[k] end
  local avg
  local sumOut
  if sum == sum and sum ~= math.huge and sum ~= -math.huge then
    sumOut = fmt(sum)
    avg = sum / n
  else
    -- Beyond the double range along the way: the sum scaled down by 2^64 (exact for doubles), and
    -- the average as the sum of x / n, which cannot overflow.
    local scale = 2 ^ 64
    local scaled = 0
    for k = 1, n do scaled = scaled + values[k] / scale end
    local back = scaled * scale
    sumOut = (back == back and back ~= math.huge and back ~= -math.huge) and fmt(back) or ''
    avg = 0
    for k = 1, n do avg = avg + values[k] / n end
  end
  local out = { tostring(n), sumOut, fmt(avg), fmt(values[1]), fmt(values[n]) }
  for _, p in ipairs(q.percentiles or {}) do
    local rank = math.min(n, math.max(1, math.ceil(tonumber(p) * n / 100)))
    out[#out + 1] = fmt(values[rank])
  end
  return out
end

if op == 'list' then
  local limit, offset = tonumber(q.limit), tonumber(q.offset)
  local page = {}
  local total = 0
  if not filtered then
    -- The newest offset + limit of each index, merged: no scan.
    local merged = {}
    for _, s in ipairs(sources) do
      total = total + redis.call('ZCOUNT', s.idx, bound(from, false), bound(to, true))
      if offset + limit > 0 then
        local got = redis.call('ZREVRANGEBYSCORE', s.idx, bound(to, true), bound(from, false), 'WITHSCORES', 'LIMIT', 0, fmt(offset + limit))
        for k = 1, #got, 2 do merged[#merged + 1] = { (split(got[k])), tonumber(got[k + 1]) } end
      end
    end
    if #sources > 1 then table.sort(merged, function(x, y) if x[2] ~= y[2] then return x[2] > y[2] end return x[1] > y[1] end) end
    for k = offset + 1, math.min(#merged, offset + limit) do page[#page + 1] = merged[k][1] end
  else
    -- With one tag pair the total comes from the rollups and each index is scanned from the newest
    -- only until it has offset + limit matches; otherwise every candidate is scanned for the total.
    local stopAt = rollupTag and (offset + limit) or math.huge
    local matches = {}
    for _, s in ipairs(sources) do
      local found = 0
      if stopAt > 0 then
        scan(s.idx, from, to, function(id, ts)
          matches[#matches + 1] = { id, tonumber(ts) }
          found = found + 1
          return found >= stopAt
        end, true)
      end
    end
    if #sources > 1 then table.sort(matches, function(x, y) if x[2] ~= y[2] then return x[2] > y[2] end return x[1] > y[1] end) end
    total = rollupTag and count() or #matches
    for k = offset + 1, math.min(#matches, offset + limit) do page[#page + 1] = matches[k][1] end
  end
  local out = { tostring(total) }
  for _, id in ipairs(page) do out[#out + 1] = redis.call('HGET', base .. 'ev:' .. id, 'j') end
  return out
end

-- An event's place in "newest first": greater timestamp, then greater id.
local function newer(ts, id, best) return ts > best[1] or (ts == best[1] and id > best[2]) end

if op == 'countDistinctUsers' then
  -- A user counts when its events reach minEvents (once: on reaching it exactly).
  local min, n = tonumber(q.minEvents or '1'), 0
  for _, s in ipairs(sources) do
    scan(s.idx, from, to, function(_, _, _, user)
      if user then
        local seen = (users[user] or 0) + 1
        users[user] = seen
        if seen == min then n = n + 1 end
      end
    end)
  end
  return tostring(n)
end

if op == 'latest' then
  -- Each index newest first (ts desc, id desc), stopping at its first numeric value.
  local best = nil
  for _, s in ipairs(sources) do
    scan(s.idx, from, to, function(id, ts, value)
      local x = value and value ~= '' and tonumber(value)
      if not x then return false end
      ts = tonumber(ts)
      if not best or newer(ts, id, best) then best = { ts, id, x } end
      return true
    end, true)
  end
  if not best then return '' end
  return fmt(best[3])
end

if op == 'sumLatestPerUser' then
  local latest, users = {}, {}
  for _, s in ipairs(sources) do
    scan(s.idx, from, to, function(id, ts, value, user)
      if not user then return false end
      local x = value and value ~= '' and tonumber(value)
      if not x then return false end
      ts = tonumber(ts)
      local best = latest[user]
      if not best then
        latest[user] = { ts, id, x }
        users[#users + 1] = user
      elseif newer(ts, id, best) then
        latest[user] = { ts, id, x }
      end
      return false
    end, true)
  end
  local n = #users
  if n == 0 then return { '0', '' } end
  local values = {}
  for k = 1, n do values[k] = latest[users[k]][3] end
  -- Ascending, as summarize sums (a fixed order, so the same values give the same sum).
  table.sort(values)
  local sum = 0
  for k = 1, n do sum = sum + values[k] end
  if sum ~= sum or sum == math.huge or sum == -math.huge then
    local scale = 2 ^ 64
    local scaled = 0
    for k = 1, n do scaled = scaled + values[k] / scale end
    sum = scaled * scale
  end
  if sum ~= sum or sum == math.huge or sum == -math.huge then return { tostring(n), '' } end
  return { tostring(n), fmt(sum) }
end

return redis.error_reply('telltale: unknown event query ' .. tostring(op))
end

local q = cjson.decode(ARGV[2])
if q.op == 'countDistinctUsersInAny' then
  local users, n = {}, 0
  for _, filter in ipairs(q.filters) do
    filter.op = 'countDistinctUsers'
    run(filter, users)
  end
  for _ in pairs(users) do n = n + 1 end
  return tostring(n)
end
return run(q, {})`
