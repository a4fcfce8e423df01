#pragma once

// The gateway's settings. The defaults are the policies gateway/README.md documents; tests
// shrink some of them (a smaller queue, a slower rate, a shorter idle time) to reach the
// limits quickly.

#include "protocol/codec.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace hub::open311 {
class service;
}

namespace hub::gateway {

struct config {
  // -- where ----------------------------------------------------------------------------
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: any free port (server::start returns it)
  std::size_t io_threads = 1; // lanes: io threads, each with its own io_context

  // -- authentication -------------------------------------------------------------------
  std::string secret; // the HMAC key of tokens (gateway/secret_file.hpp)

  // -- per connection -------------------------------------------------------------------
  /// Messages a session may have waiting to be written; past it, queued events are dropped.
  std::size_t queue_limit = 4096;
  /// One write to the socket gathers the frames queued, up to `write_frames` of them (Asio
  /// hands at most 64 buffers to one writev) and about `write_bytes` (a frame is never split:
  /// one larger than this goes alone).
  std::size_t write_frames = 64;
  std::size_t write_bytes = 256 * 1024;
  /// Token bucket: sustained messages per second, and the burst allowed on top.
  double rate = 100;
  double burst = 200;
  /// The same per person, across all of their connections (each frame takes a token from
  /// both buckets): more connections do not buy a faster rate.
  double person_rate = 200;
  double person_burst = 400;
  /// Consecutive undecodable frames tolerated; the next one closes the connection.
  unsigned max_bad_frames = 20;
  /// A frame (message) larger than this closes the connection (1009 with a reason).
  std::size_t frame_limit = protocol::limits::frame_bytes;
  /// No traffic for this long (a ping sent halfway unanswered): the connection is closed.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(300)};
  /// The WebSocket handshake and the closing handshake must finish within this.
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds(30)};

  /// At a close that drains (shutdown): how long the replies of requests in flight are
  /// waited for; those still missing then are answered try_again. Below drain_timeout.
  std::chrono::milliseconds reply_grace{std::chrono::seconds(2)};

  // -- HTTP -----------------------------------------------------------------------------
  std::string www_dir; // static files; empty: none (404)
  std::chrono::milliseconds http_timeout{std::chrono::seconds(30)}; // per request read/write
  /// Failed upgrades (401) per client address (IPv4 address, IPv6 /64): a token bucket of
  /// `failed_upgrade_burst` refilled at `failed_upgrade_rate` a second; while it is empty
  /// every upgrade from the address is answered 429 before its token is looked at.
  double failed_upgrade_rate = 1;
  double failed_upgrade_burst = 20;
  std::shared_ptr<open311::service> open311; // serves /open311/v2/; null: those are 404

  // -- shutdown -------------------------------------------------------------------------
  /// How long stop() waits for sessions to drain their queues and finish closing.
  std::chrono::milliseconds drain_timeout{std::chrono::seconds(5)};
};

} // namespace hub::gateway
