// A fragment of the event query script (`query.ts`).

/** Reading the time indexes (`scan`) and rollups (`rollup`) within the budget, and planning a range over rollup levels (`plan`, `pieces`). */
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
-- ascending (or descending) order by (ts, member), reading at most 1000 index entries at a time;
-- ends when visit returns true, pauses when the budget runs out. depth: the loops around it.
local function scan(idx, a, b, visit, descending, depth)
  local after = resumeAt(depth)
  if a >= b then return end
  local first = redis.call('ZCOUNT', idx, '-inf', bound(a, true))
  local last = redis.call('ZCOUNT', idx, '-inf', bound(b, true)) - 1
  if after then
    local before, present = placeOf(idx, after[1], after[2])
    if descending then last = math.min(last, before - 1) elseif present then first = math.max(first, before + 1) else first = math.max(first, before) end
  end
  local seenScore, seenMember = nil, nil
  if after then seenScore, seenMember = after[1], after[2] end
  local function each(chunk)
    local lo, hi, step = 1, #chunk - 1, 2
    if descending then lo, hi, step = #chunk - 1, 1, -2 end
    for k = lo, hi, step do
      if spent() then
        pause(depth, seenScore and { seenScore, seenMember } or nil)
        return true
      end
      local id, value, inlineUser = split(chunk[k])
      local pass = true
      local user = nil
      if not inlineValue then value = nil end
      if userOnly and inlineUser then
        if inlineUser ~= '' then user = string.sub(inlineUser, 2) end
        budget = budget - 1
      elseif #fields > 0 then
        local got = redis.call('HMGET', base .. 'ev:' .. id, unpack(fields))
        for c = 1, nChecks do if got[c] ~= checks[c] then pass = false; break end end
        if pass and hasWhere then pass = passesWhere(got, id, inlineUser ~= nil) end
        if extraAt then value = got[extraAt] end
        if userAt then user = got[userAt] end
        budget = budget - READ_COST
      elseif hasWhere then
        pass = passesWhere({}, id, inlineUser ~= nil)
        budget = budget - (inlineUser and 1 or READ_COST)
      else
        budget = budget - 1
      end
      seenScore, seenMember = chunk[k + 1], chunk[k]
      moved = true
      if pass and visit(id, chunk[k + 1], value, user) then return true end
    end
    return false
  end
  -- Never more entries read than the budget could visit.
  local cost = (#fields > 0 and not userOnly or hasWhere) and READ_COST or 1
  local function size() return math.max(1, math.min(1000, math.ceil(budget / cost))) end
  if descending then
    local s = last
    while s >= first do
      local e = math.max(first, s - size() + 1)
      if each(redis.call('ZRANGE', idx, e, s, 'WITHSCORES')) then return end
      s = e - 1
    end
  else
    local s = first
    while s <= last do
      local e = math.min(last, s + size() - 1)
      if each(redis.call('ZRANGE', idx, s, e, 'WITHSCORES')) then return end
      s = e + 1
    end
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
-- The plan as one list, read in this order: { level, lo, hi } for covered pieces, { nil, lo, hi } raw.
local function pieces(a, b, levels)
  local covered, raw = plan(a, b, levels)
  local all = {}
  for _, c in ipairs(covered) do all[#all + 1] = { c[1], c[3], c[4] } end
  for _, r in ipairs(raw) do all[#all + 1] = { nil, r[1], r[2] } end
  return all
end

-- Calls add(bucketStart, count) for every non-empty rollup bucket of src at level in [lo, hi),
-- after the cursor's bucket when it resumes here; pauses when the budget runs out.
local function rollup(src, level, lo, hi, add, depth)
  local after = resumeAt(depth)
  local starts = src .. ':' .. level .. ':i'
  local a = after and ('(' .. after) or bound(lo, false)
  while true do
    if spent() then pause(depth, after); return end
    local n = math.max(1, math.min(256, budget)) -- a clock check (spent) between every 256 buckets
    local chunk = redis.call('ZRANGEBYSCORE', starts, a, bound(hi, true), 'LIMIT', 0, n)
    if #chunk == 0 then return end
    budget = budget - #chunk
    moved = true
    local counts = redis.call('HMGET', src .. ':' .. level .. ':c', unpack(chunk))
    for k = 1, #chunk do add(tonumber(chunk[k]), tonumber(counts[k]) or 0) end
    after = chunk[#chunk]
    a = '(' .. after
    if #chunk < n then return end
  end
end

-- Each piece of one source in turn (the loop at \`depth\`): rollup buckets of src through add, raw
-- edges through scan and visit.
local function readPieces(s, src, all, add, visit, depth)
  for k = start(depth, 1), #all do
    path[depth] = k
    local piece = all[k]
    if piece[1] then rollup(src, piece[1], piece[2], piece[3], add, depth) else scan(s.idx, piece[2], piece[3], visit, false, depth) end
    if stopped then return end
  end
end

local function levelsFor(bucket, tagged)
  local levels = {}
  if bucket % HOUR == 0 then levels[#levels + 1] = { 'h', HOUR } end
  if not tagged and bucket % MINUTE == 0 then levels[#levels + 1] = { 'm', MINUTE } end
  return levels
end

`
