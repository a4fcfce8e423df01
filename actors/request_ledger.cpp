#include "actors/request_ledger.hpp"

#include "actors/lock_soon.hpp"

#include <cstring>
#include <string_view>
#include <utility>

namespace hub::actors {

// -- digest ---------------------------------------------------------------------------------

namespace {

/// Folds values into one 64-bit digest (boost::hash_combine's shape on a 64-bit constant).
class digester {
public:
  template <class T>
  requires std::is_arithmetic_v<T> || std::is_enum_v<T> digester& operator<<(T v) {
    std::uint64_t bits = 0;
    if constexpr (std::is_floating_point_v<T>) {
      static_assert(sizeof(T) == sizeof(bits));
      std::memcpy(&bits, &v, sizeof bits);
    } else {
      bits = static_cast<std::uint64_t>(v);
    }
    return mix(bits);
  }
  digester& operator<<(std::string_view s) {
    mix(s.size());
    return mix(std::hash<std::string_view>{}(s));
  }
  template <class T>
  digester& operator<<(const std::vector<T>& v) {
    mix(v.size());
    for (const auto& x : v)
      *this << x;
    return *this;
  }
  std::size_t value() const { return static_cast<std::size_t>(h_); }

private:
  digester& mix(std::uint64_t v) {
    h_ ^= v + 0x9e3779b97f4a7c15ull + (h_ << 6) + (h_ >> 2);
    return *this;
  }
  std::uint64_t h_ = 0;
};

} // namespace

std::size_t request_digest(const protocol::client_body& body) {
  digester d;
  d << body.index();
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, protocol::case_report>) {
          d << b.unit << std::string_view{b.category} << b.level << std::string_view{b.title}
            << std::string_view{b.description} << b.lat << b.lon << std::string_view{b.address}
            << std::string_view{b.external_id};
        } else if constexpr (std::is_same_v<T, protocol::case_act>) {
          d << b.id << b.action << std::string_view{b.note} << b.departments << b.unit << b.score
            << b.duplicate_of;
        } else if constexpr (std::is_same_v<T, protocol::directive_issue>) {
          d << b.channel << std::string_view{b.title} << std::string_view{b.body} << b.deadline
            << b.target.kind << b.target.units << b.target.level << b.target.module
            << b.target.holder << b.target.people;
        } else if constexpr (std::is_same_v<T, protocol::directive_act>) {
          d << b.id << b.action << std::string_view{b.note};
        } else {
          d << b.unit; // subscribe, unsubscribe: served before the ledger; kept total anyway
        }
      },
      body);
  return d.value();
}

namespace {

/// A refusal that says "nothing was applied, send it again" (the store was away).
bool is_transient(const protocol::server_message& m) {
  auto* e = std::get_if<protocol::error>(&m);
  return e != nullptr && e->code == protocol::errc::try_again;
}

} // namespace

// -- the sink that records ------------------------------------------------------------------

/// Stands between a unit actor and the client: records the reply, and its shard answers
/// everyone who sent the request. Dropped unanswered, it takes its request out of the ledger.
class request_ledger::recording_sink : public client_sink {
public:
  recording_sink(std::shared_ptr<shard> in, key k)
    : shard_(std::move(in))
    , key_(k) {}

  ~recording_sink() override {
    if (!answered_)
      shard_->abandon(key_);
  }

  void send(outbound_ptr msg) override {
    if (std::exchange(answered_, true))
      return; // one actor answers once; the sink dies after
    shard_->record(key_, msg);
  }

private:
  std::shared_ptr<shard> shard_;
  key key_;
  bool answered_ = false;
};

// -- one shard's table ----------------------------------------------------------------------

namespace {

constexpr std::uint64_t entry_bits = 0xffffffffull;

} // namespace

request_ledger::shard::shard(std::size_t capacity)
  : capacity(capacity) {
  grow();
}

std::size_t request_ledger::shard::find(const key& k, std::uint64_t h) const {
  const auto mask = slots.size() - 1;
  const auto tag = h & entry_bits;
  for (auto i = static_cast<std::size_t>(h) & mask;; i = (i + 1) & mask) {
    const auto v = slots[i];
    if (v == 0 || ((v >> 32) == tag && pool[(v & entry_bits) - 1].k == k))
      return i;
  }
}

std::uint32_t request_ledger::shard::insert(const key& k, std::uint64_t h) {
  if ((live + 1) * 2 > slots.size())
    grow(); // at most half full: probes stay short
  const auto at = find(k, h);
  std::uint32_t e = 0;
  if (spare.empty()) {
    e = static_cast<std::uint32_t>(pool.size());
    pool.emplace_back();
  } else {
    e = spare.back();
    spare.pop_back();
  }
  pool[e].k = k;
  slots[at] = ((h & entry_bits) << 32) | (std::uint64_t{e} + 1);
  ++live;
  return e;
}

void request_ledger::shard::erase(std::size_t at) {
  const auto e = static_cast<std::uint32_t>((slots[at] & entry_bits) - 1);
  auto& gone = pool[e];
  gone.answered = false;
  gone.reply.reset();
  gone.first.reset();
  gone.retried.clear();
  spare.push_back(e);
  --live;
  // Backward-shift deletion: pull later entries of the probe run into the hole unless that
  // would move one before its home slot, so that no tombstones are needed.
  const auto mask = slots.size() - 1;
  auto hole = at;
  for (auto j = (hole + 1) & mask; slots[j] != 0; j = (j + 1) & mask) {
    const auto home = static_cast<std::size_t>(slots[j] >> 32) & mask;
    const bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!stays) {
      slots[hole] = slots[j];
      hole = j;
    }
  }
  slots[hole] = 0;
}

void request_ledger::shard::grow() {
  std::vector<std::uint64_t> old(std::max<std::size_t>(slots.size() * 2, 64), 0);
  old.swap(slots);
  const auto mask = slots.size() - 1;
  for (auto v : old) {
    if (v == 0)
      continue;
    auto i = static_cast<std::size_t>(v >> 32) & mask;
    while (slots[i] != 0)
      i = (i + 1) & mask;
    slots[i] = v;
  }
}

// -- the ledger -----------------------------------------------------------------------------

request_ledger::request_ledger(std::size_t capacity) {
  for (auto& s : shards_)
    s = std::make_shared<shard>(std::max<std::size_t>(capacity / shards_.size(), 1));
}

sink_ptr request_ledger::admit(protocol::person_id person, std::uint64_t id, std::size_t digest,
                               sink_ptr to) {
  const key k{person, id};
  const auto h = hash(k);
  auto& s = shard_of(h);
  outbound_ptr again;
  {
    auto guard = lock_soon(s.mutex);
    const auto at = s.find(k, h);
    if (s.slots[at] == 0) {
      // In flight: not in the eviction order until answered (see record).
      auto& e = s.pool[s.insert(k, h)];
      e.digest = digest;
      e.first = std::move(to);
      return std::make_shared<recording_sink>(shards_[h >> (64 - shard_bits)], k);
    }
    auto& e = s.pool[(s.slots[at] & entry_bits) - 1];
    if (e.digest != digest) {
      again = std::make_shared<const outbound>(
          protocol::error{id, protocol::errc::invalid_argument,
                          "message id " + std::to_string(id) +
                              " was used for another request: use a new id for each request"},
          0);
    } else if (!e.answered) {
      e.retried.push_back(std::move(to));
      return nullptr;
    } else {
      again = shard::reply_of(e);
    }
  }
  if (to)
    to->send(std::move(again));
  return nullptr;
}

void request_ledger::shard::keep_answered(std::uint32_t e) {
  order.push_back(e);
  while (order.size() > capacity) {
    const auto& old = pool[order.front()].k;
    erase(find(old, hash(old)));
    order.pop_front();
  }
}

void request_ledger::shard::record(const key& k, const outbound_ptr& reply) {
  sink_ptr first;
  std::vector<sink_ptr> retried;
  {
    const auto h = hash(k);
    auto& s = *this;
    auto guard = lock_soon(s.mutex);
    const auto at = s.find(k, h);
    if (s.slots[at] == 0)
      return; // cannot happen: in-flight requests are never forgotten
    const auto e = static_cast<std::uint32_t>((s.slots[at] & entry_bits) - 1);
    auto& entry = s.pool[e];
    if (entry.answered)
      return;
    first = std::move(entry.first);
    retried.swap(entry.retried);
    if (is_transient(reply->message())) {
      // Nothing was applied and the client is told to send the same request again: it must
      // then be taken afresh, not answered try_again from here forever.
      s.erase(at);
    } else {
      entry.answered = true;
      if (auto* a = std::get_if<protocol::ack>(&reply->message()))
        entry.ack = *a;
      else
        entry.reply = reply;
      s.keep_answered(e);
    }
  }
  if (first)
    first->send(reply);
  for (auto& w : retried)
    if (w)
      w->send(reply);
}

outbound_ptr request_ledger::shard::reply_of(const entry& e) {
  return e.reply ? e.reply : std::make_shared<const outbound>(e.ack, 0);
}

void request_ledger::shard::abandon(const key& k) {
  const auto h = hash(k);
  auto& s = *this;
  std::lock_guard<std::mutex> guard{s.mutex};
  const auto at = s.find(k, h);
  if (s.slots[at] != 0 && !s.pool[(s.slots[at] & entry_bits) - 1].answered)
    s.erase(at);
}

void request_ledger::remember(protocol::person_id person, std::uint64_t id, std::size_t digest,
                              protocol::server_message reply) {
  const key k{person, id};
  const auto h = hash(k);
  auto& s = shard_of(h);
  std::lock_guard<std::mutex> guard{s.mutex};
  auto at = s.find(k, h);
  const bool fresh = s.slots[at] == 0;
  const auto e =
      fresh ? s.insert(k, h) : static_cast<std::uint32_t>((s.slots[at] & entry_bits) - 1);
  auto& entry = s.pool[e];
  entry.digest = digest;
  entry.answered = true;
  if (auto* a = std::get_if<protocol::ack>(&reply))
    entry.ack = *a;
  else
    entry.reply = std::make_shared<const outbound>(std::move(reply), 0);
  if (fresh)
    s.keep_answered(e);
}

std::size_t request_ledger::size() const {
  std::size_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard<std::mutex> guard{s->mutex};
    n += s->live;
  }
  return n;
}

} // namespace hub::actors
