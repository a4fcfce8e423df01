#pragma once

// A WebSocket client of the hub, as the simulator's bots and hub-cli use it: one asynchronous
// session per connection (Beast's websocket_client_async: shared_from_this, bind_front_handler,
// on_* handlers, a strand, a write queue), and a small blocking wrapper for the command line.
// It speaks the protocol only through protocol/ (encode, to_json, decode_server[_json]); it
// links hub_gateway for the once-compiled Beast and Asio and for the token API.

#include "protocol/codec.hpp"
#include "protocol/messages.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hub::sim {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// -- where to connect -----------------------------------------------------------------------

/// A parsed `ws://host:port/path` URL (no TLS: the hub's gateway speaks plain ws).
struct ws_url {
  std::string host;
  std::string port = "80";
  std::string target = "/"; // path and query, as sent on the upgrade request
};

/// Parses `ws://host[:port][/path]`; nullopt (and `why`) when it is not one.
std::optional<ws_url> parse_ws_url(std::string_view text, std::string* why = nullptr);

/// `target` with `token=...` appended to its query (percent-encoded where needed).
std::string with_token(std::string_view target, std::string_view token);

/// Which frames the client sends: binary MessagePack (the default) or JSON text. The client
/// decodes whatever the hub sends by the frame's own kind.
enum class wire_format { msgpack, json };

/// One message in the chosen wire form (what a frame carries).
std::string encode_for(wire_format format, const protocol::client_message& msg);

struct ws_options {
  wire_format format = wire_format::msgpack;
  std::chrono::milliseconds connect_timeout{10'000};   // TCP connect
  std::chrono::milliseconds handshake_timeout{10'000}; // the HTTP upgrade
  std::size_t queue_limit = 4096; // frames waiting to be written; beyond it the session closes
  int receive_buffer = 0;         // SO_RCVBUF before connecting (0: the OS default; endpoint runs)
  std::string authorization;      // an Authorization header on the upgrade, when not empty
  /// Read a frame only when asked (`read_one`), as a slow consumer does, instead of reading
  /// all the time. The blocking client reads on demand.
  bool read_on_demand = false;
};

// -- the asynchronous session ---------------------------------------------------------------

/// One connection to the hub. Create it with std::make_shared on the executor of an
/// io_context that one thread runs (thousands of clients share it: no strand each), set the
/// handlers, then `run`. Every handler is called on that thread.
class ws_client : public std::enable_shared_from_this<ws_client> {
public:
  using response = beast::http::response<beast::http::string_body>;
  /// The concrete executor: no type-erased executor copied and queried on every operation.
  using executor_type = net::io_context::executor_type;
  using socket_type = net::basic_stream_socket<tcp, executor_type>;

  struct handlers {
    /// The handshake finished: `ec` is empty on success. On a refused upgrade `ec` is
    /// websocket::error::upgrade_declined and `res` holds the hub's status and body (e.g. 401
    /// with its reason). Called exactly once per `run`.
    std::function<void(beast::error_code ec, const response& res)> opened;
    /// Each frame's payload before it is decoded (`binary`: a MessagePack frame): returns
    /// true when it took the frame, which is then not decoded (a benchmark's clients count
    /// what they recognise without building the message); false hands it on to `message`.
    std::function<bool(bool binary, std::string_view payload)> frame;
    /// A frame decoded into a hub message.
    std::function<void(protocol::server_message&& msg)> message;
    /// A frame the protocol decoder refused (a hub bug, or a version mismatch).
    std::function<void(const protocol::decode_error& e)> undecodable;
    /// The connection ended after it had opened: empty `ec` for a close we asked for,
    /// websocket::error::closed when the hub closed (see `close_reason`), or the failure.
    std::function<void(beast::error_code ec)> closed;
  };

  ws_client(executor_type ex, ws_options options);

  void set_handlers(handlers h) { handlers_ = std::move(h); }

  /// Resolves `url.host`, connects, and upgrades on `url.target` with `?token=...`.
  void run(const ws_url& url, std::string token);
  /// As above, to an endpoint already resolved (thousands of bots resolve once).
  void run(tcp::endpoint endpoint, const ws_url& url, std::string token);
  /// Connects to `endpoint` and upgrades on exactly `target` (path and query) with `host` as
  /// the Host header: no token added (tests present theirs, or none, as they please).
  void run_target(tcp::endpoint endpoint, std::string host, std::string target);

  /// With `read_on_demand`: reads the next frame (its `message` or `undecodable` follows) unless
  /// a read is pending or the connection is not open. Call it on the executor's thread.
  void read_one();
  /// Reads below the WebSocket layer, answering nothing (not even pings), until the connection
  /// ends; `closed` follows. For a client that plays dead; only with `read_on_demand` and no
  /// read pending. Call it on the executor's thread.
  void read_raw_until_closed();

  /// Queues `msg` (thread-safe: posts to the session's executor). Dropped when not open.
  void send(const protocol::client_message& msg);
  /// Queues an already encoded frame (`binary`: MessagePack; else JSON text).
  void send_frame(std::shared_ptr<const std::string> frame, bool binary);

  /// Starts a polite close (thread-safe). `closed` follows with an empty error code.
  void close();

  /// The hub's close frame, once `closed` has reported websocket::error::closed.
  const beast::websocket::close_reason& close_reason() const { return ws_.reason(); }
  bool is_open() const { return open_; }
  /// The hub's answer to the upgrade (its status and body when it refused).
  const response& upgrade_response() const { return response_; }
  /// Whether the frame last handed to `message` or `undecodable` was a text frame.
  bool got_text() const { return last_text_; }
  /// Frames queued and not yet written.
  std::size_t queued() const { return queue_.size(); }

private:
  // -- the steps, in order ------------------------------------------------------------------
  void on_resolve(beast::error_code ec, tcp::resolver::results_type results);
  void on_connect(beast::error_code ec, tcp::endpoint endpoint);
  void on_handshake(beast::error_code ec);
  void do_read();
  void on_read(beast::error_code ec, std::size_t bytes);
  void on_send(std::shared_ptr<const std::string> frame, bool binary);
  void do_write();
  void on_write(beast::error_code ec, std::size_t bytes);
  void do_close();
  void on_close(beast::error_code ec);

  /// Reports the end once: `opened` with the error before the handshake, `closed` after.
  void finish(beast::error_code ec);
  /// Bounds resolve + connect by options_.connect_timeout (the WebSocket stream times the
  /// handshake itself).
  void start_connect_timer();
  /// Connects to `endpoint` (host_ and target_ set), on the executor.
  void connect_to(tcp::endpoint endpoint);

  struct frame {
    std::shared_ptr<const std::string> bytes;
    bool binary;
  };

  tcp::resolver resolver_;
  net::basic_waitable_timer<std::chrono::steady_clock, net::wait_traits<std::chrono::steady_clock>,
                            executor_type>
      connect_timer_;
  beast::websocket::stream<socket_type> ws_;
  beast::flat_buffer buffer_;
  response response_;
  std::deque<frame> queue_;
  ws_options options_;
  handlers handlers_;
  std::string host_;   // Host header value
  std::string target_; // path?token=...
  bool open_ = false;
  bool connected_ = false; // TCP is up: the connect timer has nothing more to cut short
  bool timed_out_ = false; // the connect timer fired
  bool closing_ = false;
  bool finished_ = false;
  bool reading_ = false;         // a WebSocket read is pending
  bool last_text_ = false;       // the last frame read was text
  std::array<char, 4096> raw_{}; // read_raw_until_closed's scratch
};

// -- a blocking wrapper for the command line ------------------------------------------------

/// Connect, send, read one message with a timeout: the asynchronous client, reading on demand,
/// driven by a private single-threaded io_context. Frames are read only while a call waits for
/// one, so a caller that stops calling is a slow consumer to the hub. Not thread-safe; one per
/// thread.
class ws_blocking_client {
public:
  explicit ws_blocking_client(ws_options options = {});
  ~ws_blocking_client();

  ws_blocking_client(const ws_blocking_client&) = delete;
  ws_blocking_client& operator=(const ws_blocking_client&) = delete;

  /// Connects and upgrades. Returns an empty string on success, else a sentence saying why
  /// (connection refused, timed out, "HTTP 401 Unauthorized: token expired", ...).
  std::string connect(const ws_url& url, const std::string& token,
                      std::chrono::milliseconds timeout);
  /// As above, to `endpoint`, upgrading on exactly `target` (see ws_client::run_target).
  std::string connect(tcp::endpoint endpoint, const std::string& host, const std::string& target,
                      std::chrono::milliseconds timeout);

  /// Queues one message; it is written while a call waits (or by `flush`).
  void send(const protocol::client_message& msg);
  /// Queues one frame as it is (`text`: a text frame, else binary).
  void send_raw(std::string_view bytes, bool text);
  /// Waits until every queued frame is written; false on timeout or a closed connection.
  bool flush(std::chrono::milliseconds timeout);

  /// The next message from the hub, or nullopt after `timeout`, or when the connection has
  /// ended (then `closed()` is true and `why_closed()` says why).
  std::optional<protocol::server_message> read(std::chrono::milliseconds timeout);
  /// Whether the message `read` returned last came in a text frame.
  bool last_was_text() const { return last_text_; }
  /// Whether it was a frame that did not decode (read returned an error with id 0 saying so).
  bool last_was_undecodable() const { return last_undecodable_; }

  /// Sends `msg` and waits for its ack or error (same id); other messages that arrive
  /// meanwhile are kept for `read`. nullopt on timeout or a closed connection.
  std::optional<protocol::server_message> request(const protocol::client_message& msg,
                                                  std::chrono::milliseconds timeout);

  /// Reads below the WebSocket layer, answering nothing, until the hub drops the connection;
  /// true if it did within `timeout`.
  bool wait_dropped(std::chrono::milliseconds timeout);

  /// Closes politely, waiting at most `timeout`.
  void close(std::chrono::milliseconds timeout = std::chrono::milliseconds{2000});

  bool closed() const { return closed_; }
  const std::string& why_closed() const { return why_closed_; }
  /// How the connection ended: websocket::error::closed when the hub closed it (see
  /// `close_reason`), another error when it was dropped, empty for a close we asked for.
  beast::error_code close_error() const { return close_error_; }
  const beast::websocket::close_reason& close_reason() const { return client_->close_reason(); }
  /// The hub's answer to the upgrade (status and body of a refusal).
  const ws_client::response& upgrade_response() const { return client_->upgrade_response(); }
  /// The io_context the client runs on (e.g. for a signal_set that calls `close`).
  net::io_context& context() { return ioc_; }
  /// Asks a waiting `read` to return (callable from a handler on `context()`).
  void interrupt() { interrupted_ = true; }

private:
  struct frame_in {
    protocol::server_message message;
    bool text = false;
    bool undecodable = false;
  };

  /// Starts the client and waits for the handshake's outcome.
  std::string open(const std::function<void()>& start, std::chrono::milliseconds timeout);
  /// Runs handlers until `done()` or the deadline, with one read kept pending when `reading`
  /// (only then are frames read); false on timeout.
  template <class Pred>
  bool run_until(Pred done, std::chrono::steady_clock::time_point deadline, bool reading = false);

  net::io_context ioc_;
  ws_options options_;
  std::shared_ptr<ws_client> client_;
  std::deque<frame_in> inbox_;
  std::string why_closed_;
  beast::error_code close_error_;
  bool closed_ = false;
  bool interrupted_ = false;
  bool last_text_ = false;
  bool last_undecodable_ = false;
};

/// The reply's request id: ack.id, error.id or result.id; 0 for events.
std::uint64_t reply_id(const protocol::server_message& msg);

/// "connection refused", "HTTP 401 Unauthorized: <body>", ...: a failed connect for people.
std::string describe_failure(beast::error_code ec, const ws_client::response& res);

} // namespace hub::sim
