#include "sim/load/open311_feed.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <charconv>

namespace hub::sim {

namespace beast = boost::beast;
namespace http = beast::http;

/// One keep-alive connection: one post at a time.
struct open311_feed::conn {
  explicit conn(boost::asio::io_context& ioc)
    : stream(ioc) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  http::request<http::string_body> req;
  http::response<http::string_body> res;
  std::uint64_t post = 0;
  bool busy = false, open = false;
};

open311_feed::open311_feed(boost::asio::io_context& ioc, boost::asio::ip::tcp::endpoint endpoint,
                           std::string host, std::string api_key, std::size_t connections,
                           answer_fn answer)
  : ioc_(ioc)
  , endpoint_(endpoint)
  , host_(std::move(host))
  , key_(std::move(api_key))
  , answer_(std::move(answer)) {
  for (std::size_t i = 0; i < std::max<std::size_t>(connections, 1); ++i)
    conns_.push_back(std::make_shared<conn>(ioc_));
}

open311_feed::~open311_feed() { stop(); }

std::uint64_t open311_feed::service_request_id(const std::string& body) {
  static const std::string key = "\"service_request_id\":\"";
  auto at = body.find(key);
  if (at == std::string::npos)
    return 0;
  std::uint64_t id = 0;
  const char* begin = body.data() + at + key.size();
  auto [end, ec] = std::from_chars(begin, body.data() + body.size(), id);
  return ec == std::errc{} && end != begin && *end == '"' ? id : 0;
}

void open311_feed::post(std::uint64_t id, std::string form) {
  if (stopped_) {
    answer_(id, 0, "stopped");
    return;
  }
  queue_.emplace_back(id, std::move(form));
  pump();
}

void open311_feed::stop() {
  if (stopped_)
    return;
  stopped_ = true;
  for (auto& c : conns_) {
    beast::error_code ec;
    c->stream.socket().close(ec);
  }
  auto waiting = std::move(queue_);
  for (auto& [id, form] : waiting)
    answer_(id, 0, "stopped");
}

void open311_feed::pump() {
  for (auto& c : conns_) {
    if (queue_.empty() || stopped_)
      return;
    if (c->busy)
      continue;
    auto [id, form] = std::move(queue_.front());
    queue_.pop_front();
    c->busy = true;
    c->post = id;
    c->req = {http::verb::post, "/open311/v2/requests.json", 11};
    c->req.set(http::field::host, host_);
    c->req.set(http::field::content_type, "application/x-www-form-urlencoded");
    c->req.body() = "api_key=" + key_ + "&" + form;
    c->req.prepare_payload();
    auto self = c;
    auto done = [this, self](beast::error_code ec, const std::string& what) {
      self->busy = false;
      if (ec) {
        self->open = false;
        beast::error_code ignored;
        self->stream.socket().close(ignored);
      }
      if (stopped_)
        return;
      if (ec) {
        answer_(self->post, 0, what + ": " + ec.message());
      } else {
        auto status = self->res.result_int();
        auto id = status == 200 || status == 201 ? service_request_id(self->res.body()) : 0;
        answer_(self->post, id,
                id != 0 ? "" : "HTTP " + std::to_string(status) + ": " + self->res.body());
        if (!self->res.keep_alive()) {
          self->open = false;
          beast::error_code ignored;
          self->stream.socket().close(ignored);
        }
      }
      pump();
    };
    auto exchange = [self, done] {
      self->stream.expires_after(std::chrono::seconds(10));
      http::async_write(self->stream, self->req, [self, done](beast::error_code ec, std::size_t) {
        if (ec)
          return done(ec, "write");
        self->res = {};
        http::async_read(self->stream, self->buffer, self->res,
                         [done](beast::error_code ec2, std::size_t) { done(ec2, "read"); });
      });
    };
    if (c->open) {
      exchange();
      continue;
    }
    c->buffer.clear();
    c->stream.expires_after(std::chrono::seconds(10));
    c->stream.async_connect(endpoint_, [self, done, exchange](beast::error_code ec) {
      if (ec)
        return done(ec, "connect");
      self->open = true;
      exchange();
    });
  }
}

} // namespace hub::sim
