#pragma once

// A blocking WebSocket client for tests that talk to a running gateway, on the hub's own
// client (sim/client's ws_blocking_client, reading on demand): every operation runs the
// client's io_context for at most a timeout, so a test waits for a specific frame without ever
// sleeping and fails instead of hanging, and a test that stops reading is a slow consumer.
// What it adds is the tests' bookkeeping: replies, events and aggregates sorted apart, and a
// frame that does not decode failing the test. Not thread-safe.

#include "protocol/codec.hpp"
#include "protocol/messages.hpp"
#include "sim/client/ws_client.hpp"
#include "tests/support/limits.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace hub::testing {

namespace beast = boost::beast;
namespace net = boost::asio;

using namespace std::chrono_literals;

class test_client {
public:
  struct connect_options {
    std::string target = "/";
    std::string authorization; // the Authorization header's value, if any
    int receive_buffer = 0;    // SO_RCVBUF before connecting (0: the OS default)
  };

  /// Connects and upgrades. On success `ok()`; on a refused upgrade `status()` and `body()`
  /// hold the HTTP answer.
  test_client(std::uint16_t port, const connect_options& opts);

  bool ok() const { return open_; }
  int status() const { return status_; }
  const std::string& body() const { return body_; }
  /// How the connection ended (websocket::error::closed: the hub closed it), or why it failed.
  beast::error_code error() const { return client_.close_error(); }

  // -- sending --------------------------------------------------------------------------------

  /// Sends text frames of JSON from now on (binary MessagePack otherwise).
  void use_json(bool json) { json_ = json; }
  void send(const protocol::client_message& msg);
  void send_raw(std::string_view bytes, bool text);

  // -- receiving ------------------------------------------------------------------------------

  /// The next frame, decoded by its kind; nullopt when none arrives within `timeout` or the
  /// connection closed (then `closed()`; `close_reason()`). A frame that does not decode as a
  /// hub message fails the test.
  std::optional<protocol::server_message> read(std::chrono::milliseconds timeout = patience);
  /// Whether the last frame read was a text frame.
  bool last_was_text() const { return client_.last_was_text(); }

  /// Sends `msg` and returns its reply (ack or error), keeping events that arrive meanwhile
  /// for next_event(). Aggregates are counted in aggregates() and not kept as events.
  protocol::server_message request(const protocol::client_message& msg);
  /// Waits for the reply to `id` (events meanwhile are kept).
  std::optional<protocol::server_message> reply_to(std::uint64_t id,
                                                   std::chrono::milliseconds timeout = patience);
  /// The next event (case.event, directive.event, gap, or a reply with id 0), kept or read.
  std::optional<protocol::server_message> next_event(std::chrono::milliseconds timeout = patience);
  /// Events kept so far (not yet taken by next_event).
  std::deque<protocol::server_message>& kept() { return kept_; }
  /// Aggregates received so far.
  const std::vector<protocol::aggregate>& aggregates() const { return aggregates_; }
  /// Reads until an aggregate satisfying `pred` has arrived; false on timeout.
  bool wait_aggregate(const std::function<bool(const protocol::aggregate&)>& pred,
                      std::chrono::milliseconds timeout = patience);

  /// Reads (discarding) until the hub closes the connection; true if it did within `timeout`.
  bool wait_closed(std::chrono::milliseconds timeout = patience);
  bool closed() const { return client_.closed(); }
  beast::websocket::close_reason close_reason() const { return client_.close_reason(); }
  /// The close frame's reason text.
  std::string close_text() const {
    auto& r = client_.close_reason();
    return {r.reason.data(), r.reason.size()};
  }

  /// Reads raw bytes below the WebSocket layer, answering nothing (not even pings), until
  /// the hub drops the connection; true if it did within `timeout`.
  bool wait_dropped_without_answering(std::chrono::milliseconds timeout = patience);

  /// Closes from the client side (normal).
  void close();

private:
  /// Files a frame as a reply, an aggregate or a kept event.
  void sort(protocol::server_message&& m);
  /// Reads one message, if one comes before `deadline`, and sorts it; false when none came.
  bool read_one_before(std::chrono::steady_clock::time_point deadline);

  sim::ws_blocking_client client_;
  bool open_ = false;
  bool json_ = false;
  int status_ = 0;
  std::string body_;
  std::deque<protocol::server_message> kept_;
  std::vector<protocol::aggregate> aggregates_;
  std::vector<protocol::server_message> replies_; // replies read while waiting for another
};

// -- plain HTTP -----------------------------------------------------------------------------

struct http_reply {
  int status = 0;
  std::string content_type;
  std::string body;
};

/// One HTTP/1.1 request on a fresh connection; status 0 when it failed or timed out.
http_reply http_request(std::uint16_t port, std::string_view method, std::string_view target);
/// The same with a body of type `content_type`.
http_reply http_request(std::uint16_t port, std::string_view method, std::string_view target,
                        std::string_view body, std::string_view content_type);

/// Writes `bytes` as they are on a fresh connection, then reads until the hub closes it (or
/// `patience` passes, or the connection is reset); everything that was read.
std::string raw_exchange(std::uint16_t port, std::string_view bytes);

} // namespace hub::testing
