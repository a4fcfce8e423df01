#pragma once

// What one session has to write, in order: replies (ack, error) and events (case.event,
// directive.event, aggregate, gap). The policy lives here so it can be tested without a
// socket; the session decides when to apply it:
// - an aggregate replaces a queued, not yet written aggregate of the same unit (latest wins);
// - on overflow the session drops the events that do not fit, never a reply, and tells the
//   client from which sequence number to resume; at shutdown it drops every queued event.
// Not thread-safe: used on its session's strand only.

#include "actors/bus.hpp"

#include <cstdint>
#include <deque>
#include <unordered_map>

namespace hub::gateway {

class send_queue {
public:
  struct drop_result {
    std::size_t dropped = 0;     // events removed
    std::uint64_t first_seq = 0; // lowest sequence number among them (0: none sequenced)
  };

  // -- classification -----------------------------------------------------------------------

  /// Events may be dropped or coalesced; replies (ack, error) never are.
  static bool is_event(const protocol::server_message& m);
  /// The sequence number of a case or directive event, else 0.
  static std::uint64_t seq_of(const protocol::server_message& m);

  // -- queueing -----------------------------------------------------------------------------

  /// Appends `msg`. Returns false when it replaced a queued aggregate of the same unit
  /// instead (the queue did not grow).
  bool push(actors::outbound_ptr msg);
  /// True when pushing `m` would replace a queued aggregate rather than grow the queue.
  bool coalesces(const protocol::server_message& m) const;

  /// Messages queued, those being written included.
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  /// The `i`-th message queued (0: the oldest). Precondition: i < size().
  const actors::outbound_ptr& operator[](std::size_t i) const { return items_[i]; }
  /// True between start_write and finish_write.
  bool writing() const { return in_flight_ != 0; }
  /// Messages being written (the first ones queued).
  std::size_t in_flight() const { return in_flight_; }

  /// The first `n` messages (at least one) are written together, now in flight: they are no
  /// longer replaced or dropped. Precondition: !writing() && 0 < n <= size().
  void start_write(std::size_t n = 1);
  /// Removes the messages in flight; returns how many. Precondition: writing().
  std::size_t finish_write();

  // -- shedding -----------------------------------------------------------------------------

  /// Removes every event that is not in flight; replies keep their order.
  drop_result drop_events();
  /// Removes everything that is not in flight (the connection is closing). Returns how many.
  std::size_t drop_pending();

private:
  void reindex();

  std::deque<actors::outbound_ptr> items_;
  std::size_t in_flight_ = 0; // the first in_flight_ of items_ are being written
  /// Queued (not in flight) aggregates: unit → absolute position (popped_ + index).
  std::unordered_map<protocol::unit_code, std::uint64_t> aggregates_;
  std::uint64_t popped_ = 0; // absolute position of items_.front()
};

} // namespace hub::gateway
