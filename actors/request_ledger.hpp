#pragma once

// Remembers the reply to each recent request, keyed by (person, client message id), so that a
// client that retries (say, after a reconnect) is answered again and its request is not
// applied twice. Bounded: of the answered requests, the oldest answered are forgotten first
// (FIFO per shard). A request still in flight is never forgotten while its reply may come:
// it enters the eviction order only when answered, and leaves the ledger if its reply sink is
// dropped unanswered (the actor died or the city went away).

#include "actors/bus.hpp"

#include <array>
#include <deque>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace hub::actors {

/// A digest of a request's content, to tell a retry from a reused id (not cryptographic).
std::size_t request_digest(const protocol::client_body& body);

class request_ledger : public std::enable_shared_from_this<request_ledger> {
public:
  /// `capacity`: how many answered requests are remembered in all.
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

  /// Number of requests remembered, answered or in flight.
  std::size_t size() const;

private:
  struct key {
    protocol::person_id person;
    std::uint64_t id;
    bool operator==(const key&) const = default;
  };
  struct key_hash {
    /// splitmix64's finaliser over both halves: every input bit reaches the high bits, which
    /// pick the shard, and the low bits, which pick the bucket.
    std::size_t operator()(const key& k) const noexcept {
      std::uint64_t z = k.person * 0x9e3779b97f4a7c15ull + k.id;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      return static_cast<std::size_t>(z ^ (z >> 31));
    }
  };
  struct entry {
    std::size_t digest = 0;        // of the request's content
    outbound_ptr reply;            // null while the request is in flight
    std::vector<sink_ptr> waiting; // everyone who sent it, answered when the reply comes
  };
  static constexpr std::size_t shard_bits = 4;
  struct shard {
    mutable std::mutex mutex;
    std::unordered_map<key, entry, key_hash> entries;
    std::deque<key> order; // answered requests, oldest answer first
  };
  class recording_sink;

  /// Puts answered request `k` in `s`'s eviction order, forgetting the oldest past capacity.
  /// Lock held.
  void keep_answered(shard& s, const key& k);
  shard& shard_of(const key& k) {
    return shards_[static_cast<std::uint64_t>(key_hash{}(k)) >> (64 - shard_bits)];
  }
  /// Stores the reply and answers everyone waiting. Returns false when `k` was not in flight
  /// (the caller then answers its own sender directly).
  bool record(const key& k, const outbound_ptr& reply);
  /// The reply sink of `k` went away unanswered: forget the request, so a retry applies it.
  void abandon(const key& k);

  std::size_t capacity_per_shard_;
  std::array<shard, std::size_t{1} << shard_bits> shards_;
};

} // namespace hub::actors
