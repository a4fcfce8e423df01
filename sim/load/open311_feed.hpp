#pragma once

// The 12345 hotline's feed as the hub's Open311 side sees it: form-encoded POSTs to
// /open311/v2/requests.json over a few keep-alive HTTP connections, on the caller's
// io_context (one thread). Each post is answered once through the callback, with the
// service_request_id the hub gave (the case id), or 0 and why not (an HTTP error, a
// connection that failed: a post in flight on a failed connection is not posted again here).

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace hub::sim {

class open311_feed {
public:
  using answer_fn =
      std::function<void(std::uint64_t post, std::uint64_t case_id, const std::string& why)>;

  /// Posts to `host:port` at `endpoint` with `api_key` over at most `connections` connections.
  open311_feed(boost::asio::io_context& ioc, boost::asio::ip::tcp::endpoint endpoint,
               std::string host, std::string api_key, std::size_t connections, answer_fn answer);
  ~open311_feed();
  open311_feed(const open311_feed&) = delete;
  open311_feed& operator=(const open311_feed&) = delete;

  /// Queues one post: `form` without the api_key.
  void post(std::uint64_t id, std::string form);
  /// Closes every connection; posts still queued are answered 0 ("stopped").
  void stop();

  /// The case id in an Open311 JSON answer to a post, or 0.
  static std::uint64_t service_request_id(const std::string& body);

private:
  struct conn;
  void pump();

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::endpoint endpoint_;
  std::string host_, key_;
  answer_fn answer_;
  std::vector<std::shared_ptr<conn>> conns_;
  std::deque<std::pair<std::uint64_t, std::string>> queue_;
  bool stopped_ = false;
};

} // namespace hub::sim
