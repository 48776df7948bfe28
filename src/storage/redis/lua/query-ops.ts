// A fragment of the event query script (`query.ts`): each op, last.

/**
 * One block per operation. Each answers `answer({ cursor, partial answer... })`: the part of the
 * answer the entries it read give (a count, buckets, values, users...), which the caller adds to
 * those of the calls before (events.ts, chunks.ts) until the cursor is ''.
 */
export const QUERY_OPS = `
-- The loop over the sources is the outermost (level 1) of every op that reads in chunks. A source
-- costs a unit, so a call over many names with few events each still ends within the budget.
local function eachSource(read)
  local first = start(1, 1)
  for si = first, #sources do
    path[1] = si
    if si > first then moved = true end
    if spent() then pause(1, nil); return end
    budget = budget - 1
    read(sources[si], si)
    if stopped then return end
  end
end

if op == 'count' then
  local total = 0
  if not filtered then
    for _, s in ipairs(sources) do total = total + redis.call('ZCOUNT', s.idx, bound(from, false), bound(to, true)) end
  else
    -- With one tag pair, whole hours from its rollups; otherwise every event of the range.
    local all = rollupTag and pieces(from, to, { { 'h', HOUR } }) or { { nil, from, to } }
    eachSource(function(s)
      readPieces(s, rollupTag and (s.src .. rollupTag), all, function(_, n) total = total + n end, function() total = total + 1 end, 2)
    end)
  end
  return answer({ '', tostring(total) })
end

if op == 'countSeries' then
  -- Buckets of this call, unsorted (a bucket may come again in a later call).
  local bucket = tonumber(q.bucket)
  local series = {}
  local function add(ts, n) local b = floorTo(ts, bucket); series[b] = (series[b] or 0) + n end
  local levels = {}
  if not filtered then levels = levelsFor(bucket, false) elseif rollupTag then levels = levelsFor(bucket, true) end
  local all = pieces(from, to, levels)
  eachSource(function(s)
    readPieces(s, rollupTag and (s.src .. rollupTag) or s.src, all, add, function(_, ts) add(tonumber(ts), 1) end, 2)
  end)
  local out = { '' }
  for b, n in pairs(series) do out[#out + 1] = fmt(b); out[#out + 1] = tostring(n) end
  return answer(out)
end

if op == 'countByTag' then
  local counts = {}
  local function add(value, n) counts[value] = (counts[value] or 0) + n end
  local function visit(_, _, value) if value then add(value, 1) end end
  local encKey = enc(q.tagKey)
  local covered, raw = plan(from, to, { { 'h', HOUR } })
  -- Every value of the tag (level 3, in byte order), each over the covered hours (level 4).
  local function values(s)
    local gv = s.src .. ':gv:' .. encKey
    local at = start(3, nil)
    local lex = at and ('[' .. at) or '-'
    local later = false
    while true do
      local page = redis.call('ZRANGEBYLEX', gv, lex, '+', 'LIMIT', 0, 100)
      for _, value in ipairs(page) do
        path[3] = value
        if later then moved = true end
        later = true
        if spent() then pause(3, nil); return end
        budget = budget - 1
        local src = s.src .. ':g:' .. encKey .. ':' .. enc(value)
        for c = start(4, 1), #covered do
          path[4] = c
          local piece = covered[c]
          rollup(src, piece[1], piece[3], piece[4], function(_, n) add(value, n) end, 4)
          if stopped then return end
        end
      end
      if #page < 100 then return end
      lex = '(' .. page[#page]
    end
  end
  eachSource(function(s)
    if filtered then return scan(s.idx, from, to, visit, false, 1) end
    -- Piece 0: the values' rollups; pieces 1..: the raw edges.
    for k = start(2, 0), #raw do
      path[2] = k
      if k == 0 then
        if #covered > 0 then values(s) end
      else
        scan(s.idx, raw[k][1], raw[k][2], visit, false, 2)
      end
      if stopped then return end
    end
  end)
  local out = { '' }
  for value, n in pairs(counts) do if n > 0 then out[#out + 1] = value; out[#out + 1] = tostring(n) end end
  return answer(out)
end

if op == 'summarize' then
  -- The numeric values read, as stored (the caller sorts them all).
  local out = { '' }
  eachSource(function(s)
    scan(s.idx, from, to, function(_, _, value)
      if value and value ~= '' and tonumber(value) then out[#out + 1] = value end
    end, false, 1)
  end)
  return answer(out)
end

if op == 'page' then
  -- One source without filters: the page by rank, newest first; no scan.
  local limit, offset = tonumber(q.limit), tonumber(q.offset)
  local idx = sources[1].idx
  local total = redis.call('ZCOUNT', idx, bound(from, false), bound(to, true))
  local newest = redis.call('ZCOUNT', idx, '-inf', bound(to, true)) - 1
  local hi = newest - offset
  local lo = math.max(newest - total + 1, hi - limit + 1)
  local out = { '', tostring(total) }
  if limit > 0 and hi >= lo then
    local got = redis.call('ZRANGE', idx, lo, hi)
    for k = #got, 1, -1 do out[#out + 1] = redis.call('HGET', base .. 'ev:' .. (split(got[k])), 'j') end
  end
  return answer(out)
end

if op == 'listScan' then
  -- Each source newest first: how many events match, and the first q.want of them (id, ts); with
  -- q.stop a source is read only until it has q.want (the total is counted apart).
  local want = tonumber(q.want)
  local carried = resume and resume.f or 0
  local n = 0
  local out = { '', '' }
  eachSource(function(s)
    local found = carried
    carried = 0
    if q.stop and found >= want then return end
    scan(s.idx, from, to, function(id, ts)
      n = n + 1
      found = found + 1
      if found <= want then out[#out + 1] = id; out[#out + 1] = ts end
      return q.stop and found >= want
    end, true, 1)
    if stopped then stopped.f = found end
  end)
  out[2] = tostring(n)
  return answer(out)
end

if op == 'rows' then
  local out = { '' }
  for _, id in ipairs(q.ids) do out[#out + 1] = redis.call('HGET', base .. 'ev:' .. id, 'j') or '' end
  return answer(out)
end

if op == 'users' then
  -- Each user of this call's matching events, with how many it has here.
  local counts, order = {}, {}
  eachSource(function(s)
    scan(s.idx, from, to, function(_, _, _, user)
      if user then
        if not counts[user] then counts[user] = 0; order[#order + 1] = user end
        counts[user] = counts[user] + 1
      end
    end, false, 1)
  end)
  local out = { '' }
  for _, user in ipairs(order) do out[#out + 1] = user; out[#out + 1] = tostring(counts[user]) end
  return answer(out)
end

if op == 'latest' then
  -- Each source newest first (ts desc, id desc) until its first numeric value: ts, id, value.
  local out = { '' }
  eachSource(function(s)
    scan(s.idx, from, to, function(id, ts, value)
      if not (value and value ~= '' and tonumber(value)) then return false end
      out[#out + 1] = ts; out[#out + 1] = id; out[#out + 1] = value
      return true
    end, true, 1)
  end)
  return answer(out)
end

if op == 'latestPerUser' then
  -- Per source, each user's newest event of this call with a numeric value: user, ts, id, value.
  local out = { '' }
  eachSource(function(s)
    local seen = {}
    scan(s.idx, from, to, function(id, ts, value, user)
      if not user or seen[user] or not (value and value ~= '' and tonumber(value)) then return false end
      seen[user] = true
      out[#out + 1] = user; out[#out + 1] = ts; out[#out + 1] = id; out[#out + 1] = value
      return false
    end, true, 1)
  end)
  return answer(out)
end

return redis.error_reply('telltale: unknown event query ' .. tostring(op))
`
