#include "gateway/http_session.hpp"

#include "gateway/authenticate.hpp"
#include "gateway/directory.hpp"
#include "gateway/net/token.hpp"
#include "gateway/open311/service.hpp"
#include "gateway/server_state.hpp"
#include "gateway/websocket_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <cstdio>

namespace hub::gateway {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace websocket = beast::websocket;

namespace {

/// Plain requests carry no body worth having; an upgrade none at all.
constexpr std::uint64_t body_limit = 16 * 1024;
/// The request line and headers together (Beast's default, named here because it is
/// documented): more is answered 431.
constexpr std::uint32_t header_limit = 8 * 1024;
/// After refusing a request, what is read and thrown away before the connection closes.
constexpr std::size_t linger_bytes = 1 << 20;
constexpr std::chrono::seconds linger_time{2};

std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }

/// What the parser refused as not HTTP/1: a bad method, target, version, header, chunk.
bool unreadable(const beast::error_code& ec) {
  auto first = make_error_code(http::error::bad_line_ending);
  return ec.category() == first.category() && ec.value() >= first.value() &&
         ec.value() <= static_cast<int>(http::error::bad_obs_fold);
}

} // namespace

http_session::http_session(lane::socket&& socket, lane& on, std::shared_ptr<server_state> state)
  : lane_(on)
  , stream_(std::move(socket))
  , state_(std::move(state)) {
  // nop
}

void http_session::run() {
  // The listener calls this on its own lane: everything of this session runs on the socket's.
  net::dispatch(stream_.get_executor(),
                beast::bind_front_handler(&http_session::do_read, shared_from_this()));
}

void http_session::do_read() {
  parser_.emplace();
  parser_->header_limit(header_limit);
  parser_->body_limit(body_limit);
  stream_.expires_after(state_->cfg().http_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&http_session::on_read, shared_from_this()));
}

void http_session::on_read(beast::error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream)
    return do_close();
  if (ec == http::error::header_limit)
    return refuse(http::status::request_header_fields_too_large,
                  "the request line and headers are over 8192 bytes\n");
  if (ec == http::error::body_limit)
    return refuse(http::status::payload_too_large, "the request body is over 16384 bytes\n");
  if (unreadable(ec))
    return refuse(http::status::bad_request, "the request is not HTTP/1.x\n");
  if (ec)
    return fail(ec, "read");
  auto req = parser_->release();
  if (websocket::is_upgrade(req))
    return upgrade(std::move(req));
  state_->stats().http_request();
  if (state_->cfg().open311 && open311::service::owns(sv(req.target())))
    return open311(std::move(req));
  respond(req);
  do_write();
}

void http_session::upgrade(request&& req) {
  // An address that failed too many upgrades waits before its next token is even looked at:
  // with a 32-byte secret guessing is hopeless anyway, this keeps it from being tried.
  beast::error_code ec;
  auto peer = stream_.socket().remote_endpoint(ec);
  auto address = ec ? std::string() : server_state::address_key(peer.address());
  auto& throttle = state_->failed_upgrades();
  if (!throttle.has_token(address)) {
    state_->stats().upgrade_throttled();
    res_ = response{http::status::too_many_requests, req.version()};
    res_.set(http::field::retry_after, std::to_string(throttle.seconds_to_token(address)));
    res_.set(http::field::content_type, "text/plain; charset=utf-8");
    res_.body() = "too many failed upgrades from your address: wait before trying again\n";
    res_.set(http::field::server, "hub");
    res_.keep_alive(false);
    res_.prepare_payload();
    return do_write();
  }
  auto auth = authenticate(sv(req.target()), sv(req[http::field::authorization]),
                           state_->cfg().secret, state_->city().hierarchy(), token::unix_now());
  if (auto* refused = std::get_if<auth_failure>(&auth)) {
    throttle.try_take(address);
    state_->stats().auth_refused(refused->metric);
    res_ = response{http::status::unauthorized, req.version()};
    res_.set(http::field::www_authenticate, "Bearer");
    res_.set(http::field::content_type, "text/plain; charset=utf-8");
    res_.body() = refused->reason + "\n";
  } else if (state_->stopping()) {
    res_ = response{http::status::service_unavailable, req.version()};
    res_.set(http::field::content_type, "text/plain; charset=utf-8");
    res_.body() = "the hub is shutting down\n";
  } else if (auto f = state_->city().gauges().store.fenced; f != actors::fence::none) {
    // Its writes would all be refused: the client belongs on the hub that took over.
    res_ = response{http::status::service_unavailable, req.version()};
    res_.set(http::field::content_type, "text/plain; charset=utf-8");
    res_.body() = std::string(actors::explain(f)) + "\n";
  } else {
    // The WebSocket session sets its own timeouts.
    stream_.expires_never();
    std::make_shared<websocket_session>(stream_.release_socket(), lane_, state_,
                                        std::get<actors::principal>(auth))
        ->run(std::move(req));
    return;
  }
  res_.set(http::field::server, "hub");
  res_.keep_alive(false);
  res_.prepare_payload();
  do_write();
}

void http_session::open311(request&& req) {
  // The answer may come from one of the city's threads: write it on the session's own, unless
  // the server stopped meanwhile (held_session).
  state_->cfg().open311->handle(req, [held = state_->hold(shared_from_this()),
                                      version = req.version(), keep = req.keep_alive(),
                                      head = req.method() == http::verb::head](response res) {
    held->answer([&](std::shared_ptr<http_session> self) {
      auto ex = self->stream_.get_executor();
      net::post(ex, [self = std::move(self), version, keep, head, res = std::move(res)]() mutable {
        self->res_ = std::move(res);
        self->res_.version(version);
        self->res_.set(http::field::server, "hub");
        self->res_.keep_alive(keep);
        self->res_.prepare_payload();
        if (head)
          self->res_.body().clear();
        self->do_write();
      });
    });
  });
}

void http_session::respond(const request& req) {
  res_ = response{http::status::ok, req.version()};
  res_.set(http::field::server, "hub");
  res_.keep_alive(req.keep_alive());
  auto target = sv(req.target());
  auto path = target.substr(0, target.find('?'));
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    res_.result(http::status::method_not_allowed);
    res_.set(http::field::allow, "GET, HEAD");
    res_.set(http::field::content_type, "text/plain; charset=utf-8");
    res_.body() = "only GET and HEAD\n";
  } else if (path == "/healthz") {
    auto snap = state_->snapshot();
    const auto& st = snap.store;
    // "degraded" while the store is away: reads go on, writes are answered try_again.
    // "fenced" for good once the store refused this hub: 503, so that a balancer drains it.
    const bool fenced = st.fenced != actors::fence::none;
    const char* store = !st.durable                              ? "memory"
                        : st.fenced == actors::fence::superseded ? "superseded"
                        : st.fenced == actors::fence::emptied    ? "emptied"
                        : st.connected                           ? "connected"
                                                                 : "unreachable";
    if (fenced)
      res_.result(http::status::service_unavailable);
    // A bound is near at 80 % of it: the commits waiting for the store (past `buffer`, writes
    // are refused with try_again), Redis's memory when it has a maxmemory.
    std::string near;
    if (st.buffer != 0 && st.pending * 5 >= st.buffer * 4)
      near += "\"store_buffer\"";
    if (const auto& a = snap.archive; a.redis_max != 0 && a.redis_used * 5 >= a.redis_max * 4)
      near += near.empty() ? "\"redis_memory\"" : ",\"redis_memory\"";
    char body[400];
    std::snprintf(body, sizeof body,
                  "{\"status\":\"%s\",\"uptime_seconds\":%.3f,\"connections\":%lld,"
                  "\"bus_last_seq\":%llu,\"store\":\"%s\",\"near\":[%s]}\n",
                  fenced         ? "fenced"
                  : st.connected ? "ok"
                                 : "degraded",
                  snap.uptime_seconds, static_cast<long long>(state_->stats().connections()),
                  static_cast<unsigned long long>(snap.bus_last_seq), store, near.c_str());
    res_.set(http::field::content_type, "application/json");
    res_.set(http::field::cache_control, "no-store");
    res_.body() = body;
  } else if (path == "/metrics") {
    res_.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res_.set(http::field::cache_control, "no-store");
    res_.body() = state_->stats().render(state_->snapshot());
  } else if (path == "/api/hierarchy") {
    // The pages' map and pick lists: the token's person, as for an upgrade.
    auto auth = authenticate(target, sv(req[http::field::authorization]), state_->cfg().secret,
                             state_->city().hierarchy(), token::unix_now());
    res_.set(http::field::cache_control, "no-store");
    if (auto* refused = std::get_if<auth_failure>(&auth)) {
      state_->stats().auth_refused(refused->metric);
      res_.result(http::status::unauthorized);
      res_.set(http::field::www_authenticate, "Bearer");
      res_.set(http::field::content_type, "text/plain; charset=utf-8");
      res_.body() = refused->reason + "\n";
    } else {
      res_.set(http::field::content_type, "application/json");
      res_.body() = directory_json(state_->city().hierarchy(), std::get<actors::principal>(auth));
    }
  } else {
    auto file = state_->files().get(target);
    res_.result(file.status);
    res_.set(http::field::content_type, file.content_type);
    res_.body() = std::move(file.body);
  }
  res_.prepare_payload();
  if (req.method() == http::verb::head)
    res_.body().clear(); // Content-Length stays the GET's
}

void http_session::refuse(http::status status, const char* text) {
  state_->stats().http_refused(static_cast<unsigned>(status));
  res_ = response{status, 11};
  res_.set(http::field::server, "hub");
  res_.set(http::field::content_type, "text/plain; charset=utf-8");
  res_.body() = text;
  res_.keep_alive(false);
  res_.prepare_payload();
  linger_ = true;
  do_write();
}

void http_session::do_write() {
  stream_.expires_after(state_->cfg().http_timeout);
  http::async_write(
      stream_, res_,
      beast::bind_front_handler(&http_session::on_write, shared_from_this(), !res_.keep_alive()));
}

void http_session::on_write(bool close, beast::error_code ec, std::size_t) {
  if (ec)
    return fail(ec, "write");
  if (close)
    return do_close();
  res_ = {};
  do_read();
}

void http_session::do_close() {
  beast::error_code ec;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
  if (!linger_)
    return;
  // The client may still be sending what was refused; closing now would reset the
  // connection, and a reset can destroy the answer before the client has read it.
  buffer_.clear();
  stream_.expires_after(linger_time);
  linger({}, 0);
}

void http_session::linger(beast::error_code ec, std::size_t bytes) {
  lingered_ += bytes;
  buffer_.clear();
  if (ec || lingered_ >= linger_bytes)
    return; // closed by the client, timed out, or enough: the socket closes with us
  stream_.async_read_some(buffer_.prepare(4096),
                          beast::bind_front_handler(&http_session::linger, shared_from_this()));
}

void http_session::fail(beast::error_code ec, char const* what) {
  if (ec == net::error::operation_aborted || ec == beast::error::timeout ||
      ec == net::error::connection_reset || ec == net::error::eof)
    return;
  std::fprintf(stderr, "hub: http %s: %s\n", what, ec.message().c_str());
}

} // namespace hub::gateway
