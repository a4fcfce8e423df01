#include "tests/support/test_client.hpp"

#include "protocol/json.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <gtest/gtest.h>

#include <functional>

namespace hub::testing {

namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

namespace {

bool is_reply(const protocol::server_message& m) { return sim::reply_id(m) != 0; }

sim::ws_options options_for(const test_client::connect_options& opts) {
  sim::ws_options o;
  o.connect_timeout = patience;
  o.handshake_timeout = patience;
  o.receive_buffer = opts.receive_buffer;
  o.authorization = opts.authorization;
  return o;
}

} // namespace

test_client::test_client(std::uint16_t port, const connect_options& opts)
  : client_(options_for(opts)) {
  auto failed = client_.connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port},
                                "127.0.0.1", opts.target, patience);
  status_ = static_cast<int>(client_.upgrade_response().result_int());
  body_ = client_.upgrade_response().body();
  open_ = failed.empty();
}

void test_client::send(const protocol::client_message& msg) {
  send_raw(json_ ? protocol::to_json(msg) : protocol::encode(msg), json_);
}

void test_client::send_raw(std::string_view bytes, bool text) {
  ASSERT_TRUE(open_ && !client_.closed()) << "send on a closed connection";
  client_.send_raw(bytes, text);
  client_.flush(patience);
}

std::optional<protocol::server_message> test_client::read(std::chrono::milliseconds timeout) {
  if (!open_ || client_.closed())
    return std::nullopt;
  auto m = client_.read(timeout);
  if (m && client_.last_was_undecodable()) {
    ADD_FAILURE() << "the hub sent a frame that does not decode: "
                  << std::get<protocol::error>(*m).message;
    return std::nullopt;
  }
  return m;
}

protocol::server_message test_client::request(const protocol::client_message& msg) {
  send(msg);
  auto r = reply_to(msg.id);
  if (!r) {
    ADD_FAILURE() << "no reply to request " << msg.id;
    return protocol::error{msg.id, protocol::errc::internal, "no reply"};
  }
  return *r;
}

std::optional<protocol::server_message> test_client::reply_to(std::uint64_t id,
                                                              std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    for (auto i = replies_.begin(); i != replies_.end(); ++i) {
      if (sim::reply_id(*i) == id) {
        auto r = std::move(*i);
        replies_.erase(i);
        return r;
      }
    }
    if (!read_one_before(deadline))
      return std::nullopt;
  }
}

bool test_client::read_one_before(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left <= 0ms)
    return false;
  auto m = read(left);
  if (!m)
    return false;
  sort(std::move(*m));
  return true;
}

std::optional<protocol::server_message> test_client::next_event(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (kept_.empty())
    if (!read_one_before(deadline))
      return std::nullopt;
  auto e = std::move(kept_.front());
  kept_.pop_front();
  return e;
}

void test_client::sort(protocol::server_message&& m) {
  if (is_reply(m))
    replies_.push_back(std::move(m));
  else if (auto* a = std::get_if<protocol::aggregate>(&m))
    aggregates_.push_back(*a);
  else
    kept_.push_back(std::move(m));
}

bool test_client::wait_aggregate(const std::function<bool(const protocol::aggregate&)>& pred,
                                 std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (std::size_t checked = 0;;) {
    for (; checked < aggregates_.size(); ++checked)
      if (pred(aggregates_[checked]))
        return true;
    if (!read_one_before(deadline))
      return false;
  }
}

bool test_client::wait_closed(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!client_.closed()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms)
      return false;
    client_.read(left);
  }
  return client_.close_error() == beast::websocket::error::closed;
}

bool test_client::wait_dropped_without_answering(std::chrono::milliseconds timeout) {
  return client_.wait_dropped(timeout);
}

void test_client::close() {
  if (open_)
    client_.close(patience);
}

http_reply http_request(std::uint16_t port, std::string_view method, std::string_view target) {
  return http_request(port, method, target, {}, {});
}

http_reply http_request(std::uint16_t port, std::string_view method, std::string_view target,
                        std::string_view body, std::string_view content_type) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  http_reply out;
  http::request<http::string_body> req{
      http::string_to_verb({method.data(), method.size()}), {target.data(), target.size()}, 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::connection, "close");
  if (!content_type.empty()) {
    req.set(http::field::content_type,
            beast::string_view{content_type.data(), content_type.size()});
    req.body() = std::string(body);
    req.prepare_payload();
  }
  http::response<http::string_body> res;
  beast::flat_buffer buffer;
  stream.expires_after(patience);
  stream.async_connect(
      tcp::endpoint{net::ip::make_address("127.0.0.1"), port}, [&](beast::error_code ec) {
        if (ec)
          return;
        stream.expires_after(patience);
        http::async_write(stream, req, [&](beast::error_code ec, std::size_t) {
          if (ec)
            return;
          stream.expires_after(patience);
          http::async_read(stream, buffer, res, [&](beast::error_code ec, std::size_t) {
            if (!ec)
              out.status = static_cast<int>(res.result_int());
          });
        });
      });
  ioc.run();
  out.content_type = std::string(res[http::field::content_type]);
  out.body = res.body();
  return out;
}

std::string raw_exchange(std::uint16_t port, std::string_view bytes) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  std::string out;
  char chunk[4096];
  std::function<void(beast::error_code, std::size_t)> on_read = [&](beast::error_code ec,
                                                                    std::size_t n) {
    out.append(chunk, n);
    if (!ec)
      stream.async_read_some(net::buffer(chunk), on_read);
  };
  stream.expires_after(patience);
  stream.async_connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port},
                       [&](beast::error_code ec) {
                         if (ec)
                           return;
                         // Reading from the start: an answer may come before everything is written.
                         stream.async_read_some(net::buffer(chunk), on_read);
                         net::async_write(stream, net::buffer(bytes.data(), bytes.size()),
                                          [](beast::error_code, std::size_t) {});
                       });
  ioc.run();
  return out;
}

} // namespace hub::testing
