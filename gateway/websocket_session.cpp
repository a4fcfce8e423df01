#include "gateway/websocket_session.hpp"

#include "gateway/server_state.hpp"
#include "gateway/session_sink.hpp"
#include "protocol/json.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <algorithm>
#include <cstdio>

namespace hub::gateway {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace websocket = beast::websocket;
using protocol::errc;

namespace {

/// Requests remembered for the latency histogram; beyond this they are not measured.
constexpr std::size_t max_pending = 4096;

/// Events of a resume taken at a time: an eighth of the queue, so that a chunk always fits
/// beside live events; the next is asked for once the queue is at most half full.
std::size_t replay_chunk_of(const config& cfg) {
  return std::max<std::size_t>(1, cfg.queue_limit / 8);
}

/// Beast itself fails (1009, no reason) a message this many times over the frame limit at its
/// header, so an abusive sender is cut off without reading it; below that the session reads
/// up to the limit and closes with a reason.
constexpr std::size_t hard_limit_factor = 4;

std::uint64_t id_of(const protocol::server_message& m) {
  if (auto* a = std::get_if<protocol::ack>(&m))
    return a->id;
  if (auto* e = std::get_if<protocol::error>(&m))
    return e->id;
  if (auto* r = std::get_if<protocol::result>(&m))
    return r->id;
  return 0;
}

} // namespace

websocket_session::websocket_session(lane::socket&& socket, lane& on,
                                     std::shared_ptr<server_state> state, actors::principal who)
  : lane_(on)
  , ws_(std::move(socket))
  , state_(std::move(state))
  , who_(who)
  , limiter_(state_->cfg().rate, state_->cfg().burst) {
  // nop
}

websocket_session::~websocket_session() { finish(); }

void websocket_session::run(http::request<http::string_body> req) {
  sink_ = std::make_shared<session_sink>(weak_from_this(), lane_, replay_chunk_of(state_->cfg()));
  const auto& cfg = state_->cfg();
  auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
  timeouts.handshake_timeout = cfg.handshake_timeout;
  timeouts.idle_timeout = cfg.idle_timeout;
  ws_.set_option(timeouts);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "hub"); }));
  ws_.read_message_max(cfg.frame_limit * hard_limit_factor);
  // Registered from the handshake on, so that a shutdown waits for this session too.
  state_->join(shared_from_this());
  joined_ = true;
  ws_.async_accept(req,
                   beast::bind_front_handler(&websocket_session::on_accept, shared_from_this()));
}

void websocket_session::send(actors::outbound_ptr msg) {
  lane_.deliver(shared_from_this(), std::move(msg));
}

void websocket_session::on_delivered(actors::outbound_ptr msg) {
  if (msg == nullptr) {
    resync_ = false; // the marker: what the bus delivers from now on is not stale
    return;
  }
  on_send(std::move(msg), true);
}

void websocket_session::on_replay_paused(protocol::unit_code topic) {
  if (phase_ != phase::open || resync_)
    return; // the subscription was dropped (overflow, close): nothing to continue
  if (std::find(paused_.begin(), paused_.end(), topic) == paused_.end())
    paused_.push_back(topic);
  resume_replays();
}

void websocket_session::resume_replays() {
  const auto half = state_->cfg().queue_limit / 2;
  while (!paused_.empty() && queue_.size() <= half && phase_ == phase::open && !resync_) {
    auto topic = paused_.front();
    paused_.erase(paused_.begin());
    // The chunk comes back through the lane, after what is already on its way.
    state_->city().replay_more(topic, sink_.get());
  }
}

void websocket_session::shutdown() {
  net::post(ws_.get_executor(), [self = shared_from_this()] {
    // Still in the handshake: on_accept sees the server stopping and closes then.
    if (self->phase_ != phase::open)
      return;
    self->state_->city().disconnect(self->sink_.get());
    self->paused_.clear();
    self->queue_.drop_events(); // replies drain; events are not worth waiting for
    self->close({websocket::close_code::going_away, "the hub is shutting down"}, true);
  });
}

void websocket_session::abandon() {
  if (sink_) {
    sink_->detach();
    state_->city().disconnect(sink_.get());
  }
}

// -- reading ----------------------------------------------------------------------------------

void websocket_session::on_accept(beast::error_code ec) {
  if (ec)
    return fail(ec, "accept");
  phase_ = phase::open;
  if (state_->stopping()) // the shutdown began during the handshake
    return close({websocket::close_code::going_away, "the hub is shutting down"}, true);
  do_read();
}

void websocket_session::do_read() {
  // At most one byte over the limit is buffered: enough to know the message is too big.
  auto room = state_->cfg().frame_limit + 1 - buffer_.size();
  ws_.async_read_some(buffer_, room,
                      beast::bind_front_handler(&websocket_session::on_read, shared_from_this()));
}

void websocket_session::on_read(beast::error_code ec, std::size_t) {
  if (ec) {
    finish();
    return fail(ec, "read");
  }
  if (phase_ >= phase::close_pending)
    return; // the close handshake reads what is left
  if (buffer_.size() > state_->cfg().frame_limit) {
    state_->stats().abuse_close();
    buffer_.clear();
    return close({websocket::close_code::too_big,
                  "message over " + std::to_string(state_->cfg().frame_limit) + " bytes"},
                 false);
  }
  if (!ws_.is_message_done())
    return do_read();
  auto data = buffer_.data();
  on_message({static_cast<const char*>(data.data()), data.size()}, ws_.got_text());
  buffer_.consume(buffer_.size());
  if (phase_ == phase::open)
    do_read(); // once closing, the close handshake reads (and discards) what is left
}

void websocket_session::on_message(std::string_view data, bool text) {
  auto& stats = state_->stats();
  text_ = text;
  auto decoded = text ? protocol::decode_client_json(data) : protocol::decode_client(data);
  auto* msg = std::get_if<protocol::client_message>(&decoded);
  auto* bad = std::get_if<protocol::decode_error>(&decoded);
  auto id = msg != nullptr ? msg->id : bad->id;
  stats.message_in(msg != nullptr ? msg->body.index() : metrics::invalid_type);
  auto now = clock::now();
  // Two buckets: this connection's, and its person's across all of their connections.
  bool allowed = limiter_.try_take(now);
  const bool person = allowed && !state_->person_limits().try_take(who_.id, now);
  if (person) {
    limiter_.give_back();
    allowed = false;
  }
  if (!allowed) {
    const auto& cfg = state_->cfg();
    stats.rate_limited(person);
    char why[200];
    if (person)
      std::snprintf(why, sizeof why,
                    "more than %g messages a second (burst %g) from you across all your "
                    "connections: this one was not applied; retry later",
                    cfg.person_rate, cfg.person_burst);
    else
      std::snprintf(
          why, sizeof why,
          "more than %g messages a second (burst %g): this one was not applied; retry later",
          cfg.rate, cfg.burst);
    return reply(protocol::error{id, errc::rate_limited, why});
  }
  if (bad != nullptr) {
    reply(protocol::error{id, bad->code, bad->message});
    if (++bad_frames_ > state_->cfg().max_bad_frames) {
      stats.abuse_close();
      close({websocket::close_code::policy_error, "more than " +
                                                      std::to_string(state_->cfg().max_bad_frames) +
                                                      " undecodable messages in a row"},
            true);
    }
    return;
  }
  bad_frames_ = 0;
  if (phase_ != phase::open)
    return reply(protocol::error{id, errc::try_again, "the hub is shutting down; reconnect"});
  if (pending_.size() < max_pending)
    pending_[id] = now;
  ++in_flight_[id];
  ++unanswered_;
  state_->city().submit(who_, std::move(*msg), sink_);
}

// -- writing ----------------------------------------------------------------------------------

void websocket_session::reply(protocol::server_message msg) {
  on_send(std::make_shared<const actors::outbound>(std::move(msg), 0), false);
}

void websocket_session::on_send(actors::outbound_ptr msg, bool from_city) {
  const auto& m = msg->message();
  if (from_city && !send_queue::is_event(m)) {
    // The reply of a request in flight.
    if (auto i = in_flight_.find(id_of(m)); i != in_flight_.end()) {
      if (--i->second == 0)
        in_flight_.erase(i);
      --unanswered_;
    } else if (gave_up_) {
      return; // its request was answered try_again at the close already
    }
  }
  if (phase_ >= phase::close_pending)
    return; // nothing more is written once a close is decided
  const auto limit = state_->cfg().queue_limit;
  if (send_queue::is_event(m)) {
    if (phase_ == phase::draining)
      return; // shutting down: events on their way are not worth waiting for
    if (resync_)
      return state_->stats().queue_dropped(1); // after an overflow: the client resumes
    if (queue_.size() >= limit && !queue_.coalesces(m))
      return on_overflow(m);
    kept_seq_ = std::max(kept_seq_, send_queue::seq_of(m));
  } else if (queue_.size() >= 2 * limit) {
    // Replies are never dropped; a client that sends and never reads is cut off.
    return close({websocket::close_code::policy_error, "send queue full: read your replies"},
                 false);
  }
  queue_.push(std::move(msg));
  start_writing();
}

void websocket_session::on_overflow(const protocol::server_message& first_dropped) {
  // The queue keeps what it holds (at most `queue_limit`), so a resume replays from where the
  // client will have read up to, however large the replay: a client that reads at all
  // catches up queue_limit events per round. Everything after is dropped until the client
  // subscribes again.
  state_->stats().queue_overflow(1);
  auto seq = send_queue::seq_of(first_dropped);
  auto resume = seq != 0 ? seq - 1 : kept_seq_;
  // Stop the flow, and drop what the bus already handed to the lane: every event delivered
  // before the marker below is stale. A new subscribe (read after this point) delivers its
  // replay after the marker, so it goes through.
  state_->city().disconnect(sink_.get());
  paused_.clear();
  resync_ = true;
  lane_.deliver(shared_from_this(), nullptr);
  auto n = std::to_string(resume);
  queue_.push(std::make_shared<const actors::outbound>(
      protocol::error{0, errc::overloaded,
                      "your send queue overflowed (" + std::to_string(state_->cfg().queue_limit) +
                          " messages): events after seq " + n +
                          " were dropped; subscribe again with since=" + n},
      0));
  if (!queue_.writing())
    do_write();
}

void websocket_session::start_writing() {
  if (phase_ >= phase::close_pending || queue_.writing() || write_deferred_)
    return;
  if (lane_.write_after_drain(shared_from_this())) {
    write_deferred_ = true;
    return;
  }
  do_write();
}

void websocket_session::flush() {
  write_deferred_ = false;
  if (phase_ < phase::close_pending && !queue_.writing() && !queue_.empty())
    do_write();
}

void websocket_session::do_write() {
  // Everything queued, up to the bounds of one write, in the form the client last used.
  const auto& cfg = state_->cfg();
  auto& stats = state_->stats();
  const auto now = clock::now();
  gather_.clear();
  std::size_t bytes = 0;
  for (std::size_t k = 0; k < queue_.size() && k < cfg.write_frames; ++k) {
    const auto& msg = queue_[k];
    auto frame = msg->frame(text_);
    if (k > 0 && bytes + frame.size() > cfg.write_bytes)
      break;
    gather_.emplace_back(frame.data(), frame.size());
    bytes += frame.size();
    // Counted when handed to the socket, so a client that has read a frame sees it counted.
    stats.message_out(msg->message());
    if (auto id = id_of(msg->message()); id != 0) {
      if (auto i = pending_.find(id); i != pending_.end()) {
        stats.request_latency(now - i->second);
        pending_.erase(i);
      }
    }
  }
  queue_.start_write(gather_.size());
  stats.socket_write();
  ws_.next_layer().async_write_some(
      gather_, beast::bind_front_handler(&websocket_session::on_write, shared_from_this()));
}

void websocket_session::on_write(beast::error_code ec, std::size_t) {
  if (ec) {
    finish();
    return fail(ec, "write");
  }
  queue_.finish_write();
  if (phase_ == phase::done)
    return;
  if (phase_ == phase::close_pending)
    return start_close();
  if (!paused_.empty())
    resume_replays();
  if (!queue_.empty())
    return do_write();
  close_when_drained();
}

// -- closing ----------------------------------------------------------------------------------

void websocket_session::close(websocket::close_reason reason, bool drain) {
  if (phase_ >= phase::close_pending || (drain && phase_ == phase::draining))
    return;
  close_reason_ = std::move(reason);
  if (drain) {
    phase_ = phase::draining;
    paused_.clear();
    if (unanswered_ > 0) {
      // Replies of requests in flight are waited for, a while: the city is still there.
      grace_.emplace(ws_.get_executor());
      grace_->expires_after(state_->cfg().reply_grace);
      grace_->async_wait(
          beast::bind_front_handler(&websocket_session::on_grace, shared_from_this()));
    }
    return close_when_drained();
  }
  queue_.drop_pending();
  if (queue_.writing())
    phase_ = phase::close_pending;
  else
    start_close();
}

void websocket_session::close_when_drained() {
  if (phase_ != phase::draining || queue_.writing() || !queue_.empty() || unanswered_ > 0)
    return;
  if (grace_)
    grace_->cancel();
  start_close();
}

void websocket_session::on_grace(beast::error_code ec) {
  if (ec || phase_ != phase::draining || unanswered_ == 0)
    return;
  // Nothing more will be waited for. A request answered here may still be applied by the
  // city; sent again with the same id it is answered from the request ledger, not twice.
  gave_up_ = true;
  std::size_t n = 0;
  auto in_flight = std::move(in_flight_);
  in_flight_.clear();
  unanswered_ = 0;
  for (auto& [id, count] : in_flight)
    for (std::uint32_t k = 0; k < count; ++k, ++n)
      reply(protocol::error{id, errc::try_again,
                            "the connection closed before the hub answered: send the same "
                            "request (same id) again once reconnected; if it was applied, "
                            "that answer comes back and it is not applied twice"});
  state_->stats().unanswered_at_close(n);
  close_when_drained();
}

void websocket_session::start_close() {
  phase_ = phase::closing;
  ws_.async_close(close_reason_,
                  beast::bind_front_handler(&websocket_session::on_close, shared_from_this()));
}

void websocket_session::on_close(beast::error_code ec) {
  finish();
  if (ec)
    return fail(ec, "close");
}

void websocket_session::fail(beast::error_code ec, char const* what) {
  // Ordinary ends of a connection are not worth a line.
  if (ec == net::error::operation_aborted || ec == websocket::error::closed ||
      ec == net::error::eof || ec == net::error::connection_reset ||
      ec == net::error::broken_pipe || ec == beast::error::timeout)
    return;
  std::fprintf(stderr, "hub: websocket %s (person %llu): %s\n", what,
               static_cast<unsigned long long>(who_.id), ec.message().c_str());
}

void websocket_session::finish() {
  if (phase_ == phase::done)
    return;
  phase_ = phase::done;
  abandon();
  pending_.clear();
  if (grace_)
    grace_->cancel();
  if (joined_) {
    joined_ = false;
    state_->leave(this);
  }
}

} // namespace hub::gateway
