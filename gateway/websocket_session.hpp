#pragma once

// One authenticated WebSocket connection (Beast chat-multi's websocket_session): it reads
// frames, decodes them (binary: MessagePack, text: JSON), rate-limits them and submits each
// to the city as its principal; it writes replies and subscribed events from its send queue
// in the format the client last used, as many queued frames as it can in one write (see
// net/frame_stream.hpp). Everything but send/shutdown/abandon runs on the session's lane (one
// thread). The policies and their numbers are in gateway/README.md.

#include "actors/principal.hpp"
#include "gateway/lane.hpp"
#include "gateway/net/frame_stream.hpp"
#include "gateway/rate_limiter.hpp"
#include "gateway/send_queue.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace hub::gateway {

class server_state;
class session_sink;

class websocket_session : public std::enable_shared_from_this<websocket_session> {
  using clock = std::chrono::steady_clock;

  using timer = boost::asio::basic_waitable_timer<clock, boost::asio::wait_traits<clock>,
                                                  lane::executor_type>;

  enum class phase : std::uint8_t {
    handshake,     // the upgrade is being answered
    open,          // reading and writing
    draining,      // closing: no more events; replies of requests in flight and queued ones
                   // are written (those in flight waited for up to reply_grace), then close
    close_pending, // a close waits for the write in flight
    closing,       // async_close started
    done,          // finished: unsubscribed, unregistered
  };

  lane& lane_;
  /// Beast reads, answers pings and closes; the session writes its frames itself through
  /// the frame_stream below it. No permessage-deflate (`false`): the frames are ready-made.
  boost::beast::websocket::stream<frame_stream<lane::socket>, false> ws_; // own timeouts
  boost::beast::flat_buffer buffer_;
  /// The frames of the write in flight (they belong to the outbounds in flight).
  std::vector<boost::asio::const_buffer> gather_;
  std::shared_ptr<server_state> state_;
  actors::principal who_;
  std::shared_ptr<session_sink> sink_; // what the city and the bus hold
  send_queue queue_;
  rate_limiter limiter_;
  /// Requests submitted whose reply is not yet written: id → when (for the latency
  /// histogram; at most max_pending are measured).
  std::unordered_map<std::uint64_t, clock::time_point> pending_;
  /// Requests submitted to the city whose reply has not come back: id → how many (a client
  /// may send one id twice). What a close answers try_again when it cannot wait longer.
  std::unordered_map<std::uint64_t, std::uint32_t> in_flight_;
  std::size_t unanswered_ = 0; // the sum of in_flight_
  /// Resumes paused by the bus after a chunk, waiting for room in the queue (replay_more).
  std::vector<protocol::unit_code> paused_;
  std::optional<timer> grace_;  // while draining with requests in flight
  std::uint64_t kept_seq_ = 0;  // highest event seq queued and not dropped
  unsigned bad_frames_ = 0;     // consecutive frames that did not decode
  bool text_ = false;           // the client last sent a text frame: answer in JSON
  bool resync_ = false;         // after an overflow: events already on their way are dropped
  bool joined_ = false;         // registered with the server state
  bool gave_up_ = false;        // in flight at the close answered try_again: drop late replies
  bool write_deferred_ = false; // its write starts at the end of the lane's drain (flush)
  phase phase_ = phase::handshake;
  boost::beast::websocket::close_reason close_reason_;

public:
  websocket_session(lane::socket&& socket, lane& on, std::shared_ptr<server_state> state,
                    actors::principal who);
  ~websocket_session();

  /// Answers the upgrade request `req` and starts the session.
  void run(boost::beast::http::request<boost::beast::http::string_body> req);

  /// Queues `msg` for this client. Thread-safe, never blocks: hands it to the lane.
  void send(actors::outbound_ptr msg);

  /// What the lane hands over, in order: a message for this client, or (null) the marker
  /// that ends a resync (on_overflow). On the lane's thread only.
  void on_delivered(actors::outbound_ptr msg);
  /// The bus paused a replay of `topic` after a chunk: the next is asked for once the queue
  /// is at most half full. On the lane's thread only.
  void on_replay_paused(protocol::unit_code topic);
  /// The lane's drain is over: writes what it queued (lane::write_after_drain). On the lane's
  /// thread only.
  void flush();

  /// Graceful shutdown: unsubscribes, lets queued replies drain, then closes with
  /// going_away. Thread-safe.
  void shutdown();

  /// The server is going away now: nothing from the city reaches this session any more.
  /// Thread-safe.
  void abandon();

  const actors::principal& who() const { return who_; }

private:
  // -- reading --------------------------------------------------------------------------------
  void on_accept(boost::beast::error_code ec);
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void on_message(std::string_view data, bool text);

  // -- writing --------------------------------------------------------------------------------
  /// A reply made here (not by the city): rate_limited, a decode error, try_again.
  void reply(protocol::server_message msg);
  /// Queues `msg`; `from_city`: it came from the city (a reply to a request in flight).
  void on_send(actors::outbound_ptr msg, bool from_city);
  /// Asks the bus for the next chunk of paused resumes while the queue is at most half full.
  void resume_replays();
  void on_overflow(const protocol::server_message& first_dropped);
  /// Starts a write of what is queued unless one is in flight or waits for the drain's end.
  void start_writing();
  void do_write();
  void on_write(boost::beast::error_code ec, std::size_t bytes);

  // -- closing --------------------------------------------------------------------------------
  /// Closes with `reason`: after the queue drained (`drain`), or after the write in flight.
  void close(boost::beast::websocket::close_reason reason, bool drain);
  /// Draining: closes once nothing is queued, being written or in flight.
  void close_when_drained();
  /// Draining and reply_grace passed: answers what is still in flight try_again.
  void on_grace(boost::beast::error_code ec);
  void start_close();
  void on_close(boost::beast::error_code ec);
  void fail(boost::beast::error_code ec, char const* what);
  /// Unsubscribes, detaches the sink, unregisters. Idempotent.
  void finish();
};

} // namespace hub::gateway
