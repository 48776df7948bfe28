// A fragment of the event query script (`query.ts`): how one read is spread over several calls.

/**
 * The budget of a call, the cursor it answers when the budget runs out, and going back to that
 * cursor in the next call (`start`, `resumeAt`, `pause`); placing a cursor entry in a time index
 * (`placeOf`).
 */
export const QUERY_RESUME = `
-- Issue 16: no call holds Redis for long. A call spends at most q.budget units (an index entry
-- costs 1, an entry whose event is read READ_COST, a rollup bucket, a tag value or a name 1) and
-- at most q.ms milliseconds by the server's clock (checked every 256 units: a server short of CPU
-- does less per call), and then pauses: its reply starts with the cursor, the position of each
-- loop around the read it paused in (outermost first, \`p\`) and the last entry or bucket that read
-- visited (\`i\`), as JSON. The next call (ARGV[3] the cursor) goes down the same loops to that read
-- and reads on after that entry. '' when the read is complete. Ops keep no state across calls but
-- what \`pause\` records: every partial answer goes back to the caller, who adds them up.
local READ_COST = 4
local budget = tonumber(q.budget)
local began = redis.call('TIME')
local clockAt = budget - 256
-- Whether this call has gone past where it started (read an entry or a bucket, or moved on to a
-- later source or tag value): only then may it pause, so every call makes progress.
local moved = false
-- Whether this call must pause now: the budget is spent, or the time is up.
local function spent()
  if not moved then return false end
  if budget <= 0 then return true end
  if budget > clockAt then return false end
  clockAt = budget - 256
  local now = redis.call('TIME')
  return (now[1] - began[1]) * 1000000 + (now[2] - began[2]) >= tonumber(q.ms) * 1000
end
local resume = nil
if ARGV[3] and ARGV[3] ~= '' then resume = cjson.decode(ARGV[3]) end
local path, stopped = {}, nil

-- Where the loop at \`level\` starts: the cursor's position on the way back down to it, else default.
local function start(level, default)
  if not resume then return default end
  for l = 1, level - 1 do if path[l] ~= resume.p[l] then return default end end
  local at = resume.p[level]
  if at == nil then return default end
  return at
end
-- The entry to read on after, in the read at \`depth\` (the loops around it at path[1..depth]), or
-- nil to read from its start. The first read reached takes the cursor: every later one starts anew.
local function resumeAt(depth)
  local r = resume
  resume = nil
  if not r then return nil end
  for l = 1, depth do if path[l] ~= r.p[l] then return nil end end
  return r.i
end
-- The budget ran out in the read at \`depth\`, after \`inner\` (nil: before its first entry).
local function pause(depth, inner)
  local p = {}
  for l = 1, depth do p[l] = path[l] end
  stopped = { p = p, i = inner }
end
-- The reply: the cursor ('' when complete), then the op's partial answer.
local function answer(out)
  out[1] = stopped and cjson.encode(stopped) or ''
  return out
end

-- x < y in byte order, as Redis orders members (Lua's < follows the server's collation locale).
local function bytesBefore(x, y)
  for k = 1, math.min(#x, #y) do
    local a, b = string.byte(x, k), string.byte(y, k)
    if a ~= b then return a < b end
  end
  return #x < #y
end
-- How many entries of idx sort before (score, member), and whether that member is still there.
-- One that left (written over, deleted) is placed among the entries of its score by binary search.
local function placeOf(idx, score, member)
  local s = redis.call('ZSCORE', idx, member)
  if s and tonumber(s) == tonumber(score) then return redis.call('ZRANK', idx, member), true end
  local lo = redis.call('ZCOUNT', idx, '-inf', '(' .. score)
  local hi = redis.call('ZCOUNT', idx, '-inf', score)
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if bytesBefore(redis.call('ZRANGE', idx, mid, mid)[1], member) then lo = mid + 1 else hi = mid end
  end
  return lo, false
end

`
