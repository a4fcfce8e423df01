#include "actors/bus.hpp"

#include "actors/lock_soon.hpp"
#include "protocol/codec.hpp"
#include "protocol/json.hpp"

#include <algorithm>

namespace hub::actors {

// -- outbound -------------------------------------------------------------------------------

const std::string& outbound::msgpack() const {
  std::call_once(msgpack_once_, [this] { msgpack_ = protocol::encode(msg_); });
  return msgpack_;
}

const std::string& outbound::json() const {
  std::call_once(json_once_, [this] { json_ = protocol::to_json(msg_); });
  return json_;
}

void reply(const sink_ptr& to, protocol::server_message msg) {
  if (to)
    to->send(std::make_shared<const outbound>(std::move(msg), 0));
}

// -- bus ------------------------------------------------------------------------------------


bus::bus(std::shared_ptr<const protocol::hierarchy> h, std::size_t retention,
         std::size_t max_replay)
  : hierarchy_(std::move(h))
  , retention_(std::max<std::size_t>(retention, 1))
  , max_replay_(max_replay) {
  const auto& units = hierarchy_->units;
  parent_at_.reserve(units.size());
  for (const auto& u : units)
    parent_at_.push_back(u.parent != 0 ? index_of(u.parent) : none);
  topic_at_.assign(units.size(), nullptr);
}

std::uint32_t bus::index_of(protocol::unit_code code) const {
  auto* u = hierarchy_->find_unit(code);
  return u == nullptr ? none : static_cast<std::uint32_t>(u - hierarchy_->units.data());
}

const std::vector<sink_ptr>* bus::subscribers_of(protocol::unit_code code,
                                                 std::uint32_t i) const {
  if (i != none)
    return topic_at_[i];
  auto t = topics_.find(code); // a topic outside the hierarchy
  return t == topics_.end() ? nullptr : &t->second;
}

template <class F>
void bus::for_each_subscriber(std::uint32_t i, protocol::unit_code unit, F&& f) {
  if (i == none) {
    if (auto* subs = subscribers_of(unit, i))
      for (auto& sink : *subs)
        f(sink);
    return;
  }
  for (; i != none; i = parent_at_[i])
    if (auto* subs = topic_at_[i])
      for (auto& sink : *subs)
        f(sink);
}

std::uint64_t bus::publish(protocol::unit_code unit, protocol::server_message event, reach to) {
  // Built and looked up before the lock, and the evicted event freed after it: the lock
  // covers only what orders events (the sequence number, retention, delivery).
  auto built = std::make_shared<outbound>(std::move(event), unit);
  const auto at = index_of(unit);
  outbound_ptr evicted;
  auto guard = lock_soon(mutex_);
  auto seq = ++seq_;
  protocol::set_seq(built->msg_, seq);
  outbound_ptr msg = std::move(built);
  if (kept_.size() == retention_) {
    evicted = std::move(kept_.front().msg);
    kept_.pop_front();
  }
  kept_.push_back({seq, msg, to});
  // Delivery under the lock keeps every sink's events in sequence order; sinks only enqueue.
  if (topics_.empty())
    return seq;
  if (to == reach::unit_watchers) {
    if (auto* subs = subscribers_of(unit, at))
      for (auto& s : *subs)
        s->send(msg);
  } else {
    for_each_subscriber(at, unit, [&](const sink_ptr& s) { s->send(msg); });
  }
  return seq;
}

void bus::publish_aggregate(protocol::aggregate a) {
  const auto unit = a.unit;
  const auto i = index_of(unit);
  const auto parent = i != none ? parent_at_[i] : none;
  auto guard = lock_soon(mutex_);
  const std::vector<sink_ptr>* subs[] = {
      topics_.empty() ? nullptr : subscribers_of(unit, i),
      parent == none || topics_.empty() ? nullptr : topic_at_[parent]};
  if (subs[0] == nullptr && subs[1] == nullptr)
    return; // nobody watches: nothing built (most units, most of the time)
  auto msg = std::make_shared<const outbound>(std::move(a), unit);
  for (auto* s : subs)
    if (s != nullptr)
      for (auto& sink : *s)
        sink->send(msg);
}

void bus::subscribe(protocol::unit_code topic, const sink_ptr& sink, std::uint64_t since) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto& subscribers = topics_[topic];
  if (auto i = index_of(topic); i != none)
    topic_at_[i] = &subscribers; // map nodes do not move
  if (std::find(subscribers.begin(), subscribers.end(), sink) != subscribers.end())
    return;
  if (since > 0 && since < seq_) {
    auto oldest = kept_.empty() ? seq_ + 1 : kept_.front().seq;
    auto first = std::lower_bound(kept_.begin(), kept_.end(), since + 1,
                                  [](const kept& k, std::uint64_t s) { return k.seq < s; });
    auto matches = [&](const kept& k) {
      return k.to == reach::unit_watchers ? k.msg->unit() == topic
                                          : hierarchy_->within(k.msg->unit(), topic);
    };
    std::vector<outbound_ptr> replay;
    bool complete = since + 1 >= oldest;
    for (auto i = first; complete && i != kept_.end(); ++i)
      if (matches(*i)) {
        if (replay.size() == max_replay_)
          complete = false;
        else
          replay.push_back(i->msg);
      }
    if (!complete)
      sink->send(std::make_shared<const outbound>(protocol::gap{topic, since, seq_ + 1}, topic));
    else
      for (auto& m : replay)
        sink->send(std::move(m));
  }
  subscribers.push_back(sink);
  sinks_[sink.get()].push_back(topic);
}

bool bus::unsubscribe(protocol::unit_code topic, const client_sink* sink) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto t = topics_.find(topic);
  if (t == topics_.end())
    return false;
  auto& subs = t->second;
  auto i =
      std::find_if(subs.begin(), subs.end(), [&](const sink_ptr& s) { return s.get() == sink; });
  if (i == subs.end())
    return false;
  subs.erase(i);
  if (subs.empty()) {
    if (auto at = index_of(topic); at != none)
      topic_at_[at] = nullptr;
    topics_.erase(t); // a topic goes with its last subscriber
  }
  auto s = sinks_.find(sink);
  std::erase(s->second, topic);
  if (s->second.empty())
    sinks_.erase(s);
  return true;
}

std::size_t bus::unsubscribe_all(const client_sink* sink) {
  std::vector<protocol::unit_code> topics;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    auto s = sinks_.find(sink);
    if (s == sinks_.end())
      return 0;
    topics = s->second;
  }
  std::size_t n = 0;
  for (auto topic : topics)
    n += unsubscribe(topic, sink) ? 1 : 0;
  return n;
}

void bus::restore(std::uint64_t last_seq, std::vector<stored_event> events) {
  std::lock_guard<std::mutex> guard{mutex_};
  seq_ = std::max(seq_, last_seq);
  for (auto& e : events) {
    if (kept_.size() == retention_)
      kept_.pop_front();
    kept_.push_back({e.seq, std::make_shared<const outbound>(std::move(e.message), e.unit), e.to});
  }
}

std::uint64_t bus::last_seq() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return seq_;
}

std::size_t bus::topic_count() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return topics_.size();
}

} // namespace hub::actors
