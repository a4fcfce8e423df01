#pragma once

#include <string>

// The Lua script the Redis journal runs once per batch (persistence/redis_journal.cpp), here
// so that its contract can be tested against a real Redis on its own.
//
// One call per batch, atomic against other clients. ARGV: the writer's epoch; the batch's
// number; the writes, grouped by hash (the number of hashes, then for each: its key, the
// number of fields, then field, value pairs; an empty value deletes its field, and an empty
// field with it the whole key, after the batch's other writes to it: a case moving to or from
// the archive is deleted from one hash and written to the other in the same call, a directive
// archived loses its receipts' hash); then the archived cases' figures (below); then the
// batch's events, packed into one entry of
// the event stream whose id is the last event's sequence number (trim below, that number, the
// packed events; "" when the batch has none); then its answered requests likewise, numbered by
// the journal's request counter.
//
// Returns, writing nothing unless it says 1 for a batch not stored before:
//   -1  the store holds no writer epoch at all (it was emptied, or restarted without its data);
//    0  another writer took the store over (a newer epoch): this hub's state is stale;
//    1  stored — or stored already: a batch sent again after a lost reply finds its number
//       at or below hub:meta's `batch` and is not written twice;
//    2  the batch before this one is not stored: batches are pipelined, and when Redis
//       refuses one (an error reply: out of memory, say) the next may arrive anyway; applying
//       it would store a later state without the earlier one, and the earlier one, sent
//       again, would then write older values over newer ones and lose its place in the
//       event log. The journal sends both again, in order.
// A Lua error part-way leaves the writes made before it (Redis does not roll a script back);
// the batch's number is stored last, so the same batch sent again completes them.
//
// The figures (records.hpp, keys::figure_day; persistence/README.md, "The figures"): the day
// the store may fold up to (`fold`, a first of a month; 0: none), the number of day groups,
// then for each: its day, the first day of its month, the number of units, then unit, packed
// counts pairs (records.hpp, pack_counts), added counter by counter to the unit's field in the
// day's hash — or in its month's when hub:meta `folded` is past the day — a field falling to
// all zeros deleted, a counter never below 0. Then, when `fold` is past `folded`, the day
// hashes before `fold` are merged into their months' and deleted, oldest first, about
// `fold_budget` fields and 1,000 days a batch (a city's day is thousands of fields; the rest goes
// with the next batches), and `folded` moves to the first day not folded. All of it in this one
// call, in batch order: a batch sent again after a lost reply is not applied twice (above), so
// neither is a fold.

namespace hub::persistence {

/// The Lua functions that add packed counts to the figures' hashes (batch_script and the
/// conversion of the earlier layout, recovery.cpp): add(key, field, packed) and
/// add_groups(a, i, folded) -> the index after the groups (the layout above).
inline constexpr const char* figure_functions = R"lua(
local function add(key, field, delta)
  local old = redis.call('HGET', key, field)
  local sum, n = {}, 0
  for x in string.gmatch(delta, '[^,]+') do n = n + 1; sum[n] = tonumber(x) end
  if old then
    local j = 0
    for x in string.gmatch(old, '[^,]+') do j = j + 1; sum[j] = (sum[j] or 0) + tonumber(x) end
    if j > n then n = j end
  end
  local last = 0
  for j = 1, n do
    local v = sum[j] or 0
    if v < 0 then v = 0 end
    sum[j] = v
    if v ~= 0 then last = j end
  end
  if last > 0 then redis.call('HSET', key, field, table.concat(sum, ',', 1, last))
  elseif old then redis.call('HDEL', key, field) end
end
local function add_groups(a, i, folded)
  local groups = tonumber(a[i]); i = i + 1
  for g = 1, groups do
    local day, month, n = a[i], a[i + 1], tonumber(a[i + 2])
    i = i + 3
    local key
    if tonumber(day) < folded then
      key = 'hub:figures:month:' .. month
      redis.call('ZADD', 'hub:figures:months', month, month)
    else
      key = 'hub:figures:day:' .. day
      redis.call('ZADD', 'hub:figures:days', day, day .. ':' .. month)
    end
    for j = 0, n - 1 do add(key, a[i + 2 * j], a[i + 2 * j + 1]) end
    i = i + 2 * n
  end
  return i
end
)lua";

/// Fields of day hashes folded into months by one batch at most (past the first day's).
inline constexpr int fold_budget = 20000;

inline const std::string batch_script = std::string(figure_functions) + R"lua(
local a = ARGV
local writer = redis.call('HGET', 'hub:meta', 'writer')
if writer == false then return -1 end
if writer ~= a[1] then return 0 end
local number = tonumber(a[2])
local done = tonumber(redis.call('HGET', 'hub:meta', 'batch') or '0')
if number <= done then return 1 end
if number ~= done + 1 then return 2 end
local i = 3
local keys = tonumber(a[i]); i = i + 1
for k = 1, keys do
  local key, n = a[i], tonumber(a[i + 1])
  i = i + 2
  do
    local sets, dels, wipe = {}, {}, false
    for j = 0, n - 1 do
      local f, v = a[i + 2 * j], a[i + 2 * j + 1]
      if v ~= '' then sets[#sets + 1] = f; sets[#sets + 1] = v
      elseif f == '' then wipe = true
      else dels[#dels + 1] = f end
    end
    local j = 1
    while j <= #sets do -- one HSET of many fields (unpack's stack allows a few thousand values)
      local m = math.min(#sets - j + 1, 2000)
      redis.call('HSET', key, unpack(sets, j, j + m - 1))
      j = j + m
    end
    j = 1
    while j <= #dels do
      local m = math.min(#dels - j + 1, 1000)
      redis.call('HDEL', key, unpack(dels, j, j + m - 1))
      j = j + m
    end
    if wipe then redis.call('DEL', key) end -- after the batch's own writes to it
  end
  i = i + 2 * n
end
local fold = tonumber(a[i]); i = i + 1
local folded = tonumber(redis.call('HGET', 'hub:meta', 'folded') or '0')
i = add_groups(a, i, folded)
if fold > folded then
  local budget = )lua" + std::to_string(fold_budget) +
                                        R"lua(
  local days = redis.call('ZRANGEBYSCORE', 'hub:figures:days', '-inf', '(' .. fold, 'LIMIT', 0, 1000)
  for _, member in ipairs(days) do
    if budget <= 0 then break end
    local sep = string.find(member, ':', 1, true)
    local month = string.sub(member, sep + 1)
    local from, into = 'hub:figures:day:' .. string.sub(member, 1, sep - 1), 'hub:figures:month:' .. month
    local all = redis.call('HGETALL', from)
    for j = 1, #all, 2 do add(into, all[j], all[j + 1]) end
    budget = budget - #all / 2 - 1
    redis.call('DEL', from)
    redis.call('ZREM', 'hub:figures:days', member)
    redis.call('ZADD', 'hub:figures:months', month, month)
  end
  local left = redis.call('ZRANGEBYSCORE', 'hub:figures:days', '-inf', '(' .. fold, 'WITHSCORES', 'LIMIT', 0, 1)
  if #left > 0 then fold = tonumber(left[2]) end
  if fold > folded then redis.call('HSET', 'hub:meta', 'folded', fold) end
end
local function append(stream, counter, trim, last, packed)
  if packed == '' then return end
  local stored = tonumber(redis.call('HGET', 'hub:meta', counter) or '0')
  if tonumber(last) <= stored then return end
  redis.call('XADD', stream, 'MINID', '~', trim, last .. '-0', 'm', packed)
  redis.call('HSET', 'hub:meta', counter, last)
end
append('hub:events', 'seq', a[i], a[i + 1], a[i + 2])
append('hub:requests', 'requests', a[i + 3], a[i + 4], a[i + 5])
redis.call('HSET', 'hub:meta', 'batch', number)
return 1
)lua";

} // namespace hub::persistence
