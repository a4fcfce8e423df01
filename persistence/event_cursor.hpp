#pragma once

// The event log read forward from a cursor kept in Redis: the durable outbox of a consumer
// outside the city (the Open311 webhook). The journal writes each event into hub:events in the
// same Lua call as the step that made it, so the log already holds everything to send; the
// consumer only stores how far it has delivered, hub:cursor:<name> = the last sequence number
// delivered, after each delivery. A crash between a delivery and its save sends that delivery
// again after the restart (at least once); nothing in the log is skipped. Never used from an
// actor: every call may block for up to the store's time-out.

#include "actors/bus.hpp"
#include "persistence/store_options.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hub::persistence {

class event_cursor {
public:
  /// `name`: [a-z0-9-]+, the consumer's (its key is hub:cursor:<name>).
  event_cursor(store_options options, std::string name);
  ~event_cursor();

  /// The stored cursor; when none is stored yet, the log's last sequence number (hub:meta
  /// seq: a new consumer starts with what happens from now on), stored as the start.
  /// nullopt when the store did not answer (try again later).
  std::optional<std::uint64_t> load();
  /// Stores `seq` as delivered; false when the store did not answer.
  bool save(std::uint64_t seq);

  struct batch {
    std::vector<actors::stored_event> events; // seq > after, ascending
    /// True when the log no longer holds the events right after `after` (trimmed: more than
    /// the event log keeps were waiting); `events` then starts at the oldest kept.
    bool gap = false;
  };
  /// The events after `after` from at most `entries` entries of the log (one entry per
  /// journal batch). nullopt when the store did not answer. Throws corrupt_record.
  std::optional<batch> read(std::uint64_t after, std::size_t entries);

  const std::string& key() const { return key_; }

private:
  redis_connection* connection(); // connects again after a failure; null when it cannot

  store_options options_;
  std::string key_;
  std::unique_ptr<redis_connection> conn_;
};

} // namespace hub::persistence
