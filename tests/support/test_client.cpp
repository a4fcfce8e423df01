#include "tests/support/test_client.hpp"

#include "protocol/json.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <gtest/gtest.h>

namespace hub::testing {

namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

namespace {

bool is_reply(const protocol::server_message& m) {
  if (auto* a = std::get_if<protocol::ack>(&m))
    return a->id != 0;
  if (auto* e = std::get_if<protocol::error>(&m))
    return e->id != 0;
  return false;
}

std::uint64_t reply_id(const protocol::server_message& m) {
  if (auto* a = std::get_if<protocol::ack>(&m))
    return a->id;
  if (auto* e = std::get_if<protocol::error>(&m))
    return e->id;
  return 0;
}

} // namespace

test_client::test_client(std::uint16_t port, const connect_options& opts)
  : ws_(ioc_) {
  auto& socket = beast::get_lowest_layer(ws_).socket();
  socket.open(tcp::v4(), error_);
  if (!error_ && opts.receive_buffer > 0)
    socket.set_option(net::socket_base::receive_buffer_size(opts.receive_buffer), error_);
  if (error_)
    return;
  bool done = false;
  beast::get_lowest_layer(ws_).async_connect(
      tcp::endpoint{net::ip::make_address("127.0.0.1"), port}, [&](beast::error_code ec) {
        error_ = ec;
        done = true;
      });
  if (!run(done, patience) || error_)
    return;
  auto authorization = opts.authorization;
  ws_.set_option(websocket::stream_base::decorator([authorization](websocket::request_type& req) {
    if (!authorization.empty())
      req.set(http::field::authorization, authorization);
  }));
  websocket::response_type res;
  done = false;
  ws_.async_handshake(res, "127.0.0.1", opts.target, [&](beast::error_code ec) {
    error_ = ec;
    done = true;
  });
  bool finished = run(done, patience);
  status_ = static_cast<int>(res.result_int());
  body_ = res.body();
  open_ = finished && !error_;
}

bool test_client::run(const bool& done, std::chrono::milliseconds timeout) {
  ioc_.restart();
  ioc_.run_for(timeout);
  if (done)
    return true;
  beast::get_lowest_layer(ws_).close(); // the pending operation completes with an error
  ioc_.restart();
  ioc_.run();
  closed_ = true;
  error_ = net::error::timed_out;
  return false;
}

void test_client::send(const protocol::client_message& msg) {
  send_raw(json_ ? protocol::to_json(msg) : protocol::encode(msg), json_);
}

void test_client::send_raw(std::string_view bytes, bool text) {
  ASSERT_TRUE(open_ && !closed_) << "send on a closed connection";
  ws_.text(text);
  bool done = false;
  ws_.async_write(net::buffer(bytes.data(), bytes.size()), [&](beast::error_code ec, std::size_t) {
    error_ = ec;
    done = true;
  });
  if (run(done, patience) && error_)
    closed_ = true;
}

std::optional<protocol::server_message> test_client::read(std::chrono::milliseconds timeout) {
  if (!open_ || closed_)
    return std::nullopt;
  bool done = false;
  ws_.async_read(buffer_, [&](beast::error_code ec, std::size_t) {
    error_ = ec;
    done = true;
  });
  if (!run(done, timeout))
    return std::nullopt;
  if (error_) {
    closed_ = true;
    return std::nullopt;
  }
  last_text_ = ws_.got_text();
  auto frame = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  auto decoded = last_text_ ? protocol::decode_server_json(frame) : protocol::decode_server(frame);
  if (auto* e = std::get_if<protocol::decode_error>(&decoded)) {
    ADD_FAILURE() << "the hub sent a frame that does not decode: " << e->message;
    return std::nullopt;
  }
  return std::get<protocol::server_message>(std::move(decoded));
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
      if (reply_id(*i) == id) {
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
  while (!closed_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms)
      return false;
    read(left);
  }
  return error_ == websocket::error::closed;
}

bool test_client::wait_dropped_without_answering(std::chrono::milliseconds timeout) {
  auto& socket = beast::get_lowest_layer(ws_).socket();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char sink[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms)
      return false;
    bool done = false;
    socket.async_read_some(net::buffer(sink), [&](beast::error_code ec, std::size_t) {
      error_ = ec;
      done = true;
    });
    if (!run(done, left))
      return false;
    if (error_) {
      closed_ = true;
      return true;
    }
  }
}

void test_client::close() {
  if (!open_ || closed_)
    return;
  bool done = false;
  ws_.async_close(websocket::close_code::normal, [&](beast::error_code ec) {
    error_ = ec;
    done = true;
  });
  run(done, patience);
  closed_ = true;
}

http_reply http_request(std::uint16_t port, std::string_view method, std::string_view target) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  http_reply out;
  http::request<http::string_body> req{
      http::string_to_verb({method.data(), method.size()}), {target.data(), target.size()}, 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::connection, "close");
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

} // namespace hub::testing
