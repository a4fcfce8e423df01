#include "persistence/redis_journal.hpp"

#include "persistence/records.hpp"
#include "persistence/redis_connection.hpp"
#include "protocol/codec.hpp"

#include <cstdio>
#include <unordered_map>

namespace hub::persistence {

namespace {

// One call per batch. ARGV: the writes (count, then key, field, value each), the event stream's
// length cap, the events (count, then seq, unit, reach, message each), the request stream's
// cap, the answered requests (count, then person, id, digest, reply each). A write whose stored
// version (the value's first 16 hex digits) is newer is skipped and its number returned; an
// event at or below the stored sequence (a retried batch) is skipped.
constexpr const char* batch_script = R"lua(
local a = ARGV
local i = 1
local stale = {}
local n = tonumber(a[i]); i = i + 1
for w = 1, n do
  local key, field, value = a[i], a[i + 1], a[i + 2]
  i = i + 3
  local old = redis.call('HGET', key, field)
  if old and string.sub(old, 1, 16) > string.sub(value, 1, 16) then
    stale[#stale + 1] = w
  else
    redis.call('HSET', key, field, value)
  end
end
local last = tonumber(redis.call('HGET', 'hub:meta', 'seq') or '0')
local cap = a[i]; i = i + 1
n = tonumber(a[i]); i = i + 1
for e = 1, n do
  local seq = tonumber(a[i])
  if seq > last then
    redis.call('XADD', 'hub:events', 'MAXLEN', '~', cap, a[i] .. '-1',
               'u', a[i + 1], 'r', a[i + 2], 'm', a[i + 3])
    last = seq
  end
  i = i + 4
end
redis.call('HSET', 'hub:meta', 'seq', string.format('%d', last))
cap = a[i]; i = i + 1
n = tonumber(a[i]); i = i + 1
for r = 1, n do
  redis.call('XADD', 'hub:requests', 'MAXLEN', '~', cap, '*',
             'p', a[i], 'i', a[i + 1], 'd', a[i + 2], 'm', a[i + 3])
  i = i + 4
end
return stale
)lua";

} // namespace

/// The commits of one round trip, and their encoded arguments (kept for a retry).
struct redis_journal::batch {
  std::vector<actors::change> changes;
  std::vector<std::string> args;
  std::vector<std::vector<std::uint32_t>> writers; // per write: the changes that wrote it
  std::vector<bool> conflicted;                    // per change
};

redis_journal::redis_journal(std::shared_ptr<actors::bus> events,
                             std::shared_ptr<const protocol::hierarchy> hierarchy,
                             store_options options, std::uint64_t last_seq)
  : events_(std::move(events))
  , hierarchy_(std::move(hierarchy))
  , options_(std::move(options))
  , next_seq_(last_seq) {
  connect();
  writer_ = std::thread([this] { run(); });
}

redis_journal::~redis_journal() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    stopping_ = true;
  }
  wake_.notify_all();
  writer_.join();
}

bool redis_journal::accepting() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return stats_.connected && queue_.size() < options_.buffer;
}

void redis_journal::commit(actors::change c) {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    // Stamped here, under the queue's lock: queue order is sequence order.
    if (c.event) {
      auto seq = ++next_seq_;
      std::visit(
          [seq](auto& e) {
            if constexpr (requires { e.seq; })
              e.seq = seq;
          },
          *c.event);
      if (auto* a = c.reply ? std::get_if<protocol::ack>(&*c.reply) : nullptr)
        a->seq = seq;
    }
    queue_.push_back(std::move(c));
    stats_.committed += 1;
    stats_.pending = queue_.size();
  }
  wake_.notify_one();
}

bool redis_journal::drain() {
  std::unique_lock<std::mutex> lock{mutex_};
  auto target = stats_.committed;
  drained_.wait(lock, [&] { return stats_.delivered >= target || !stats_.connected; });
  return stats_.delivered >= target;
}

redis_journal::statistics redis_journal::stats() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return stats_;
}

bool redis_journal::connect() {
  conn_ = std::make_unique<redis_connection>(options_.address, options_.timeout);
  reply_ptr r;
  if (conn_->ok())
    r = conn_->command({"SCRIPT", "LOAD", batch_script});
  bool ok = r && r->type == REDIS_REPLY_STRING;
  if (ok)
    script_sha_.assign(r->str, r->len);
  else if (r)
    std::fprintf(stderr, "store: cannot load the batch script: %.*s\n",
                 static_cast<int>(text_of(r.get()).size()), text_of(r.get()).data());
  {
    std::lock_guard<std::mutex> guard{mutex_};
    stats_.connected = ok;
  }
  if (!ok)
    conn_.reset();
  return ok;
}

namespace {

void encode_batch(const protocol::hierarchy& h, const store_options& o, const std::string& sha,
                  std::vector<actors::change>& changes, std::vector<std::string>& args,
                  std::vector<std::vector<std::uint32_t>>& writers) {
  // Only the last write of a (key, field) in the batch goes out: a unit's counters change at
  // every step, and a city-wide fan-out commits at 22,000 units.
  std::vector<std::string> writes; // key, field, value triples
  std::unordered_map<std::string, std::size_t> slot;
  std::vector<std::string> events;
  std::vector<std::string> requests;
  for (std::uint32_t i = 0; i < changes.size(); ++i) {
    auto& c = changes[i];
    for (auto& r : c.records) {
      auto place = place_of(h, r);
      auto value = encode_value(r, place.version);
      auto [it, fresh] = slot.try_emplace(place.key + '\n' + place.field, writers.size());
      if (fresh) {
        writers.emplace_back();
        writes.push_back(std::move(place.key));
        writes.push_back(std::move(place.field));
        writes.push_back(std::move(value));
      } else {
        writes[it->second * 3 + 2] = std::move(value);
      }
      writers[it->second].push_back(i);
    }
    if (c.event) {
      std::uint64_t seq = std::visit(
          [](const auto& e) -> std::uint64_t {
            if constexpr (requires { e.seq; })
              return e.seq;
            else
              return 0;
          },
          *c.event);
      events.push_back(std::to_string(seq));
      events.push_back(std::to_string(c.unit));
      events.push_back(std::to_string(static_cast<int>(c.to)));
      events.push_back(protocol::encode(*c.event));
    }
    if (c.request.person != 0 && c.reply) {
      requests.push_back(std::to_string(c.request.person));
      requests.push_back(std::to_string(c.request.id));
      requests.push_back(std::to_string(c.request.digest));
      requests.push_back(protocol::encode(*c.reply));
    }
  }
  args.reserve(8 + writes.size() + events.size() + requests.size());
  args = {"EVALSHA", sha, "0", std::to_string(writes.size() / 3)};
  std::move(writes.begin(), writes.end(), std::back_inserter(args));
  args.push_back(std::to_string(o.event_log));
  args.push_back(std::to_string(events.size() / 4));
  std::move(events.begin(), events.end(), std::back_inserter(args));
  args.push_back(std::to_string(o.request_log));
  args.push_back(std::to_string(requests.size() / 4));
  std::move(requests.begin(), requests.end(), std::back_inserter(args));
}

} // namespace

bool redis_journal::write(batch& b) {
  if (b.args.empty())
    encode_batch(*hierarchy_, options_, script_sha_, b.changes, b.args, b.writers);
  b.args[1] = script_sha_; // a reconnect may follow a Redis restart: the script was loaded anew
  std::vector<std::string_view> argv(b.args.begin(), b.args.end());
  auto r = conn_->command(argv);
  if (!r || r->type != REDIS_REPLY_ARRAY) {
    if (r)
      std::fprintf(stderr, "store: a batch was refused: %.*s\n",
                   static_cast<int>(text_of(r.get()).size()), text_of(r.get()).data());
    else
      std::fprintf(stderr, "store: %s\n", conn_->error().c_str());
    return false;
  }
  b.conflicted.assign(b.changes.size(), false);
  for (std::size_t i = 0; i < r->elements; ++i) {
    auto w = static_cast<std::size_t>(r->element[i]->integer) - 1; // Lua counts from 1
    if (w < b.writers.size())
      for (auto c : b.writers[w])
        b.conflicted[c] = true;
  }
  return true;
}

void redis_journal::deliver(batch& b) {
  std::uint64_t conflicts = 0;
  for (std::size_t i = 0; i < b.changes.size(); ++i) {
    auto& c = b.changes[i];
    if (b.conflicted[i]) {
      conflicts += 1;
      if (c.reply)
        c.reply = protocol::error{c.request.id, protocol::errc::conflict,
                                  "the store holds a newer version of this (another hub process "
                                  "wrote it); this change was not stored"};
    }
    actors::deliver(*events_, c);
  }
  {
    std::lock_guard<std::mutex> guard{mutex_};
    stats_.delivered += b.changes.size();
    stats_.batches += 1;
    stats_.conflicts += conflicts;
    stats_.pending = queue_.size();
  }
  drained_.notify_all();
}

void redis_journal::run() {
  auto backoff = options_.reconnect_min;
  std::unique_ptr<batch> current; // taken from the queue, not yet stored
  for (;;) {
    if (!current) {
      std::unique_lock<std::mutex> lock{mutex_};
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty())
        return; // stopping, everything written
      current = std::make_unique<batch>();
      auto n = std::min(queue_.size(), options_.batch);
      current->changes.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        current->changes.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if ((conn_ || connect()) && write(*current)) {
      backoff = options_.reconnect_min;
      deliver(*current);
      current.reset();
      continue;
    }
    // Redis is away: refuse new writes, keep this batch, try again after a while.
    conn_.reset();
    std::unique_lock<std::mutex> lock{mutex_};
    stats_.connected = false;
    stats_.failures += 1;
    drained_.notify_all();
    if (stopping_) {
      std::fprintf(stderr, "store: stopping with %zu unstored changes (never acknowledged)\n",
                   current->changes.size() + queue_.size());
      return;
    }
    wake_.wait_for(lock, backoff, [&] { return stopping_; });
    backoff = std::min(backoff * 2, options_.reconnect_max);
  }
}

} // namespace hub::persistence
