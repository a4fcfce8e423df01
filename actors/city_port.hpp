#pragma once

// The city as the network sees it: the one interface the gateway calls. CAF-free, so that the
// gateway's files compile without the actors' headers and its tests can put a recording fake
// where a real city is not the point (tests/gateway/recording_city.hpp). `actors::city`
// implements it; a city in another process (a county shard) would implement it too.

#include "actors/archive.hpp"
#include "actors/bus.hpp"
#include "actors/journal.hpp"
#include "actors/principal.hpp"
#include "protocol/hierarchy.hpp"
#include "protocol/messages.hpp"

#include <cstddef>
#include <cstdint>

namespace hub::actors {

/// What /healthz and /metrics read of the city.
struct city_gauges {
  std::uint64_t last_seq = 0; // the latest event's sequence number
  std::size_t topics = 0;     // units with at least one subscriber
  journal_status store;       // where every step ends
  replay_stats replays;       // resumes in progress, and done so far
  archive_gauges archive;     // what the store holds, hot and archived (none without a store)
};

class city_port {
public:
  virtual ~city_port() = default;

  /// The hierarchy served: who exists, and at which post (tokens are checked against it).
  virtual const protocol::hierarchy& hierarchy() const = 0;

  /// Hands a decoded request from `who` to the city; never blocks. Every request kind goes
  /// this way, subscribe and unsubscribe included; what the city answers (the reply, then for a
  /// subscription its events) reaches `reply_to`, in order.
  virtual void submit(const principal& who, protocol::client_message msg, sink_ptr reply_to) = 0;

  /// A sink that paces its resumes (client_sink::replay_chunk) is ready for the next chunk of
  /// its replay of `topic` (bus::replay_more).
  virtual void replay_more(protocol::unit_code topic, const client_sink* sink) = 0;

  /// A connection closed: drops every subscription of `sink`. Returns how many there were.
  virtual std::size_t disconnect(const client_sink* sink) = 0;

  virtual city_gauges gauges() const = 0;
};

} // namespace hub::actors
