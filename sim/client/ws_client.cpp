// The hub's WebSocket client: the asynchronous session (after Beast's websocket_client_async)
// and the blocking wrapper the command line uses. See ws_client.hpp.

#include "sim/client/ws_client.hpp"

#include "protocol/json.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/version.hpp>

#include <algorithm>
#include <utility>

namespace hub::sim {

namespace websocket = beast::websocket;

// -- helpers ---------------------------------------------------------------------------------

std::optional<ws_url> parse_ws_url(std::string_view text, std::string* why) {
  auto fail = [&](std::string reason) -> std::optional<ws_url> {
    if (why != nullptr)
      *why = std::move(reason);
    return std::nullopt;
  };
  constexpr std::string_view scheme = "ws://";
  if (text.starts_with("wss://"))
    return fail("wss:// is not supported: the hub's gateway speaks plain ws://");
  if (!text.starts_with(scheme))
    return fail("the URL must start with ws://");
  text.remove_prefix(scheme.size());
  auto slash = text.find_first_of("/?");
  auto authority = text.substr(0, slash);
  ws_url url;
  if (slash != std::string_view::npos) {
    url.target = std::string(text.substr(slash));
    if (url.target.front() == '?')
      url.target.insert(url.target.begin(), '/');
  }
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) { // [::1]:8080
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return fail("unterminated [ in the host");
    host = authority.substr(1, close - 1);
    auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':')
        return fail("junk after ] in the host");
      port = rest.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty())
    return fail("the URL has no host");
  if (!port.empty()) {
    if (!std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        port.size() > 5)
      return fail("the port must be a number");
    url.port = std::string(port);
  }
  url.host = std::string(host);
  return url;
}

std::string with_token(std::string_view target, std::string_view token) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out(target.empty() ? std::string_view{"/"} : target);
  out += out.find('?') == std::string::npos ? "?token=" : "&token=";
  for (unsigned char c : token) {
    bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || c == '.' || c == '~';
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string encode_for(wire_format format, const protocol::client_message& msg) {
  return format == wire_format::json ? protocol::to_json(msg) : protocol::encode(msg);
}

std::uint64_t reply_id(const protocol::server_message& msg) {
  if (auto* a = std::get_if<protocol::ack>(&msg))
    return a->id;
  if (auto* e = std::get_if<protocol::error>(&msg))
    return e->id;
  if (auto* r = std::get_if<protocol::result>(&msg))
    return r->id;
  return 0;
}

std::string describe_failure(beast::error_code ec, const ws_client::response& res) {
  if (ec == websocket::error::upgrade_declined) {
    std::string out = "the hub refused the upgrade: HTTP " + std::to_string(res.result_int());
    if (!res.reason().empty())
      out += " " + std::string(res.reason());
    std::string body = res.body();
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r' || body.back() == ' '))
      body.pop_back();
    if (!body.empty())
      out += ": " + body;
    return out;
  }
  if (ec == net::error::connection_refused)
    return "connection refused (is the hub running on that port?)";
  if (ec == beast::error::timeout)
    return "timed out";
  if (ec == net::error::host_not_found || ec == net::error::host_not_found_try_again)
    return "unknown host";
  return ec.message();
}

// -- the asynchronous session ---------------------------------------------------------------

ws_client::ws_client(executor_type ex, ws_options options)
  : resolver_(ex)
  , connect_timer_(ex)
  , ws_(ex)
  , options_(options) {}

void ws_client::start_connect_timer() {
  connect_timer_.expires_after(options_.connect_timeout);
  connect_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || self->connected_)
      return; // cancelled, or too late to matter
    self->timed_out_ = true;
    self->resolver_.cancel();
    beast::error_code ignored;
    self->ws_.next_layer().cancel(ignored); // the pending step reports operation_aborted
  });
}

void ws_client::run(const ws_url& url, std::string token) {
  host_ = url.host + ":" + url.port;
  target_ = with_token(url.target, token);
  start_connect_timer();
  resolver_.async_resolve(url.host, url.port,
                          beast::bind_front_handler(&ws_client::on_resolve, shared_from_this()));
}

void ws_client::run(tcp::endpoint endpoint, const ws_url& url, std::string token) {
  run_target(endpoint, url.host + ":" + url.port, with_token(url.target, token));
}

void ws_client::run_target(tcp::endpoint endpoint, std::string host, std::string target) {
  host_ = std::move(host);
  target_ = std::move(target);
  // Through the executor, so the handlers run there as with run(url, token).
  net::post(ws_.get_executor(),
            [self = shared_from_this(), endpoint] { self->connect_to(endpoint); });
}

void ws_client::connect_to(tcp::endpoint endpoint) {
  start_connect_timer();
  auto& socket = ws_.next_layer();
  if (options_.receive_buffer > 0) {
    beast::error_code ec;
    socket.open(endpoint.protocol(), ec);
    if (!ec)
      socket.set_option(net::socket_base::receive_buffer_size(options_.receive_buffer), ec);
    if (ec)
      return finish(ec);
  }
  socket.async_connect(endpoint, [self = shared_from_this(), endpoint](beast::error_code ec) {
    self->on_connect(ec, endpoint);
  });
}

void ws_client::on_resolve(beast::error_code ec, tcp::resolver::results_type results) {
  if (ec)
    return finish(timed_out_ ? beast::error::timeout : ec);
  net::async_connect(ws_.next_layer(), results,
                     beast::bind_front_handler(&ws_client::on_connect, shared_from_this()));
}

void ws_client::on_connect(beast::error_code ec, tcp::endpoint) {
  connected_ = !ec;
  connect_timer_.cancel();
  if (timed_out_)
    return finish(beast::error::timeout);
  if (ec)
    return finish(ec);
  if (closing_) // close() came while connecting
    return finish(net::error::operation_aborted);
  // The websocket stream keeps its own timers from here on.
  ws_.set_option(websocket::stream_base::timeout{options_.handshake_timeout,
                                                 websocket::stream_base::none(), false});
  ws_.set_option(websocket::stream_base::decorator(
      [authorization = options_.authorization](websocket::request_type& req) {
        req.set(beast::http::field::user_agent, "hub-sim (" BOOST_BEAST_VERSION_STRING ")");
        if (!authorization.empty())
          req.set(beast::http::field::authorization, authorization);
      }));
  ws_.read_message_max(protocol::limits::frame_bytes);
  ws_.async_handshake(response_, host_, target_,
                      beast::bind_front_handler(&ws_client::on_handshake, shared_from_this()));
}

void ws_client::on_handshake(beast::error_code ec) {
  if (ec)
    return finish(ec);
  open_ = true;
  if (handlers_.opened)
    handlers_.opened({}, response_);
  if (closing_)
    return do_close();
  if (!queue_.empty()) // sent before the upgrade finished
    do_write();
  if (!options_.read_on_demand)
    do_read();
}

void ws_client::read_one() {
  if (open_ && !reading_ && !finished_)
    do_read();
}

void ws_client::do_read() {
  reading_ = true;
  ws_.async_read(buffer_, beast::bind_front_handler(&ws_client::on_read, shared_from_this()));
}

void ws_client::on_read(beast::error_code ec, std::size_t) {
  reading_ = false;
  if (ec)
    return finish(ec);
  last_text_ = ws_.got_text();
  auto bytes = buffer_.cdata();
  std::string_view frame(static_cast<const char*>(bytes.data()), bytes.size());
  if (handlers_.frame && handlers_.frame(ws_.got_binary(), frame)) {
    buffer_.consume(buffer_.size());
    if (!finished_ && !options_.read_on_demand)
      do_read();
    return;
  }
  auto decoded =
      ws_.got_binary() ? protocol::decode_server(frame) : protocol::decode_server_json(frame);
  buffer_.consume(buffer_.size());
  if (auto* msg = std::get_if<protocol::server_message>(&decoded)) {
    if (handlers_.message)
      handlers_.message(std::move(*msg));
  } else if (handlers_.undecodable) {
    handlers_.undecodable(std::get<protocol::decode_error>(decoded));
  }
  if (!finished_ && !options_.read_on_demand)
    do_read();
}

void ws_client::read_raw_until_closed() {
  if (!open_ || reading_ || finished_)
    return;
  reading_ = true;
  ws_.next_layer().async_read_some(net::buffer(raw_),
                                   [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                     self->reading_ = false;
                                     if (ec)
                                       return self->finish(ec);
                                     self->read_raw_until_closed();
                                   });
}

void ws_client::send(const protocol::client_message& msg) {
  send_frame(std::make_shared<const std::string>(encode_for(options_.format, msg)),
             options_.format == wire_format::msgpack);
}

void ws_client::send_frame(std::shared_ptr<const std::string> frame, bool binary) {
  net::post(ws_.get_executor(), beast::bind_front_handler(&ws_client::on_send, shared_from_this(),
                                                          std::move(frame), binary));
}

void ws_client::on_send(std::shared_ptr<const std::string> frame, bool binary) {
  if (finished_ || closing_)
    return;
  if (queue_.size() >= options_.queue_limit)
    return finish(net::error::no_buffer_space);
  queue_.push_back({std::move(frame), binary});
  // Write only when nothing is being written; before the upgrade the queue just waits.
  if (open_ && queue_.size() == 1)
    do_write();
}

void ws_client::do_write() {
  ws_.binary(queue_.front().binary);
  ws_.async_write(net::buffer(*queue_.front().bytes),
                  beast::bind_front_handler(&ws_client::on_write, shared_from_this()));
}

void ws_client::on_write(beast::error_code ec, std::size_t) {
  if (ec)
    return finish(ec);
  queue_.pop_front();
  if (!queue_.empty())
    return do_write();
  if (closing_)
    do_close();
}

void ws_client::close() {
  net::post(ws_.get_executor(), [self = shared_from_this()] {
    if (self->finished_ || self->closing_)
      return;
    self->closing_ = true;
    if (!self->open_) {
      // Still connecting: abort it; the pending step reports operation_aborted.
      self->resolver_.cancel();
      beast::error_code ignored;
      self->ws_.next_layer().cancel(ignored);
      return;
    }
    if (self->queue_.empty())
      self->do_close(); // else on_write closes once the queue has drained
  });
}

void ws_client::do_close() {
  ws_.async_close(websocket::close_code::normal,
                  beast::bind_front_handler(&ws_client::on_close, shared_from_this()));
}

void ws_client::on_close(beast::error_code ec) {
  finish(ec == net::error::operation_aborted ? beast::error_code{} : ec);
}

void ws_client::finish(beast::error_code ec) {
  if (finished_)
    return;
  finished_ = true;
  connect_timer_.cancel();
  queue_.clear();
  bool was_open = open_;
  open_ = false;
  // Handlers may hold a shared_ptr to this session: drop them once they have been called.
  auto h = std::move(handlers_);
  handlers_ = {};
  if (!was_open) {
    if (h.opened)
      h.opened(ec ? ec : beast::error_code{net::error::operation_aborted}, response_);
    return;
  }
  // A close we started ends with a clean code whichever operation saw it first.
  if (closing_ && (ec == websocket::error::closed || ec == net::error::operation_aborted))
    ec = {};
  if (ec && ec != websocket::error::closed) {
    beast::error_code ignored;
    ws_.next_layer().close(ignored); // ends the other pending operation
  }
  if (h.closed)
    h.closed(ec);
}

// -- the blocking wrapper -------------------------------------------------------------------

ws_blocking_client::ws_blocking_client(ws_options options)
  : ioc_(1)
  , options_(std::move(options)) {
  options_.read_on_demand = true;
}

ws_blocking_client::~ws_blocking_client() {
  if (client_ && !closed_)
    close(std::chrono::milliseconds{500});
}

template <class Pred>
bool ws_blocking_client::run_until(Pred done, std::chrono::steady_clock::time_point deadline,
                                   bool reading) {
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    if (reading && client_ && !closed_)
      client_->read_one(); // nothing when a read is pending or the upgrade is under way
    if (ioc_.stopped())
      ioc_.restart();
    if (ioc_.run_one_until(deadline) == 0 && ioc_.stopped())
      return done(); // no work left: nothing more will happen
  }
  return true;
}

std::string ws_blocking_client::connect(const ws_url& url, const std::string& token,
                                        std::chrono::milliseconds timeout) {
  return open([&] { client_->run(url, token); }, timeout);
}

std::string ws_blocking_client::connect(tcp::endpoint endpoint, const std::string& host,
                                        const std::string& target,
                                        std::chrono::milliseconds timeout) {
  return open([&] { client_->run_target(endpoint, host, target); }, timeout);
}

std::string ws_blocking_client::open(const std::function<void()>& start,
                                     std::chrono::milliseconds timeout) {
  client_ = std::make_shared<ws_client>(ioc_.get_executor(), options_);
  std::optional<std::string> outcome;
  ws_client::handlers h;
  h.opened = [&outcome](beast::error_code ec, const ws_client::response& res) {
    outcome = ec ? describe_failure(ec, res) : std::string{};
  };
  h.message = [this](protocol::server_message&& msg) {
    inbox_.push_back({std::move(msg), client_->got_text(), false});
  };
  h.undecodable = [this](const protocol::decode_error& e) {
    inbox_.push_back({protocol::error{0, e.code, "undecodable frame from the hub: " + e.message},
                      client_->got_text(), true});
  };
  h.closed = [this](beast::error_code ec) {
    closed_ = true;
    close_error_ = ec;
    if (ec == websocket::error::closed) {
      auto& r = client_->close_reason();
      why_closed_ = "the hub closed the connection (code " + std::to_string(r.code) +
                    (r.reason.empty() ? std::string{}
                                      : ": " + std::string(r.reason.data(), r.reason.size())) +
                    ")";
    } else {
      why_closed_ = ec ? ec.message() : "closed";
    }
  };
  client_->set_handlers(std::move(h));
  start();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!run_until([&] { return outcome.has_value(); }, deadline)) {
    client_->close();
    run_until([&] { return outcome.has_value(); },
              std::chrono::steady_clock::now() + std::chrono::milliseconds{500});
    outcome = "timed out after " + std::to_string(timeout.count()) + " ms";
  }
  if (!outcome->empty()) {
    closed_ = true;
    why_closed_ = *outcome;
  }
  return *outcome;
}

void ws_blocking_client::send(const protocol::client_message& msg) {
  if (client_)
    client_->send(msg);
}

void ws_blocking_client::send_raw(std::string_view bytes, bool text) {
  if (client_)
    client_->send_frame(std::make_shared<const std::string>(bytes), !text);
}

bool ws_blocking_client::flush(std::chrono::milliseconds timeout) {
  if (!client_)
    return false;
  // send_frame posts the frame to the session: run what is ready first, so that every frame
  // sent before this call is in the session's queue, then until the queue is written.
  if (ioc_.stopped())
    ioc_.restart();
  ioc_.poll();
  run_until([&] { return closed_ || client_->queued() == 0; },
            std::chrono::steady_clock::now() + timeout);
  return !closed_ && client_->queued() == 0;
}

std::optional<protocol::server_message>
ws_blocking_client::read(std::chrono::milliseconds timeout) {
  interrupted_ = false;
  run_until([&] { return !inbox_.empty() || closed_ || interrupted_; },
            std::chrono::steady_clock::now() + timeout, true);
  if (inbox_.empty())
    return std::nullopt;
  auto in = std::move(inbox_.front());
  inbox_.pop_front();
  last_text_ = in.text;
  last_undecodable_ = in.undecodable;
  return std::move(in.message);
}

std::optional<protocol::server_message>
ws_blocking_client::request(const protocol::client_message& msg,
                            std::chrono::milliseconds timeout) {
  send(msg);
  auto match = [&] {
    return std::find_if(inbox_.begin(), inbox_.end(),
                        [&](auto& in) { return reply_id(in.message) == msg.id; });
  };
  run_until([&] { return match() != inbox_.end() || closed_; },
            std::chrono::steady_clock::now() + timeout, true);
  auto found = match();
  if (found == inbox_.end())
    return std::nullopt;
  auto reply = std::move(found->message);
  inbox_.erase(found);
  return reply;
}

bool ws_blocking_client::wait_dropped(std::chrono::milliseconds timeout) {
  if (!client_ || closed_)
    return closed_;
  client_->read_raw_until_closed();
  return run_until([&] { return closed_; }, std::chrono::steady_clock::now() + timeout);
}

void ws_blocking_client::close(std::chrono::milliseconds timeout) {
  if (!client_ || closed_)
    return;
  client_->close();
  run_until([&] { return closed_; }, std::chrono::steady_clock::now() + timeout);
  closed_ = true;
}

} // namespace hub::sim
