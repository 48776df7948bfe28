// A fragment of the event query script (`query.ts`): each op of `run(q, users)`, then the entry.

/** One block per operation (count, series, by tag, list, summarize, the metric aggregations), then the entry: one query, or for countDistinctUsersInAny one per filter. */
export const QUERY_OPS = `
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
return run(q, {})
`
