#include "actors/request_ledger.hpp"

namespace hub::actors {

/// Stands between a unit actor and the client: records the reply, then answers everyone who
/// sent the request.
class request_ledger::recording_sink : public client_sink {
public:
  recording_sink(std::weak_ptr<request_ledger> ledger, key k, sink_ptr to)
    : ledger_(std::move(ledger))
    , key_(k)
    , to_(std::move(to)) {}

  void send(outbound_ptr msg) override {
    if (auto ledger = ledger_.lock())
      ledger->record(key_, msg);
    else if (to_)
      to_->send(std::move(msg));
  }

private:
  std::weak_ptr<request_ledger> ledger_;
  key key_;
  sink_ptr to_;
};

request_ledger::request_ledger(std::size_t capacity)
  : capacity_per_shard_(std::max<std::size_t>(capacity / 16, 1)) {
  // nop
}

sink_ptr request_ledger::admit(protocol::person_id person, std::uint64_t id, std::size_t digest,
                               sink_ptr to) {
  key k{person, id};
  auto& s = shard_of(k);
  outbound_ptr again;
  {
    std::lock_guard<std::mutex> guard{s.mutex};
    auto [it, fresh] = s.entries.try_emplace(k);
    if (!fresh && it->second.digest != digest) {
      again = std::make_shared<const outbound>(
          protocol::error{id, protocol::errc::invalid_argument,
                          "message id " + std::to_string(id) +
                              " was used for another request: use a new id for each request"},
          0);
    } else if (fresh) {
      it->second.digest = digest;
      it->second.waiting.push_back(to);
      s.order.push_back(k);
      while (s.order.size() > capacity_per_shard_) {
        s.entries.erase(s.order.front());
        s.order.pop_front();
      }
      return std::make_shared<recording_sink>(weak_from_this(), k, std::move(to));
    }
    if (!again && !it->second.reply) {
      it->second.waiting.push_back(std::move(to));
      return nullptr;
    }
    if (!again)
      again = it->second.reply;
  }
  if (to)
    to->send(std::move(again));
  return nullptr;
}

void request_ledger::record(const key& k, const outbound_ptr& reply) {
  std::vector<sink_ptr> waiting;
  {
    auto& s = shard_of(k);
    std::lock_guard<std::mutex> guard{s.mutex};
    auto it = s.entries.find(k);
    if (it != s.entries.end()) {
      it->second.reply = reply;
      waiting.swap(it->second.waiting);
    }
  }
  for (auto& w : waiting)
    if (w)
      w->send(reply);
}

void request_ledger::remember(protocol::person_id person, std::uint64_t id, std::size_t digest,
                              protocol::server_message reply) {
  key k{person, id};
  auto& s = shard_of(k);
  std::lock_guard<std::mutex> guard{s.mutex};
  auto [it, fresh] = s.entries.try_emplace(k);
  it->second.digest = digest;
  it->second.reply = std::make_shared<const outbound>(std::move(reply), 0);
  if (fresh) {
    s.order.push_back(k);
    while (s.order.size() > capacity_per_shard_) {
      s.entries.erase(s.order.front());
      s.order.pop_front();
    }
  }
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
