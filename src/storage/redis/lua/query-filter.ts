// Fragments of the event query script (`query.ts` joins them in this order).

/** The script's start: the query, its range, the sources (time indexes and rollups of the matching names) and the fields a per-event filter reads. */
export const QUERY_FILTER = `
local base = ARGV[1]
local q = cjson.decode(ARGV[2])
local from = q.from and tonumber(q.from) or -math.huge
local to = q.to and tonumber(q.to) or math.huge
local function bound(x, open) if x == -math.huge then return '-inf' elseif x == math.huge then return '+inf' elseif open then return '(' .. fmt(x) else return fmt(x) end end

-- Sources: the time index and rollup base of each name, or of the whole project. A name prefix is
-- resolved to names by the caller, once per read: every call of a read has the same sources.
local sources = {}
if q.names then
  for _, name in ipairs(q.names) do sources[#sources + 1] = { idx = base .. 't:' .. enc(name), src = base .. 'r:n:' .. enc(name) } end
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
if op == 'summarize' or op == 'latest' or op == 'latestPerUser' then extra = fieldOf() elseif op == 'countByTag' then extra = 'g:' .. enc(q.tagKey) end
-- The value is in the index member: no read of the event for it.
local inlineValue = extra == 'v'
local extraAt, userAt = nil, nil
if extra and not inlineValue then fields[#fields + 1] = extra; extraAt = #fields end
if op == 'users' or op == 'latestPerUser' then fields[#fields + 1] = 'u'; userAt = #fields end

`

/** Metric predicates (`EventFilter.where`), checked event by event: `passesWhere`. */
export const QUERY_PREDICATES = `
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

`
