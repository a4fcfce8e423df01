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

class request_ledger {
public:
  /// `capacity`: how many answered requests are remembered in all.
  explicit request_ledger(std::size_t capacity = 1 << 17);
  request_ledger(const request_ledger&) = delete;
  request_ledger& operator=(const request_ledger&) = delete;

  /// Registers request `id` of `person`, whose content hashes to `digest`. Returns the sink the
  /// request's reply must go to (it records the reply and hands it on to `to`), or null when
  /// the id was seen before: then the earlier request's reply has been sent to `to` again (or
  /// will be when it arrives), or, when the content differs, an invalid_argument error.
  /// The returned sink may outlive the ledger (it keeps its shard alive; CAF destroys an
  /// actor's state, and with it the city's context, before the commands left in its mailbox).
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
  /// splitmix64's finaliser over both halves: every input bit reaches the high bits, which
  /// pick the shard, and the low bits, which pick the slot.
  static std::uint64_t hash(const key& k) noexcept {
    std::uint64_t z = k.person * 0x9e3779b97f4a7c15ull + k.id;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  struct entry {
    key k{};
    std::size_t digest = 0; // of the request's content
    /// The reply, once answered. An ack (nearly every reply) is kept as its few fields, not
    /// as the message that carried it: a full ledger then holds 131,072 small entries rather
    /// than as many shared messages, and forgetting one frees nothing cold.
    bool answered = false;
    protocol::ack ack;             // the reply, when it was an ack
    outbound_ptr reply;            // the reply, when it was anything else
    sink_ptr first;                // who sent it first: answered when the reply comes
    std::vector<sink_ptr> retried; // who sent it again meanwhile
  };
  /// One shard: an open-addressing table (linear probing) of indices into a pool of entries,
  /// so that a look-up touches one slot and one entry, and nothing is allocated per request
  /// once the pool has grown. Answered entries leave oldest first past the shard's capacity.
  /// Shared with its reply sinks: each holds its own shard, so that the reference counts the
  /// requests touch from every thread are spread over the shards (one count for the whole
  /// ledger was a cache line every reply fought over).
  struct shard {
    explicit shard(std::size_t capacity);
    const std::size_t capacity; // answered entries kept
    mutable std::mutex mutex;
    /// 0: empty; else (the hash's low 32 bits << 32) | (entry + 1). The low bits are the
    /// home slot's too (tables stay far below 2^32 slots), so moving and rehashing slots never
    /// reads the entries they point to: those are cold.
    std::vector<std::uint64_t> slots;
    std::vector<entry> pool;
    std::vector<std::uint32_t> spare; // pool entries free for reuse
    std::deque<std::uint32_t> order;  // answered entries, oldest answer first
    std::size_t live = 0;

    /// The slot holding `k`, or the empty slot where it would go.
    std::size_t find(const key& k, std::uint64_t h) const;
    /// Inserts `k` (absent) and returns its entry's index.
    std::uint32_t insert(const key& k, std::uint64_t h);
    /// Removes the entry in slot `at`.
    void erase(std::size_t at);
    void grow();
    /// Puts answered entry `e` in the eviction order, forgetting the oldest past capacity.
    /// Lock held.
    void keep_answered(std::uint32_t e);
    /// Stores the reply of `k` and answers everyone waiting.
    void record(const key& k, const outbound_ptr& reply);
    /// The reply entry `e` was answered with, as a message to send again.
    static outbound_ptr reply_of(const entry& e);
    /// The reply sink of `k` went away unanswered: forget the request, so a retry applies it.
    void abandon(const key& k);
  };
  class recording_sink;

  shard& shard_of(std::uint64_t h) { return *shards_[h >> (64 - shard_bits)]; }

  static constexpr std::size_t shard_bits = 4;
  std::array<std::shared_ptr<shard>, std::size_t{1} << shard_bits> shards_;
};

} // namespace hub::actors
