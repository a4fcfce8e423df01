#pragma once

// The Lua script the Redis journal runs once per batch (persistence/redis_journal.cpp), here
// so that its contract can be tested against a real Redis on its own.
//
// One call per batch, atomic against other clients. ARGV: the writer's epoch; the batch's
// number; the writes, grouped by hash (the number of hashes, then for each: its key, the
// number of fields, then field, value pairs; an empty value deletes its field, and an empty
// field with it the whole key, after the batch's other writes to it: a case moving to or from
// the archive is deleted from one hash and written to the other in the same call, a directive
// archived loses its receipts' hash; in a hash named hub:figures:<n> each value is instead
// a count added to its field (HINCRBY), the field deleted once it falls to 0);
// then the batch's events, packed into one entry of
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

namespace hub::persistence {

inline constexpr const char* batch_script = R"lua(
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
  if string.sub(key, 1, 12) == 'hub:figures:' then -- counts added to, not values set
    for j = 0, n - 1 do
      local f = a[i + 2 * j]
      if redis.call('HINCRBY', key, f, a[i + 2 * j + 1]) <= 0 then redis.call('HDEL', key, f) end
    end
  else
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
