#pragma once

// The event bus: every state change becomes an event with a sequence number, kept for a
// bounded window (for resume) and handed to the subscribers of its unit and of every unit
// above it. Topics are unit codes; a subscription covers the unit's whole subtree. A sink
// (one connection) subscribed to several topics that an event falls under gets it once.
// Thread-safe: unit actors publish from scheduler threads, the gateway subscribes from its own.
//
// Delivery is combined: a publisher numbers and keeps its event under a short lock and queues
// it; whichever thread finds no delivery running becomes the deliverer and hands out the
// queue, in sequence order, until it is empty. Publishers never wait for each other's
// deliveries (with a plain lock around delivery every scheduler thread queued behind the
// one calling the sinks), and each sink still sees events in sequence order, because only
// one thread delivers at a time. The subscriber lists belong to the deliverer: subscribe and
// unsubscribe take the deliverer's role for their change.
//
// A resume replays every kept event after its `since`, in steps: each step takes the role,
// scans a bounded stretch of the kept events and hands out what matches, then gives the role
// back, so deliveries to others go on between steps and no step holds more than a stretch in
// memory. The subscriber is not on the topic's list meanwhile; the step that reaches the
// newest event puts it there, under the role, so nothing is missed or doubled. A sink whose
// send queue is bounded (a WebSocket session) paces its replay: it takes a chunk per step and
// asks for the next with replay_more once it has room.

#include "protocol/hierarchy.hpp"
#include "protocol/messages.hpp"

#include <boost/smart_ptr/intrusive_ptr.hpp>
#include <boost/smart_ptr/intrusive_ref_counter.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace hub::actors {

/// A message's encoded frame: made once, never changed, and shared by the message that made it
/// and the bus's kept event, which keeps it after the message is gone (no copy per event).
class frame_bytes : public boost::intrusive_ref_counter<frame_bytes, boost::thread_safe_counter> {
public:
  explicit frame_bytes(std::string bytes)
    : bytes_(std::move(bytes)) {}
  std::string_view view() const { return bytes_; }
  /// What it holds on the heap, itself included.
  std::size_t heap_bytes() const { return sizeof(*this) + bytes_.capacity() + 1; }

private:
  const std::string bytes_;
};

using frame_ref = boost::intrusive_ptr<const frame_bytes>;

/// One message on its way to clients, encoded at most once per format however many
/// sessions receive it. Thread-safe: sessions on different threads may ask at once.
/// Each form is kept as the whole WebSocket frame a server sends (RFC 6455 5.2: FIN, no
/// extension bits, unmasked; binary for MessagePack, text for JSON), so that a session gathers
/// the queued frames of many messages straight into one write to its socket.
class outbound {
public:
  outbound(protocol::server_message msg, protocol::unit_code unit)
    : msg_(std::move(msg))
    , unit_(unit) {}
  /// The same, with its MessagePack frame made already (as frame(false) would make it): a
  /// kept event brought back for a replay.
  outbound(protocol::server_message msg, protocol::unit_code unit, frame_ref msgpack_frame)
    : msg_(std::move(msg))
    , unit_(unit)
    , msgpack_(msgpack_frame.detach()) {}
  ~outbound();
  outbound(const outbound&) = delete;
  outbound& operator=(const outbound&) = delete;

  const protocol::server_message& message() const { return msg_; }
  /// The unit the event belongs to (0 for replies to one client).
  protocol::unit_code unit() const { return unit_; }
  /// The message's MessagePack / JSON encoding (the payload of its frame).
  std::string_view msgpack() const { return payload(frame(false)); }
  std::string_view json() const { return payload(frame(true)); }
  /// The whole frame (protocol/frame.hpp): binary with the MessagePack encoding, or text
  /// with the JSON one.
  std::string_view frame(bool text) const { return encoded(text).view(); }
  /// The same frame, to keep beyond the message.
  frame_ref shared_frame(bool text) const { return frame_ref{&encoded(text)}; }

private:
  friend class bus; // stamps the sequence number before the message is shared

  /// The frame of the form asked for, made on first use.
  const frame_bytes& encoded(bool text) const;
  /// A frame's payload: what follows its header.
  static std::string_view payload(std::string_view frame);

  protocol::server_message msg_;
  protocol::unit_code unit_;
  /// Each form, made on first use; the slot holds one reference. Two threads may both
  /// encode; one result is kept. A pointer per form rather than a frame and a once_flag: the
  /// bus keeps 65,536 of these, most of them never encoded.
  mutable std::atomic<const frame_bytes*> msgpack_{nullptr};
  mutable std::atomic<const frame_bytes*> json_{nullptr};
};

using outbound_ptr = std::shared_ptr<const outbound>;

/// Where the hub sends what one client receives: replies and subscribed events, in order.
/// Implementations must not block, and must not subscribe or unsubscribe from `send`: the bus
/// calls it from the thread that holds the deliverer's role. Publishing from `send` is fine
/// (it queues).
class client_sink {
public:
  virtual ~client_sink() = default;
  virtual void send(outbound_ptr msg) = 0;

  /// Events of a resume this sink takes at a time; 0 (the default): the whole replay at once.
  /// A paced sink gets at most this many, then replay_paused, and the next chunk only once it
  /// calls bus::replay_more. Must be thread-safe and constant.
  virtual std::size_t replay_chunk() const { return 0; }
  /// The replay of `topic` paused after a chunk (paced sinks only). Called as send is (by the
  /// deliverer, after the chunk): must not block and must not call back into the bus.
  virtual void replay_paused(protocol::unit_code topic) { (void)topic; }
};

using sink_ptr = std::shared_ptr<client_sink>;

/// Sees every event the bus publishes, in sequence order, under the bus's lock: the read side
/// (read_model.hpp) is fed from here. Must only hand the event on (a mailbox enqueue).
/// `facts`: what the step handed the read side beside the event (null for most): for a case
/// event a case_facts (case_record.hpp), for a directive's issue at its issuer the
/// directive_info, for a recipient's sign or complete the recipient (directive.hpp).
class event_tap {
public:
  virtual ~event_tap() = default;
  virtual void on_event(std::uint32_t unit_index, const outbound_ptr& event,
                        const std::shared_ptr<const void>& facts) = 0;
};

/// Sends `msg` as a reply to one client (no sequence number, no retention).
void reply(const sink_ptr& to, protocol::server_message msg);

/// Who an event is delivered to.
enum class reach : std::uint8_t {
  subtree_watchers, // subscribers of the unit and of every unit above it
  unit_watchers,    // subscribers of the unit itself only (a department's summons to a whistle)
};

/// An event as the store keeps it (recovery hands the latest ones back to the bus).
struct stored_event {
  std::uint64_t seq = 0;
  protocol::unit_code unit = 0;
  reach to = reach::subtree_watchers;
  protocol::server_message message;
};

/// Counters of resumes (for /metrics).
struct replay_stats {
  std::size_t active = 0;   // resumes still replaying
  std::uint64_t events = 0; // events replayed
  std::uint64_t gaps = 0;   // gap messages sent
};

class bus {
public:
  /// `retention`: how many of the latest events are kept for resume (a resume replays all of
  /// them that it asks for); `scan_step`: how many kept events one step of a replay looks at,
  /// at most, while it holds the deliverer's role.
  bus(std::shared_ptr<const protocol::hierarchy> h, std::size_t retention = 1 << 16,
      std::size_t scan_step = 1 << 14);

  static constexpr std::uint32_t unknown_index = UINT32_MAX;

  /// Keeps a case or directive event under sequence number `seq` and hands it to the
  /// subscribers of `unit` and (by default) its ancestors. `seq` is the number the journal
  /// gave the event at commit (actors/journal.hpp): greater than any published before, and
  /// kept as given. 0: the next after the last published, for a journal that publishes as it
  /// commits (the memory journal: publish order is its commit order). `index`: the unit's
  /// index in the hierarchy when the caller knows it (a unit actor does), else looked up.
  /// Returns the sequence number.
  /// `facts`: what the read side needs beside the event (event_tap), or null.
  std::uint64_t publish(protocol::unit_code unit, protocol::server_message event,
                        reach to = reach::subtree_watchers, std::uint32_t index = unknown_index,
                        std::uint64_t seq = 0, std::shared_ptr<const void> facts = {});

  /// Sets the tap every event passes (before the first publish).
  void set_tap(std::shared_ptr<event_tap> tap) { tap_ = std::move(tap); }

  /// Calls `at(seq)` with the latest sequence number, under the lock that orders publishing:
  /// whatever `at` hands the tap's receivers arrives after every event up to `seq` and before
  /// any later one (a consistent cut for a query).
  template <class At>
  void at_cut(At&& at) {
    std::lock_guard<std::mutex> guard{mutex_};
    at(seq_);
  }

  /// Hands an aggregate (not sequenced, not kept: the latest value wins) to the subscribers
  /// of `unit` and of its parent that want figures, so a dashboard sees its own figures and
  /// its children's.
  void publish_aggregate(protocol::aggregate a);

  /// Subscribes `sink` to the subtree of `topic`. With `since` (0: from the first event) it
  /// first receives every kept event after `since`, in order (paced: see client_sink), then
  /// the live ones; nothing published meanwhile is missed or doubled. When the replay reaches
  /// events no longer kept, a gap message takes the place of the rest of it. The replay leaves
  /// out what the sink had through its other subscriptions already. Without `since`, or with
  /// the latest event or later: live events only. Then, when `ack_id` is not 0, the sink gets
  /// ack{ack_id, seq = the last event before the live ones}, so the subscriber knows where
  /// its replay ended. Subscribing again to a topic changes nothing but the ack (which comes
  /// at the end of a replay still on its way). A replay dropped before its end (unsubscribe)
  /// still acks its subscribes, with where it had got to. `figures`: the subscription also
  /// gets the aggregates of `topic` and of its children (publish_aggregate) once it is live.
  void subscribe(protocol::unit_code topic, const sink_ptr& sink,
                 std::optional<std::uint64_t> since = std::nullopt, std::uint64_t ack_id = 0,
                 bool figures = true);

  /// The next chunk of a paced replay of `topic` to `sink` (after replay_paused). A no-op when
  /// there is none (it ended, or the subscription was dropped).
  void replay_more(protocol::unit_code topic, const client_sink* sink);

  /// Returns true if `sink` was subscribed to `topic`, or replaying it (and no longer is).
  bool unsubscribe(protocol::unit_code topic, const client_sink* sink);

  /// Drops every subscription of `sink`, replaying or live (a closed connection). Returns how
  /// many there were.
  std::size_t unsubscribe_all(const client_sink* sink);

  /// Sets the last published sequence number to `last_seq` (the last stored) and keeps
  /// `events` (oldest first; the newest `retention` of them) for resume: a recovered city's
  /// recent past. Before any subscriber.
  void restore(std::uint64_t last_seq, std::vector<stored_event> events);

  /// The sequence number of the latest event (0 before the first).
  std::uint64_t last_seq() const;

  /// Number of topics with at least one subscriber.
  std::size_t topic_count() const;

  /// Resumes in progress, and done so far.
  replay_stats replays() const;

  /// The heap bytes the kept events hold (for /metrics and the tests): a kept event that was
  /// delivered is its MessagePack frame; one nobody watched is still its whole message.
  std::size_t kept_bytes() const;
  /// The delivery queue's capacity, in entries (it is given back when the queue empties).
  std::size_t queue_capacity() const;

private:
  /// A kept event: the whole message until it has been delivered, then only its MessagePack
  /// frame (`frame`, `msg` null), decoded again for a replay. A message of the variant takes
  /// about 850 bytes however small the event; its frame about 100. A city-wide burst fills
  /// the 65,536 kept events with grids' arrivals: 74 MiB whole, 7 MiB as frames.
  struct kept {
    std::uint64_t seq = 0;
    outbound_ptr msg;
    frame_ref frame;                  // when msg is null
    protocol::unit_code unit = 0;     // the event's unit
    std::uint32_t at = unknown_index; // its index
    reach to = reach::subtree_watchers;
  };
  /// The kept events, oldest first, in a ring of fixed capacity: keeping one costs no
  /// allocation (a deque allocated and freed a block every few events).
  class ring {
  public:
    explicit ring(std::size_t capacity)
      : slots_(capacity) {}
    std::size_t size() const { return size_; }
    /// The `k`-th oldest.
    const kept& operator[](std::size_t k) const { return slots_[slot(k)]; }
    kept& operator[](std::size_t k) { return slots_[slot(k)]; }
    /// Keeps `k` (sequence numbers ascending); returns the evicted oldest event (empty when
    /// none was), for the caller to free outside the lock.
    kept push(kept k);
    /// Position of the oldest event with seq >= `seq` (size() when none).
    std::size_t lower_bound(std::uint64_t seq) const;
    /// Every event up to this sequence number is no longer kept (0: none was dropped).
    std::uint64_t gone() const { return gone_; }
    /// Events up to `seq` were never kept (a restore's older past).
    void gone_up_to(std::uint64_t seq) { gone_ = std::max(gone_, seq); }

  private:
    /// The slot of the `k`-th oldest (k < capacity): a wrap by one subtraction, not a
    /// division, since the deliverer walks the ring under the bus's lock.
    std::size_t slot(std::size_t k) const {
      const auto i = head_ + k;
      return i < slots_.size() ? i : i - slots_.size();
    }

    std::vector<kept> slots_;
    std::size_t head_ = 0; // the oldest
    std::size_t size_ = 0;
    std::uint64_t gone_ = 0;
  };
  /// Who a queued message goes to: an event's `reach`, or an aggregate's unit and parent.
  enum class audience : std::uint8_t { subtree, unit, unit_and_parent };
  struct queued {
    outbound_ptr msg;
    std::uint32_t at; // the unit's index
    audience to;
    std::uint64_t seq; // 0 for aggregates
  };

  /// Index of `code` in the hierarchy's units, or `unknown_index`.
  std::uint32_t index_of(protocol::unit_code code) const;

  // -- the deliverer's role (at most one thread at a time) --------------------------------
  /// Queues `q` (lock held by `guard`) and, unless another thread is delivering, delivers
  /// the queue until it is empty. Releases the lock.
  void enqueue(std::unique_lock<std::mutex> guard, queued q);
  /// Delivers the queue until it is empty (the role held; lock held on entry and return,
  /// released while delivering). Then gives back a burst-sized queue's memory.
  void hand_out(std::unique_lock<std::mutex>& guard);
  /// Replaces the kept events of `batch` (delivered, in sequence order) by their frames,
  /// shared with the messages that made them. Lock held.
  void compact(const std::vector<queued>& batch);
  /// Delivers the queue until it is empty, then gives up the role. Lock held on entry
  /// (released while delivering), released on return.
  void deliver_queue(std::unique_lock<std::mutex> guard);
  /// Waits for the role and takes it, delivering what was queued before. Returns with the
  /// lock held and the queue empty; deliver_queue gives the role up again.
  std::unique_lock<std::mutex> take_role();
  void deliver(const queued& q);
  struct subscription;
  /// True when kept event `k` goes to the watchers of `topic` (index `topic_at`).
  bool matches(const kept& k, protocol::unit_code topic, std::uint32_t topic_at) const;
  /// True when subscriptions `others` (a sink's, but for `topic`) gave it kept event `k`
  /// already. Deliverer only.
  bool had_already(const std::vector<subscription>& others, protocol::unit_code topic,
                   const kept& k) const;
  /// Removes `sink`'s subscription to `topic` (from the topic's list when it was live; a
  /// replay's pending acks are sent); false if there was none. Deliverer only, lock not held.
  /// Its watch is uncounted by the caller (`live` says whether there was one).
  /// `figures` says whether it wanted figures.
  bool drop_subscription(protocol::unit_code topic, const client_sink* sink, bool& live,
                         bool& figures);

  // -- resumes (the deliverer's) ----------------------------------------------------------
  /// `sink`'s subscription to `topic`, or null. Deliverer only.
  subscription* find(const client_sink* sink, protocol::unit_code topic);
  /// Runs the replay of `topic` to `sink` step by step: to the end for a sink that takes it
  /// whole, giving the role back between steps; one step for a paced one, which is then told
  /// it paused. Role and lock held on entry; returns with the role given up.
  void run_replay(std::unique_lock<std::mutex> guard, protocol::unit_code topic,
                  const client_sink* sink);
  /// One step of it (role and lock held on entry and on return): hands out what it found;
  /// true when the replay is over and the subscriber is on the topic's list.
  bool replay_step(std::unique_lock<std::mutex>& guard, subscription& sub);
  /// Puts `sink` on `topic`'s list, and on its list of figures when it wants them (role held,
  /// lock not held).
  void attach(protocol::unit_code topic, const sink_ptr& sink, bool figures);
  /// True when a subscriber of `at` (or, by `to`, of its parent or an ancestor) may want it.
  /// Lock held.
  bool watched(std::uint32_t at, audience to) const;
  /// Counts a subscription of topic `code` in or out of watched_at_ (and figures_at_ when it
  /// wants figures). Lock held.
  void count_watch(protocol::unit_code code, int delta, bool figures);
  /// The subscribers of topic `code` (index `i` when known), or null. Deliverer only.
  const std::vector<sink_ptr>* subscribers_of(protocol::unit_code code, std::uint32_t i) const;

  std::shared_ptr<const protocol::hierarchy> hierarchy_;
  std::shared_ptr<event_tap> tap_;
  std::size_t scan_step_;
  // Vector indices, not codes: one hash lookup per event instead of two per level.
  std::vector<std::uint32_t> parent_at_; // unit index -> parent's index (or unknown_index)

  // Guarded by mutex_: the last sequence number, retention, the delivery queue, the role.
  mutable std::mutex mutex_;
  std::condition_variable role_free_;
  std::uint64_t seq_ = 0; // of the latest event published
  ring kept_;
  std::vector<queued> queue_;
  bool delivering_ = false;
  std::size_t topic_count_ = 0; // mirrors topics_.size(), for readers without the role
  replay_stats replay_stats_;
  // Subscriptions per unit index, and to topics outside the hierarchy: publishers skip what
  // nobody watches. Counted when the subscriber's replay is cut, so nothing falls between.
  std::vector<std::uint32_t> watched_at_;
  std::size_t watched_elsewhere_ = 0;
  std::vector<std::uint32_t> figures_at_; // the same for subscriptions that want figures

  // The deliverer's: who is subscribed to what.
  std::unordered_map<protocol::unit_code, std::vector<sink_ptr>> topics_;
  std::vector<std::vector<sink_ptr>*> topic_at_; // unit index -> its entry of topics_
  /// The subscribers of each unit that want its figures (aggregates), by unit index: a
  /// subset of its topic's list (a grid worker's client subscribes without them).
  std::vector<std::vector<sink_ptr>> figures_of_;
  /// What a replay still on its way needs besides its subscription.
  struct replaying {
    sink_ptr sink;
    std::vector<std::uint64_t> acks; // ids of the subscribes to ack when it ends
  };
  /// A sink's subscription to a topic, live or still replaying. The sink has had every event
  /// of the topic numbered in (from, upto], and every one after `live_from`: a live one
  /// since `from` (upto and live_from unbounded); a replay so far (upto: every kept event up
  /// to it was looked at); a replay cut by a gap (upto: where it was; live_from: the cut).
  struct subscription {
    static constexpr std::uint64_t unbounded = UINT64_MAX;
    protocol::unit_code topic = 0;
    std::uint64_t from = 0;
    std::uint64_t upto = unbounded;
    std::uint64_t live_from = unbounded;
    bool figures = true;               // gets aggregates too
    std::unique_ptr<replaying> replay; // while not yet on the topic's list
    /// Every event after `from`.
    static subscription live(protocol::unit_code topic, std::uint64_t from) {
      subscription s;
      s.topic = topic;
      s.from = from;
      return s;
    }
    bool has(std::uint64_t seq) const { return (seq > from && seq <= upto) || seq > live_from; }
  };
  std::unordered_map<const client_sink*, std::vector<subscription>> sinks_;
  /// Sinks with more than one subscription: only they can be due an event twice.
  std::unordered_set<const client_sink*> multi_;
  std::vector<const client_sink*> sent_; // deliver's scratch: such sinks an event reached
};

} // namespace hub::actors
