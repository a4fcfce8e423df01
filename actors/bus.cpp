#include "actors/bus.hpp"

#include "actors/lock_soon.hpp"
#include "protocol/codec.hpp"
#include "protocol/frame.hpp"

#include <algorithm>
#include <utility>

namespace hub::actors {

// -- outbound -------------------------------------------------------------------------------

outbound::~outbound() {
  for (auto* slot : {&msgpack_, &json_})
    if (auto* made = slot->load(std::memory_order_relaxed))
      intrusive_ptr_release(made);
}

const frame_bytes& outbound::encoded(bool text) const {
  auto& slot = text ? json_ : msgpack_;
  if (auto* done = slot.load(std::memory_order_acquire))
    return *done;
  auto* made = new frame_bytes(protocol::encode_frame(msg_, text));
  intrusive_ptr_add_ref(made); // the slot's reference
  const frame_bytes* expected = nullptr;
  if (slot.compare_exchange_strong(expected, made, std::memory_order_acq_rel))
    return *made;
  intrusive_ptr_release(made); // another thread's encoding won; ours is freed
  return *expected;
}

std::string_view outbound::payload(std::string_view frame) {
  return frame.substr(protocol::frame_header_size(frame.data()));
}

void reply(const sink_ptr& to, protocol::server_message msg) {
  if (to)
    to->send(std::make_shared<const outbound>(std::move(msg), 0));
}

// -- bus ------------------------------------------------------------------------------------

bus::bus(std::shared_ptr<const protocol::hierarchy> h, std::size_t retention, std::size_t scan_step)
  : hierarchy_(std::move(h))
  , scan_step_(std::max<std::size_t>(scan_step, 1))
  , kept_(std::max<std::size_t>(retention, 1)) {
  const auto& units = hierarchy_->units;
  parent_at_.reserve(units.size());
  for (const auto& u : units)
    parent_at_.push_back(u.parent != 0 ? index_of(u.parent) : unknown_index);
  topic_at_.assign(units.size(), nullptr);
  watched_at_.assign(units.size(), 0);
  figures_at_.assign(units.size(), 0);
  figures_of_.resize(units.size());
}

std::uint32_t bus::index_of(protocol::unit_code code) const {
  static_assert(unknown_index == protocol::hierarchy::no_unit);
  return hierarchy_->index_of(code);
}

// -- the kept events ------------------------------------------------------------------------

bus::kept bus::ring::push(kept k) {
  if (size_ < slots_.size()) {
    slots_[slot(size_++)] = std::move(k);
    return {};
  }
  gone_ = slots_[head_].seq;
  auto evicted = std::exchange(slots_[head_], std::move(k));
  head_ = slot(1);
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
  kept evicted;
  auto guard = lock_soon(mutex_);
  seq_ = seq != 0 ? seq : seq_ + 1;
  seq = seq_;
  protocol::set_seq(built->msg_, seq);
  outbound_ptr msg = std::move(built);
  evicted = kept_.push({seq, msg, {}, unit, at, to});
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
    case audience::unit_and_parent: // aggregates: for those who want figures
      return figures_at_[at] != 0 ||
             (parent_at_[at] != unknown_index && figures_at_[parent_at_[at]] != 0);
    case audience::subtree:
      for (auto i = at; i != unknown_index; i = parent_at_[i])
        if (watched_at_[i] != 0)
          return true;
      return false;
  }
  return true;
}

void bus::count_watch(protocol::unit_code code, int delta, bool figures) {
  auto at = index_of(code);
  if (at == unknown_index) {
    watched_elsewhere_ += delta;
    return;
  }
  watched_at_[at] += delta;
  if (figures)
    figures_at_[at] += delta;
}

// -- the deliverer's role -------------------------------------------------------------------

void bus::enqueue(std::unique_lock<std::mutex> guard, queued q) {
  queue_.push_back(std::move(q));
  if (delivering_)
    return; // the deliverer hands it out after what is queued before it
  delivering_ = true;
  deliver_queue(std::move(guard));
}

namespace {
/// True when a kept event may be kept as its frame: one the strict decoder reads back, as a
/// client does. Every event the hub makes has its case or directive id; an event built in
/// process without one (tests) is kept whole.
bool decodable(const protocol::server_message& m) {
  if (auto* c = std::get_if<protocol::case_event>(&m))
    return c->id != 0;
  if (auto* d = std::get_if<protocol::directive_event>(&m))
    return d->id != 0;
  return false;
}

/// A delivery queue larger than this (entries) is given back once it empties: a city-wide
/// burst grows it to millions of entries, which it would otherwise keep for good.
constexpr std::size_t small_queue = 4096;
} // namespace

void bus::hand_out(std::unique_lock<std::mutex>& guard) {
  // One lock a batch: the kept events of a batch are compacted under the same hold that
  // takes the next one, and a batch's messages are freed outside the lock while the next is
  // handed out. Publishers take the lock for every event; the fewer times the deliverer
  // wants it, the less they wait for each other.
  std::vector<queued> batch, delivered;
  while (!queue_.empty()) {
    batch.swap(queue_);
    guard.unlock();
    delivered.clear();
    bool encoded = false;
    for (const auto& q : batch) {
      // Encoded once here, before any sink has it: the sessions write this frame, and the
      // kept event keeps it once the message is gone.
      if (q.seq != 0 && decodable(q.msg->message())) {
        q.msg->frame(false);
        encoded = true;
      }
      deliver(q);
    }
    relock_soon(guard);
    if (encoded)
      compact(batch);
    delivered.swap(batch); // batch is empty again
  }
  if (queue_.capacity() > small_queue)
    std::vector<queued>().swap(queue_);
  guard.unlock();
  delivered.clear();
  relock_soon(guard);
}

void bus::compact(const std::vector<queued>& batch) {
  std::size_t i = kept_.size();
  bool first = true;
  for (const auto& q : batch) {
    if (q.seq == 0 || !decodable(q.msg->message()))
      continue; // an aggregate (never kept), or an event kept whole
    if (first) {
      i = kept_.lower_bound(q.seq);
      first = false;
    }
    while (i < kept_.size() && kept_[i].seq < q.seq)
      ++i;
    if (i == kept_.size())
      return;
    auto& k = kept_[i];
    if (k.seq == q.seq && k.msg == q.msg) {
      k.frame = q.msg->shared_frame(false);
      k.msg.reset(); // never the last reference: the batch holds one
    }
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
  if (q.to == audience::unit_and_parent) {
    // An aggregate: to the unit's and its parent's subscribers that want figures, once each.
    const auto& mine = figures_of_[q.at];
    const auto parent = parent_at_[q.at];
    const auto* above = parent != unknown_index ? &figures_of_[parent] : nullptr;
    to_all(&mine);
    if (above != nullptr)
      for (auto& s : *above)
        if (mine.empty() || !multi_.contains(s.get()) ||
            std::find(mine.begin(), mine.end(), s) == mine.end())
          s->send(q.msg);
    return;
  }
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

bool bus::matches(const kept& k, protocol::unit_code topic, std::uint32_t topic_at) const {
  // An event of a unit outside the hierarchy goes to that unit's own watchers, as live.
  if (k.to == reach::unit_watchers || k.at == unknown_index || topic_at == unknown_index)
    return k.unit == topic;
  return hierarchy_->within_at(k.at, topic_at);
}

bool bus::had_already(const std::vector<subscription>& others, protocol::unit_code topic,
                      const kept& k) const {
  for (const auto& sub : others)
    if (sub.topic != topic && sub.has(k.seq) && matches(k, sub.topic, index_of(sub.topic)))
      return true;
  return false;
}

// -- subscriptions --------------------------------------------------------------------------

bus::subscription* bus::find(const client_sink* sink, protocol::unit_code topic) {
  auto s = sinks_.find(sink);
  if (s == sinks_.end())
    return nullptr;
  for (auto& sub : s->second)
    if (sub.topic == topic)
      return &sub;
  return nullptr;
}

void bus::subscribe(protocol::unit_code topic, const sink_ptr& sink,
                    std::optional<std::uint64_t> since, std::uint64_t ack_id, bool figures) {
  auto guard = take_role();
  if (auto* sub = find(sink.get(), topic)) {
    if (sub->replay) { // acked where the replay on its way ends
      if (ack_id != 0)
        sub->replay->acks.push_back(ack_id);
      return deliver_queue(std::move(guard));
    }
    const auto cut = seq_;
    guard.unlock();
    if (ack_id != 0)
      sink->send(std::make_shared<const outbound>(protocol::ack{ack_id, 0, 0, cut}, 0));
    guard.lock();
    return deliver_queue(std::move(guard));
  }
  auto& mine = sinks_[sink.get()];
  const auto cut = seq_;
  if (!since || *since >= cut) {
    // Live only. Every event up to seq_ has been delivered (the queue is empty and we hold
    // the role); the queue brings everything after, now that the topic is counted.
    count_watch(topic, +1, figures);
    guard.unlock();
    if (ack_id != 0)
      sink->send(std::make_shared<const outbound>(protocol::ack{ack_id, 0, 0, cut}, 0));
    mine.push_back(subscription::live(topic, cut));
    mine.back().figures = figures;
    if (mine.size() == 2)
      multi_.insert(sink.get());
    attach(topic, sink, figures);
    guard.lock();
    topic_count_ = topics_.size();
    return deliver_queue(std::move(guard));
  }
  auto& sub = mine.emplace_back(subscription::live(topic, *since));
  sub.upto = *since; // nothing looked at yet
  sub.figures = figures;
  sub.replay = std::make_unique<replaying>();
  sub.replay->sink = sink;
  if (ack_id != 0)
    sub.replay->acks.push_back(ack_id);
  if (mine.size() == 2)
    multi_.insert(sink.get());
  replay_stats_.active += 1;
  run_replay(std::move(guard), topic, sink.get());
}

void bus::replay_more(protocol::unit_code topic, const client_sink* sink) {
  auto guard = take_role();
  if (auto* sub = find(sink, topic); sub == nullptr || !sub->replay)
    return deliver_queue(std::move(guard)); // over, or unsubscribed meanwhile
  run_replay(std::move(guard), topic, sink);
}

void bus::run_replay(std::unique_lock<std::mutex> guard, protocol::unit_code topic,
                     const client_sink* sink) {
  for (;;) {
    auto* sub = find(sink, topic);
    if (sub == nullptr || !sub->replay)
      return deliver_queue(std::move(guard));
    auto holder = sub->replay->sink; // the step may end the replay
    const bool paced = holder->replay_chunk() != 0;
    if (replay_step(guard, *sub))
      return deliver_queue(std::move(guard));
    if (paced) {
      guard.unlock();
      holder->replay_paused(topic); // it asks for the next chunk when it has room
      guard.lock();
      return deliver_queue(std::move(guard));
    }
    // Deliveries to everyone else go on between two steps.
    deliver_queue(std::move(guard));
    guard = take_role();
  }
}

bool bus::replay_step(std::unique_lock<std::mutex>& guard, subscription& sub) {
  // `sub` stays put while we hold the role: only the deliverer changes the subscriptions.
  const auto topic = sub.topic;
  const auto topic_at = index_of(topic);
  const auto cut = seq_;
  sink_ptr sink = sub.replay->sink;
  const auto chunk = sink->replay_chunk(); // 0: no limit
  // What the step hands out: a kept message, or a kept frame decoded outside the lock.
  struct found {
    outbound_ptr msg;
    frame_ref frame;
    protocol::unit_code unit = 0;
  };
  std::vector<found> out;
  // Events after the point reached are no longer kept: the client learns it missed some.
  const bool gap = sub.upto < cut && kept_.gone() > sub.upto;
  const auto reached = sub.upto;
  bool done = gap || sub.upto >= cut;
  if (!done) {
    const auto& mine = sinks_.find(sink.get())->second;
    auto i = kept_.lower_bound(sub.upto + 1);
    const auto end = std::min(kept_.size(), i + scan_step_);
    for (; i != end; ++i) {
      const auto& k = kept_[i];
      if (matches(k, topic, topic_at) && !had_already(mine, topic, k)) {
        if (chunk != 0 && out.size() == chunk)
          break;
        out.push_back({k.msg, k.msg ? frame_ref{} : k.frame, k.unit});
      }
      sub.upto = k.seq;
    }
    done = i == kept_.size();
  }
  replay_stats_.events += out.size();
  replay_stats_.gaps += gap ? 1 : 0;
  std::vector<std::uint64_t> acks;
  const bool figures = sub.figures;
  if (done) {
    // Caught up: from now on publishers queue the topic's events for this subscriber too,
    // and they are delivered after the last of the replay (we hold the role).
    if (gap)
      sub.live_from = cut; // (from, upto] replayed, nothing of (upto, cut]
    else
      sub.upto = subscription::unbounded;
    acks = std::move(sub.replay->acks);
    sub.replay.reset();
    count_watch(topic, +1, figures);
    replay_stats_.active -= 1;
  }
  guard.unlock();
  if (gap)
    sink->send(std::make_shared<const outbound>(protocol::gap{topic, reached, cut + 1}, topic));
  for (auto& m : out) {
    if (m.msg) {
      sink->send(std::move(m.msg));
      continue;
    }
    auto decoded = protocol::decode_server(outbound::payload(m.frame->view()));
    if (auto* msg = std::get_if<protocol::server_message>(&decoded))
      sink->send(std::make_shared<const outbound>(std::move(*msg), m.unit, std::move(m.frame)));
  }
  out.clear(); // frees outside the lock what eviction may have left to us
  if (done) {
    for (auto id : acks) // where the replay ended, before the live events
      sink->send(std::make_shared<const outbound>(protocol::ack{id, 0, 0, cut}, 0));
    attach(topic, sink, figures);
  }
  guard.lock();
  topic_count_ = topics_.size();
  return done;
}

void bus::attach(protocol::unit_code topic, const sink_ptr& sink, bool figures) {
  auto& subscribers = topics_[topic];
  auto i = index_of(topic);
  if (i != unknown_index) {
    topic_at_[i] = &subscribers; // map nodes do not move
    if (figures)
      figures_of_[i].push_back(sink);
  }
  subscribers.push_back(sink);
}

bool bus::drop_subscription(protocol::unit_code topic, const client_sink* sink, bool& live,
                            bool& figures) {
  auto s = sinks_.find(sink);
  if (s == sinks_.end())
    return false;
  auto sub = std::find_if(s->second.begin(), s->second.end(),
                          [&](const subscription& x) { return x.topic == topic; });
  if (sub == s->second.end())
    return false;
  live = !sub->replay;
  figures = sub->figures;
  if (!live) {
    // Its subscribes are answered all the same, where the replay had got to: every request
    // gets its reply.
    for (auto id : sub->replay->acks)
      sub->replay->sink->send(
          std::make_shared<const outbound>(protocol::ack{id, 0, 0, sub->upto}, 0));
  } else {
    auto t = topics_.find(topic);
    auto& subs = t->second;
    std::erase_if(subs, [&](const sink_ptr& x) { return x.get() == sink; });
    const auto at = index_of(topic);
    if (figures && at != unknown_index)
      std::erase_if(figures_of_[at], [&](const sink_ptr& x) { return x.get() == sink; });
    if (subs.empty()) {
      if (at != unknown_index)
        topic_at_[at] = nullptr;
      topics_.erase(t); // a topic goes with its last subscriber
    }
  }
  s->second.erase(sub);
  if (s->second.size() < 2)
    multi_.erase(sink);
  if (s->second.empty())
    sinks_.erase(s);
  return true;
}

bool bus::unsubscribe(protocol::unit_code topic, const client_sink* sink) {
  auto guard = take_role();
  guard.unlock();
  bool live = false, figures = false;
  const bool was = drop_subscription(topic, sink, live, figures);
  guard.lock();
  if (was && live)
    count_watch(topic, -1, figures);
  else if (was)
    replay_stats_.active -= 1;
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
  std::vector<bool> live(topics.size()), figures(topics.size());
  for (std::size_t i = 0; i < topics.size(); ++i) {
    bool l = false, f = false;
    drop_subscription(topics[i], sink, l, f);
    live[i] = l;
    figures[i] = f;
  }
  guard.lock();
  for (std::size_t i = 0; i < topics.size(); ++i)
    if (live[i])
      count_watch(topics[i], -1, figures[i]);
    else
      replay_stats_.active -= 1;
  topic_count_ = topics_.size();
  deliver_queue(std::move(guard));
  return topics.size();
}

void bus::restore(std::uint64_t last_seq, std::vector<stored_event> events) {
  std::lock_guard<std::mutex> guard{mutex_};
  seq_ = std::max(seq_, last_seq);
  // What came before the oldest event handed back is past retention already.
  kept_.gone_up_to(events.empty() ? last_seq : events.front().seq - 1);
  for (auto& e : events) {
    // Kept as frames, as delivered events are: a recovered city's past is replayed only.
    if (!decodable(e.message)) {
      kept_.push({e.seq,
                  std::make_shared<const outbound>(std::move(e.message), e.unit),
                  {},
                  e.unit,
                  index_of(e.unit),
                  e.to});
      continue;
    }
    auto frame = outbound{std::move(e.message), e.unit}.shared_frame(false);
    kept_.push({e.seq, nullptr, std::move(frame), e.unit, index_of(e.unit), e.to});
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

replay_stats bus::replays() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return replay_stats_;
}

std::size_t bus::kept_bytes() const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < kept_.size(); ++i) {
    const auto& k = kept_[i];
    if (k.msg)
      bytes += sizeof(outbound); // and what its strings hold: not counted
    else if (k.frame)
      bytes += k.frame->heap_bytes();
  }
  return bytes;
}

std::size_t bus::queue_capacity() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return queue_.capacity();
}

} // namespace hub::actors
