#include "actors/bus.hpp"

#include "actors/lock_soon.hpp"
#include "protocol/codec.hpp"
#include "protocol/json.hpp"

#include <algorithm>

namespace hub::actors {

// -- outbound -------------------------------------------------------------------------------

outbound::~outbound() {
  delete msgpack_.load(std::memory_order_relaxed);
  delete json_.load(std::memory_order_relaxed);
}

template <class Encode>
const std::string& outbound::cached(std::atomic<const std::string*>& slot, Encode encode) const {
  if (auto* done = slot.load(std::memory_order_acquire))
    return *done;
  auto made = std::make_unique<const std::string>(encode(msg_));
  const std::string* expected = nullptr;
  if (slot.compare_exchange_strong(expected, made.get(), std::memory_order_acq_rel))
    return *made.release();
  return *expected; // another thread's encoding won; ours is freed
}

const std::string& outbound::msgpack() const {
  return cached(msgpack_, [](const protocol::server_message& m) { return protocol::encode(m); });
}

const std::string& outbound::json() const {
  return cached(json_, [](const protocol::server_message& m) { return protocol::to_json(m); });
}

void reply(const sink_ptr& to, protocol::server_message msg) {
  if (to)
    to->send(std::make_shared<const outbound>(std::move(msg), 0));
}

// -- bus ------------------------------------------------------------------------------------

bus::bus(std::shared_ptr<const protocol::hierarchy> h, std::size_t retention,
         std::size_t max_replay)
  : hierarchy_(std::move(h))
  , max_replay_(max_replay)
  , kept_(std::max<std::size_t>(retention, 1)) {
  const auto& units = hierarchy_->units;
  parent_at_.reserve(units.size());
  for (const auto& u : units)
    parent_at_.push_back(u.parent != 0 ? index_of(u.parent) : unknown_index);
  topic_at_.assign(units.size(), nullptr);
  watched_at_.assign(units.size(), 0);
}

std::uint32_t bus::index_of(protocol::unit_code code) const {
  static_assert(unknown_index == protocol::hierarchy::no_unit);
  return hierarchy_->index_of(code);
}

// -- the kept events ------------------------------------------------------------------------

outbound_ptr bus::ring::push(kept k) {
  if (size_ < slots_.size()) {
    slots_[(head_ + size_++) % slots_.size()] = std::move(k);
    return nullptr;
  }
  auto evicted = std::move(slots_[head_].msg);
  slots_[head_] = std::move(k);
  head_ = (head_ + 1) % slots_.size();
  return evicted;
}

std::size_t bus::ring::lower_bound(std::uint64_t seq) const {
  std::size_t lo = 0, hi = size_;
  while (lo < hi) {
    auto mid = lo + (hi - lo) / 2;
    if ((*this)[mid].seq < seq)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

// -- publishing -----------------------------------------------------------------------------

std::uint64_t bus::publish(protocol::unit_code unit, protocol::server_message event, reach to,
                           std::uint32_t index, std::uint64_t seq,
                           std::shared_ptr<const void> facts) {
  // Built and looked up before the lock, and the evicted event freed after it: the lock
  // covers only numbering, retention and queueing.
  auto built = std::make_shared<outbound>(std::move(event), unit);
  const auto at = index != unknown_index ? index : index_of(unit);
  const auto aud = to == reach::unit_watchers ? audience::unit : audience::subtree;
  outbound_ptr evicted;
  auto guard = lock_soon(mutex_);
  seq_ = seq != 0 ? seq : seq_ + 1;
  seq = seq_;
  protocol::set_seq(built->msg_, seq);
  outbound_ptr msg = std::move(built);
  evicted = kept_.push({seq, msg, to});
  if (tap_)
    tap_->on_event(at, msg, facts);
  if (watched(at, aud))
    enqueue(std::move(guard), {std::move(msg), at, aud, seq});
  return seq;
}

void bus::publish_aggregate(protocol::aggregate a) {
  const auto unit = a.unit;
  const auto at = index_of(unit);
  {
    auto guard = lock_soon(mutex_);
    if (!watched(at, audience::unit_and_parent))
      return; // nobody watches: nothing built (most units, most of the time)
  }
  auto msg = std::make_shared<const outbound>(std::move(a), unit);
  enqueue(lock_soon(mutex_), {std::move(msg), at, audience::unit_and_parent, 0});
}

bool bus::watched(std::uint32_t at, audience to) const {
  if (at == unknown_index)
    return watched_elsewhere_ != 0;
  switch (to) {
    case audience::unit: return watched_at_[at] != 0;
    case audience::unit_and_parent:
      return watched_at_[at] != 0 ||
             (parent_at_[at] != unknown_index && watched_at_[parent_at_[at]] != 0);
    case audience::subtree:
      for (auto i = at; i != unknown_index; i = parent_at_[i])
        if (watched_at_[i] != 0)
          return true;
      return false;
  }
  return true;
}

void bus::count_watch(protocol::unit_code code, int delta) {
  auto at = index_of(code);
  if (at == unknown_index)
    watched_elsewhere_ += delta;
  else
    watched_at_[at] += delta;
}

// -- the deliverer's role -------------------------------------------------------------------

void bus::enqueue(std::unique_lock<std::mutex> guard, queued q) {
  queue_.push_back(std::move(q));
  if (delivering_)
    return; // the deliverer hands it out after what is queued before it
  delivering_ = true;
  deliver_queue(std::move(guard));
}

void bus::hand_out(std::unique_lock<std::mutex>& guard) {
  std::vector<queued> batch;
  while (!queue_.empty()) {
    batch.swap(queue_);
    guard.unlock();
    for (const auto& q : batch)
      deliver(q);
    batch.clear(); // frees delivered messages outside the lock
    guard.lock();
  }
}

void bus::deliver_queue(std::unique_lock<std::mutex> guard) {
  hand_out(guard);
  delivering_ = false;
  guard.unlock();
  role_free_.notify_all();
}

std::unique_lock<std::mutex> bus::take_role() {
  std::unique_lock<std::mutex> guard{mutex_};
  role_free_.wait(guard, [&] { return !delivering_; });
  delivering_ = true;
  hand_out(guard); // published before the change: delivered to the old lists
  return guard;
}

const std::vector<sink_ptr>* bus::subscribers_of(protocol::unit_code code, std::uint32_t i) const {
  if (i != unknown_index)
    return topic_at_[i];
  auto t = topics_.find(code); // a topic outside the hierarchy
  return t == topics_.end() ? nullptr : &t->second;
}

void bus::deliver(const queued& q) {
  auto to_all = [&](const std::vector<sink_ptr>* subs) {
    if (subs != nullptr)
      for (auto& s : *subs)
        s->send(q.msg);
  };
  if (q.at == unknown_index || q.to == audience::unit)
    return to_all(subscribers_of(q.msg->unit(), q.at));
  // The topics the message falls under: its unit's and its parent's (an aggregate), or its
  // unit's and every ancestor's (an event).
  auto each_topic = [&](auto&& f) {
    if (q.to == audience::unit_and_parent) {
      f(topic_at_[q.at]);
      if (auto parent = parent_at_[q.at]; parent != unknown_index)
        f(topic_at_[parent]);
      return;
    }
    for (auto i = q.at; i != unknown_index; i = parent_at_[i])
      f(topic_at_[i]);
  };
  std::size_t watched_topics = 0;
  if (!multi_.empty())
    each_topic([&](const std::vector<sink_ptr>* subs) { watched_topics += subs != nullptr; });
  if (watched_topics < 2)
    return each_topic(to_all);
  // A sink subscribed to more than one of these topics gets the message once.
  sent_.clear();
  each_topic([&](const std::vector<sink_ptr>* subs) {
    if (subs == nullptr)
      return;
    for (auto& s : *subs) {
      if (multi_.contains(s.get())) {
        if (std::find(sent_.begin(), sent_.end(), s.get()) != sent_.end())
          continue;
        sent_.push_back(s.get());
      }
      s->send(q.msg);
    }
  });
}

bool bus::had_already(const std::vector<subscription>* others, protocol::unit_code topic,
                      const kept& k) const {
  if (others == nullptr)
    return false;
  for (const auto& sub : *others)
    if (sub.topic != topic && k.seq > sub.from &&
        (k.to == reach::unit_watchers ? k.msg->unit() == sub.topic
                                      : hierarchy_->within(k.msg->unit(), sub.topic)))
      return true;
  return false;
}

// -- subscriptions --------------------------------------------------------------------------

void bus::subscribe(protocol::unit_code topic, const sink_ptr& sink, std::uint64_t since,
                    std::uint64_t ack_id) {
  auto guard = take_role();
  auto& subscribers = topics_[topic];
  if (auto i = index_of(topic); i != unknown_index)
    topic_at_[i] = &subscribers; // map nodes do not move
  // After the replay (or the gap), before the live events: where the replay ended.
  auto ack = [&, ack_id](std::uint64_t cut) {
    if (ack_id != 0)
      sink->send(std::make_shared<const outbound>(protocol::ack{ack_id, 0, 0, cut}, 0));
  };
  if (std::find(subscribers.begin(), subscribers.end(), sink) != subscribers.end()) {
    const auto cut = seq_;
    guard.unlock();
    ack(cut);
    guard.lock();
    return deliver_queue(std::move(guard));
  }
  // Every event up to seq_ has been delivered (the queue is empty and we hold the role); the
  // replay covers (since, seq_], the queue everything after, now that the topic is counted.
  std::vector<outbound_ptr> replay;
  bool gap = false;
  const auto cut = seq_;
  if (since > 0 && since < cut) {
    auto oldest = kept_.size() == 0 ? cut + 1 : kept_[0].seq;
    auto first = kept_.lower_bound(since + 1);
    auto matches = [&](const kept& k) {
      return k.to == reach::unit_watchers ? k.msg->unit() == topic
                                          : hierarchy_->within(k.msg->unit(), topic);
    };
    gap = since + 1 < oldest;
    const auto mine = sinks_.find(sink.get());
    const auto* others = mine != sinks_.end() ? &mine->second : nullptr;
    for (auto i = first; !gap && i != kept_.size(); ++i)
      if (matches(kept_[i]) && !had_already(others, topic, kept_[i])) {
        if (replay.size() == max_replay_)
          gap = true;
        else
          replay.push_back(kept_[i].msg);
      }
  }
  count_watch(topic, +1);
  topic_count_ = topics_.size();
  guard.unlock();
  if (gap)
    sink->send(std::make_shared<const outbound>(protocol::gap{topic, since, cut + 1}, topic));
  else
    for (auto& m : replay)
      sink->send(std::move(m));
  ack(cut);
  subscribers.push_back(sink);
  auto& mine = sinks_[sink.get()];
  mine.push_back({topic, gap || since == 0 || since > cut ? cut : since});
  if (mine.size() == 2)
    multi_.insert(sink.get());
  guard.lock();
  deliver_queue(std::move(guard));
}

bool bus::drop_subscription(protocol::unit_code topic, const client_sink* sink) {
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
    if (auto at = index_of(topic); at != unknown_index)
      topic_at_[at] = nullptr;
    topics_.erase(t); // a topic goes with its last subscriber
  }
  auto s = sinks_.find(sink);
  std::erase_if(s->second, [&](const subscription& sub) { return sub.topic == topic; });
  if (s->second.size() < 2)
    multi_.erase(sink);
  if (s->second.empty())
    sinks_.erase(s);
  return true;
}

bool bus::unsubscribe(protocol::unit_code topic, const client_sink* sink) {
  auto guard = take_role();
  guard.unlock();
  const bool was = drop_subscription(topic, sink);
  guard.lock();
  if (was)
    count_watch(topic, -1);
  topic_count_ = topics_.size();
  deliver_queue(std::move(guard));
  return was;
}

std::size_t bus::unsubscribe_all(const client_sink* sink) {
  auto guard = take_role();
  guard.unlock();
  std::vector<protocol::unit_code> topics;
  if (auto s = sinks_.find(sink); s != sinks_.end())
    for (const auto& sub : s->second)
      topics.push_back(sub.topic);
  for (auto topic : topics)
    drop_subscription(topic, sink);
  guard.lock();
  for (auto topic : topics)
    count_watch(topic, -1);
  topic_count_ = topics_.size();
  deliver_queue(std::move(guard));
  return topics.size();
}

void bus::restore(std::uint64_t last_seq, std::vector<stored_event> events) {
  std::lock_guard<std::mutex> guard{mutex_};
  seq_ = std::max(seq_, last_seq);
  for (auto& e : events) {
    kept_.push({e.seq, std::make_shared<const outbound>(std::move(e.message), e.unit), e.to});
  }
}

std::uint64_t bus::last_seq() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return seq_;
}

std::size_t bus::topic_count() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return topic_count_;
}

} // namespace hub::actors
