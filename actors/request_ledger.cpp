#include "actors/request_ledger.hpp"

#include "actors/lock_soon.hpp"

#include <cstring>
#include <string_view>

namespace hub::actors {

// -- digest ---------------------------------------------------------------------------------

namespace {

/// Folds values into one 64-bit digest (boost::hash_combine's shape on a 64-bit constant).
class digester {
public:
  template <class T>
    requires std::is_arithmetic_v<T> || std::is_enum_v<T>
  digester& operator<<(T v) {
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

/// Stands between a unit actor and the client: records the reply, then answers everyone who
/// sent the request. Dropped unanswered, it takes its request out of the ledger.
class request_ledger::recording_sink : public client_sink {
public:
  recording_sink(std::weak_ptr<request_ledger> ledger, key k, sink_ptr to)
    : ledger_(std::move(ledger))
    , key_(k)
    , to_(std::move(to)) {}

  ~recording_sink() override {
    if (!answered_)
      if (auto ledger = ledger_.lock())
        ledger->abandon(key_);
  }

  void send(outbound_ptr msg) override {
    auto ledger = answered_ ? nullptr : ledger_.lock();
    answered_ = true;
    if (!ledger || !ledger->record(key_, msg))
      if (to_)
        to_->send(std::move(msg));
  }

private:
  std::weak_ptr<request_ledger> ledger_;
  key key_;
  sink_ptr to_;
  bool answered_ = false; // one actor answers once; the sink dies after
};

// -- the ledger -----------------------------------------------------------------------------

request_ledger::request_ledger(std::size_t capacity)
  : capacity_per_shard_(std::max<std::size_t>(capacity / shards_.size(), 1)) {
  // nop
}

sink_ptr request_ledger::admit(protocol::person_id person, std::uint64_t id, std::size_t digest,
                               sink_ptr to) {
  key k{person, id};
  auto& s = shard_of(k);
  outbound_ptr again;
  {
    auto guard = lock_soon(s.mutex);
    auto [it, fresh] = s.entries.try_emplace(k);
    if (fresh) {
      // In flight: not in the eviction order until answered (see record).
      it->second.digest = digest;
      it->second.waiting.push_back(to);
      return std::make_shared<recording_sink>(weak_from_this(), k, std::move(to));
    }
    if (it->second.digest != digest) {
      again = std::make_shared<const outbound>(
          protocol::error{id, protocol::errc::invalid_argument,
                          "message id " + std::to_string(id) +
                              " was used for another request: use a new id for each request"},
          0);
    } else if (!it->second.reply) {
      it->second.waiting.push_back(std::move(to));
      return nullptr;
    } else {
      again = it->second.reply;
    }
  }
  if (to)
    to->send(std::move(again));
  return nullptr;
}

void request_ledger::keep_answered(shard& s, const key& k) {
  s.order.push_back(k);
  while (s.order.size() > capacity_per_shard_) {
    s.entries.erase(s.order.front());
    s.order.pop_front();
  }
}

bool request_ledger::record(const key& k, const outbound_ptr& reply) {
  std::vector<sink_ptr> waiting;
  {
    auto& s = shard_of(k);
    auto guard = lock_soon(s.mutex);
    auto it = s.entries.find(k);
    if (it == s.entries.end() || it->second.reply)
      return false;
    waiting.swap(it->second.waiting);
    if (is_transient(reply->message())) {
      // Nothing was applied and the client is told to send the same request again: it must
      // then be taken afresh, not answered try_again from here forever.
      s.entries.erase(it);
    } else {
      it->second.reply = reply;
      keep_answered(s, k);
    }
  }
  for (auto& w : waiting)
    if (w)
      w->send(reply);
  return true;
}

void request_ledger::abandon(const key& k) {
  auto& s = shard_of(k);
  std::lock_guard<std::mutex> guard{s.mutex};
  if (auto it = s.entries.find(k); it != s.entries.end() && !it->second.reply)
    s.entries.erase(it);
}

void request_ledger::remember(protocol::person_id person, std::uint64_t id, std::size_t digest,
                              protocol::server_message reply) {
  key k{person, id};
  auto& s = shard_of(k);
  std::lock_guard<std::mutex> guard{s.mutex};
  auto [it, fresh] = s.entries.try_emplace(k);
  it->second.digest = digest;
  it->second.reply = std::make_shared<const outbound>(std::move(reply), 0);
  if (fresh)
    keep_answered(s, k);
}

std::size_t request_ledger::size() const {
  std::size_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard<std::mutex> guard{s.mutex};
    n += s.entries.size();
  }
  return n;
}

} // namespace hub::actors
