import { LUA_HELPERS } from '../script'
import { ROLLUP_LUA } from './layout'

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
