#pragma once

// The gateway's counters, rendered as Prometheus text for GET /metrics. Lock-free: sessions
// on any io thread count into relaxed atomics; a scrape reads them without stopping anyone
// (a scrape may see one counter a message ahead of another, never a torn value).

#include "actors/archive.hpp"
#include "actors/journal.hpp"
#include "protocol/messages.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <variant>

namespace hub::gateway {

class metrics {
public:
  /// Request latency buckets (upper bounds, seconds).
  static constexpr std::array<double, 14> latency_buckets{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  /// Index of undecodable frames in messages_in (after the client message types).
  static constexpr std::size_t invalid_type = std::variant_size_v<protocol::client_body>;

  /// What the gauges read from outside the gateway at scrape time.
  struct snapshot {
    std::uint64_t bus_last_seq = 0;
    std::size_t bus_topics = 0;
    double uptime_seconds = 0;
    actors::journal_status store;
    actors::replay_stats replays;
    actors::archive_gauges archive;
  };

  // -- counting ---------------------------------------------------------------------------

  void connection_opened() { connections_.fetch_add(1, std::memory_order_relaxed); }
  void connection_closed() { connections_.fetch_sub(1, std::memory_order_relaxed); }
  /// A frame read: `type` is the client_body index, or invalid_type when it did not decode.
  void message_in(std::size_t type);
  /// A frame written (errors are also counted by code).
  void message_out(const protocol::server_message& m);
  /// One write to a WebSocket connection's socket: the frames gathered into it were counted
  /// by message_out each (hub_ws_writes_total beside hub_messages_out_total).
  void socket_write() { ws_writes_.fetch_add(1, std::memory_order_relaxed); }
  /// Events a slow client's queue shed (hub_queue_drops_total), and one overflow.
  void queue_overflow(std::size_t dropped);
  /// Events dropped after an overflow, before the session was unsubscribed.
  void queue_dropped(std::size_t n) { queue_drops_.fetch_add(n, std::memory_order_relaxed); }
  /// From submitting a request to the city to its reply written.
  void request_latency(std::chrono::nanoseconds d);
  /// An upgrade refused: `reason` is "no_token", "unknown_person", "mismatch" or a token error.
  void auth_refused(std::string_view reason);
  /// A connection closed by the gateway for protocol abuse (oversized or undecodable frames).
  void abuse_close() { abuse_closes_.fetch_add(1, std::memory_order_relaxed); }
  void http_request() { http_requests_.fetch_add(1, std::memory_order_relaxed); }
  /// A request answered with an error status before it was read whole (400, 413, 431).
  void http_refused(unsigned status);
  /// A failed accept: out of descriptors (the listener paused), or another error.
  void accept_error(bool descriptors);
  /// An upgrade answered 429: its address failed too many upgrades.
  void upgrade_throttled() { upgrades_throttled_.fetch_add(1, std::memory_order_relaxed); }
  /// A frame refused rate_limited: its connection's bucket or its person's was empty.
  void rate_limited(bool person);
  /// Requests in flight at a close whose reply did not come in time: answered try_again.
  void unanswered_at_close(std::size_t n) {
    unanswered_at_close_.fetch_add(n, std::memory_order_relaxed);
  }

  // -- reading ----------------------------------------------------------------------------

  std::int64_t connections() const { return connections_.load(std::memory_order_relaxed); }
  std::uint64_t queue_drops() const { return queue_drops_.load(std::memory_order_relaxed); }

  /// Prometheus text exposition format 0.0.4.
  std::string render(const snapshot& s) const;

private:
  using counter = std::atomic<std::uint64_t>;
  static constexpr std::size_t max_code = 100; // errc values are < 100

  std::atomic<std::int64_t> connections_{0};
  std::array<counter, invalid_type + 1> messages_in_{};
  std::array<counter, std::variant_size_v<protocol::server_message>> messages_out_{};
  counter ws_writes_{0};
  std::array<counter, max_code> errors_{};
  counter queue_drops_{0};
  counter queue_overflows_{0};
  std::array<counter, latency_buckets.size()> latency_{}; // non-cumulative per bucket
  counter latency_count_{0};
  counter latency_sum_ns_{0};
  std::array<counter, 6> auth_refused_{};
  counter abuse_closes_{0};
  counter http_requests_{0};
  std::array<counter, 3> http_refused_{};  // 400, 413, 431
  std::array<counter, 2> accept_errors_{}; // descriptors, other
  counter upgrades_throttled_{0};
  std::array<counter, 2> rate_limited_{}; // connection, person
  counter unanswered_at_close_{0};
};

} // namespace hub::gateway
