#pragma once

// Remembers the reply to each recent request, keyed by (person, client message id), so that a
// client that retries (say, after a reconnect) is answered again and its request is not
// applied twice. Bounded: the oldest entries are forgotten first (FIFO, per shard).

#include "actors/bus.hpp"

#include <array>
#include <deque>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace hub::actors {

class request_ledger : public std::enable_shared_from_this<request_ledger> {
public:
  /// `capacity`: how many requests are remembered in all.
  explicit request_ledger(std::size_t capacity = 1 << 17);

  /// Registers request `id` of `person`, whose content hashes to `digest`. Returns the sink the
  /// request's reply must go to (it records the reply and hands it on to `to`), or null when
  /// the id was seen before: then the earlier request's reply has been sent to `to` again (or
  /// will be when it arrives), or, when the content differs, an invalid_argument error.
  sink_ptr admit(protocol::person_id person, std::uint64_t id, std::size_t digest, sink_ptr to);

  /// Remembers that request `id` of `person` (content `digest`) was answered `reply`: a
  /// recovered city's recent requests, so that a retry after a restart is not applied twice.
  void remember(protocol::person_id person, std::uint64_t id, std::size_t digest,
                protocol::server_message reply);

  /// Number of requests remembered.
  std::size_t size() const;

private:
  struct key {
    protocol::person_id person;
    std::uint64_t id;
    bool operator==(const key&) const = default;
  };
  struct key_hash {
    std::size_t operator()(const key& k) const noexcept {
      return std::hash<std::uint64_t>{}(k.person * 0x9e3779b97f4a7c15ull ^ k.id);
    }
  };
  struct entry {
    std::size_t digest = 0;        // of the request's content
    outbound_ptr reply;            // null while the request is in flight
    std::vector<sink_ptr> waiting; // everyone who sent it, answered when the reply comes
  };
  struct shard {
    mutable std::mutex mutex;
    std::unordered_map<key, entry, key_hash> entries;
    std::deque<key> order; // oldest first
  };
  class recording_sink;

  shard& shard_of(const key& k) { return shards_[key_hash{}(k) % shards_.size()]; }
  void record(const key& k, const outbound_ptr& reply);

  std::size_t capacity_per_shard_;
  std::array<shard, 16> shards_;
};

} // namespace hub::actors
