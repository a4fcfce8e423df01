#include "persistence/redis_journal.hpp"

#include "persistence/batch_script.hpp"
#include "persistence/records.hpp"
#include "persistence/redis_connection.hpp"
#include "protocol/codec.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <unordered_map>

namespace hub::persistence {

/// The commits of one round trip, and their encoded arguments (kept for a retry).
struct redis_journal::batch {
  std::vector<actors::change> changes;
  std::vector<std::string> args;
  bool sent = false;       // on the current connection
  bool superseded = false; // refused: another writer owns the store ...
  bool emptied = false;    // ... or the store lost its data
};

redis_journal::redis_journal(std::shared_ptr<actors::bus> events,
                             std::shared_ptr<const protocol::hierarchy> hierarchy,
                             store_options options, std::uint64_t last_seq, std::uint64_t epoch)
  : events_(std::move(events))
  , hierarchy_(std::move(hierarchy))
  , options_(std::move(options))
  , epoch_(epoch)
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
  return connected_.load(std::memory_order_relaxed) &&
         queued_.load(std::memory_order_relaxed) < options_.buffer &&
         fenced_.load(std::memory_order_relaxed) == actors::fence::none;
}

void redis_journal::commit(actors::change c) {
  // The records are encoded here, on the committing thread, outside the lock.
  c.prepared.reserve(c.records.size() * 3);
  for (auto& r : c.records)
    prepare_writes(r, c.prepared);
  c.records.clear();
  bool was_empty = false;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    // Numbered here, under the queue's lock: queue order (the order stored and published)
    // is sequence order. The bus publishes under this number.
    if (c.event) {
      protocol::set_seq(*c.event, ++next_seq_);
      if (c.reply) // an ack, stored in the request log, carries its event's number
        protocol::set_seq(*c.reply, next_seq_);
    }
    was_empty = queue_.empty();
    queue_.push_back(std::move(c));
    stats_.committed += 1;
    queued_.store(queue_.size(), std::memory_order_relaxed);
  }
  if (was_empty) // the writer sleeps only on an empty queue
    wake_.notify_one();
}

bool redis_journal::drain() {
  std::unique_lock<std::mutex> lock{mutex_};
  auto target = stats_.committed;
  drained_.wait(lock, [&] { return stats_.delivered >= target || !connected_.load(); });
  return stats_.delivered >= target;
}

actors::journal_status redis_journal::status() const {
  auto s = stats();
  return {true,        s.connected, accepting(), fenced(),       s.pending,
          s.delivered, s.failures,  s.conflicts, options_.buffer};
}

redis_journal::statistics redis_journal::stats() const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto s = stats_;
  s.connected = connected_.load();
  s.pending = queue_.size();
  return s;
}

bool redis_journal::connect() {
  conn_ = std::make_unique<redis_connection>(options_.address, options_.timeout);
  reply_ptr r;
  if (conn_->ok())
    r = conn_->command({"SCRIPT", "LOAD", batch_script});
  const bool ok = r && r->type == REDIS_REPLY_STRING;
  if (ok) {
    script_sha_.assign(r->str, r->len);
    if (epoch_ == 0) { // not taken by recovery: take one now
      auto e = conn_->command({"HINCRBY", keys::meta, "writer", "1"});
      if (e && e->type == REDIS_REPLY_INTEGER)
        epoch_ = static_cast<std::uint64_t>(e->integer);
    }
    if (!counters_read_) { // the first connection: continue the stored numbering
      auto n = conn_->command({"HMGET", keys::meta, "requests", "batch"});
      if (n && n->type == REDIS_REPLY_ARRAY && n->elements == 2) {
        auto number = [](const redisReply* e) {
          return e->type == REDIS_REPLY_STRING ? std::strtoull(e->str, nullptr, 10) : 0ull;
        };
        request_counter_ = number(n->element[0]);
        batch_counter_ = number(n->element[1]);
        counters_read_ = true;
      }
    }
  } else if (r) {
    std::fprintf(stderr, "store: cannot load the batch script: %.*s\n",
                 static_cast<int>(text_of(r.get()).size()), text_of(r.get()).data());
  }
  {
    std::lock_guard<std::mutex> guard{mutex_};
    connected_.store(ok);
  }
  if (!ok)
    conn_.reset();
  if (ok && lost_) {
    std::fprintf(stderr, "store: connected to Redis again; writes are accepted again\n");
    lost_ = false;
  }
  return ok;
}

namespace {

/// Appends the figure writes of a commit's prepared triple to the batch's sums (per day, unit).
void add_figures(const std::string& key, const std::string& field, const std::string& value,
                 std::map<std::int32_t, std::map<std::string, figure_counts>>& days,
                 std::int32_t& fold) {
  if (key == keys::figure_fold) {
    fold = std::max(fold, static_cast<std::int32_t>(std::stol(value)));
    return;
  }
  // "hub:figures:day:<day>": made by prepare_writes, so well formed.
  const auto day = static_cast<std::int32_t>(std::stol(key.substr(key.rfind(':') + 1)));
  add_counts(value, days[day][field]);
}

void encode_batch(const store_options& o, const std::string& sha, std::uint64_t epoch,
                  std::uint64_t number, std::uint64_t& request_counter, std::int32_t& fold,
                  std::vector<actors::change>& changes, std::vector<std::string>& args) {
  // Only the last write of a (key, field) in the batch goes out: a case stepped twice in one
  // batch, a unit's counters changed by several steps.
  std::vector<std::string> writes; // key, field, value triples
  std::unordered_map<std::string, std::size_t> slot;
  std::map<std::int32_t, std::map<std::string, figure_counts>> figures; // summed: added to
  std::string events, requests;
  std::uint64_t last_seq = 0;
  std::string key;
  for (std::uint32_t i = 0; i < changes.size(); ++i) {
    auto& c = changes[i];
    for (std::size_t w = 0; w + 2 < c.prepared.size(); w += 3) {
      if (c.prepared[w].starts_with(keys::figures_prefix)) {
        add_figures(c.prepared[w], c.prepared[w + 1], c.prepared[w + 2], figures, fold);
        continue;
      }
      key.assign(c.prepared[w]).append(1, '\n').append(c.prepared[w + 1]);
      auto [it, fresh] = slot.try_emplace(key, writes.size() / 3);
      if (fresh) {
        writes.push_back(std::move(c.prepared[w]));
        writes.push_back(std::move(c.prepared[w + 1]));
        writes.push_back(std::move(c.prepared[w + 2]));
      } else {
        writes[it->second * 3 + 2] = std::move(c.prepared[w + 2]);
      }
    }
    if (c.event) {
      last_seq = protocol::seq_of(*c.event);
      append_event(events, last_seq, c.unit, c.to, *c.event);
    }
    if (c.request.person != 0 && c.reply)
      append_request(requests, ++request_counter, c.request, *c.reply);
  }
  // Grouped by hash, in the order each hash was first written.
  std::vector<std::size_t> order;
  std::unordered_map<std::string_view, std::vector<std::size_t>> by_hash;
  for (std::size_t w = 0; w < writes.size(); w += 3) {
    auto [it, fresh] = by_hash.try_emplace(writes[w]);
    if (fresh)
      order.push_back(w);
    it->second.push_back(w);
  }
  args.reserve(12 + writes.size() / 3 * 2 + order.size() * 2);
  args = {"EVALSHA",
          sha,
          "0",
          std::to_string(epoch),
          std::to_string(number),
          std::to_string(order.size())};
  for (auto first : order) {
    auto& members = by_hash[writes[first]];
    args.push_back(writes[first]);
    args.push_back(std::to_string(members.size()));
    for (auto w : members) {
      args.push_back(std::move(writes[w + 1]));
      args.push_back(std::move(writes[w + 2]));
    }
  }
  // The figures: the day the store may fold up to (the largest asked for so far: a batch
  // without figures carries it on, so a fold left for later continues), then day by day.
  args.push_back(std::to_string(fold));
  const auto groups_at = args.size();
  args.emplace_back();
  std::size_t groups = 0;
  for (const auto& [day, units] : figures) {
    const auto n_at = args.size() + 2;
    args.push_back(std::to_string(day));
    args.push_back(std::to_string(actors::first_of_month(day)));
    args.emplace_back();
    std::size_t n = 0;
    for (const auto& [unit, counts] : units) {
      auto packed = pack_counts(counts);
      if (std::all_of(counts.begin(), counts.end(), [](auto v) { return v == 0; }))
        continue; // what one step took off another added back
      args.push_back(unit);
      args.push_back(std::move(packed));
      ++n;
    }
    if (n == 0) {
      args.resize(n_at - 2);
      continue;
    }
    args[n_at] = std::to_string(n);
    ++groups;
  }
  args[groups_at] = std::to_string(groups);
  auto below = [](std::uint64_t last, std::size_t keep) {
    return std::to_string(last > keep ? last - keep : 0);
  };
  args.push_back(below(last_seq, o.event_log));
  args.push_back(std::to_string(last_seq));
  args.push_back(std::move(events));
  args.push_back(below(request_counter, o.request_log));
  args.push_back(std::to_string(request_counter));
  args.push_back(std::move(requests));
}

} // namespace

void redis_journal::send(batch& b) {
  if (b.args.empty())
    encode_batch(options_, script_sha_, epoch_, ++batch_counter_, request_counter_, fold_,
                 b.changes, b.args);
  b.args[1] = script_sha_; // a reconnect may follow a Redis restart: the script was loaded anew
  std::vector<std::string_view> argv(b.args.begin(), b.args.end());
  conn_->append(argv);
  b.sent = true;
}

bool redis_journal::receive(batch& b) {
  auto r = conn_->next_reply();
  if (!r || r->type != REDIS_REPLY_INTEGER) {
    if (r)
      std::fprintf(stderr, "store: a batch was refused: %.*s\n",
                   static_cast<int>(text_of(r.get()).size()), text_of(r.get()).data());
    else
      std::fprintf(stderr, "store: %s\n", conn_->error().c_str());
    return false;
  }
  if (r->integer == 2) { // the one before it was refused: sent again, both, in order
    std::fprintf(stderr, "store: a batch arrived before the one ahead of it was stored; "
                         "sending both again\n");
    return false;
  }
  b.superseded = r->integer <= 0;
  b.emptied = r->integer < 0;
  return true;
}

void redis_journal::deliver(batch& b) {
  if (b.superseded) {
    // The first refusal fences the journal for good; what it was fenced for stays (a later
    // batch of the same hub cannot tell the two apart better than the first did).
    auto f = b.emptied ? actors::fence::emptied : actors::fence::superseded;
    auto none = actors::fence::none;
    if (fenced_.compare_exchange_strong(none, f))
      std::fprintf(stderr,
                   "store: fenced: %s (%s); every write is refused with conflict from now on, "
                   "/healthz answers 503\n",
                   actors::explain(f), options_.address.to_string().c_str());
    const char* why = actors::explain(fenced_.load());
    // Nothing of the batch was stored: its events are not published either, and its clients
    // hear why.
    for (auto& c : b.changes)
      if (c.reply)
        actors::reply(c.reply_to,
                      protocol::error{c.request.id, protocol::errc::conflict,
                                      std::string("the change was not stored: ") + why});
  } else {
    for (auto& c : b.changes) // under the numbers given at commit, which are stored
      actors::deliver(*events_, c);
  }
  {
    std::lock_guard<std::mutex> guard{mutex_};
    stats_.delivered += b.changes.size();
    stats_.batches += 1;
    stats_.conflicts += b.superseded ? b.changes.size() : 0;
  }
  drained_.notify_all();
}

void redis_journal::run() {
  // Two batches in flight: Redis runs one while the next is encoded and sent, and the hub
  // delivers one while Redis runs the next.
  constexpr std::size_t max_in_flight = 2;
  auto backoff = options_.reconnect_min;
  std::deque<std::unique_ptr<batch>> in_flight; // taken from the queue, not yet delivered
  for (;;) {
    {
      std::unique_lock<std::mutex> lock{mutex_};
      if (in_flight.empty())
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (in_flight.empty() && queue_.empty())
        return; // stopping, everything written
      while (in_flight.size() < max_in_flight && !queue_.empty()) {
        auto b = std::make_unique<batch>();
        auto n = std::min(queue_.size(), options_.batch);
        b->changes.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
          b->changes.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
        queued_.store(queue_.size(), std::memory_order_relaxed);
        in_flight.push_back(std::move(b));
      }
    }
    if (conn_ || connect()) {
      for (auto& b : in_flight)
        if (!b->sent)
          send(*b);
      if (receive(*in_flight.front())) {
        backoff = options_.reconnect_min;
        deliver(*in_flight.front());
        in_flight.pop_front();
        continue;
      }
    }
    // Redis is away (or refused): refuse new writes, keep the batches, send them again after
    // a while on a new connection.
    conn_.reset();
    lost_ = true;
    for (auto& b : in_flight)
      b->sent = false;
    std::unique_lock<std::mutex> lock{mutex_};
    connected_.store(false);
    stats_.failures += 1;
    drained_.notify_all();
    if (stopping_) {
      std::size_t lost = queue_.size();
      for (auto& b : in_flight)
        lost += b->changes.size();
      std::fprintf(stderr, "store: stopping with %zu unstored changes (never acknowledged)\n",
                   lost);
      return;
    }
    wake_.wait_for(lock, backoff, [&] { return stopping_; });
    backoff = std::min(backoff * 2, options_.reconnect_max);
  }
}

} // namespace hub::persistence
