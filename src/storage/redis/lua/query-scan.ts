// A fragment of the event query script (`query.ts`), inside `run(q, users)`.

/** Reading the time indexes in chunks (`scan`), and planning a range over rollup levels (`plan`, `rollup`). */
export const QUERY_SCAN = `
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

`
