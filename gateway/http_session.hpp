#pragma once

// One plain HTTP connection (Beast chat-multi's http_session): it answers GET /healthz,
// GET /metrics and static files, one request at a time with keep-alive, and hands a
// WebSocket upgrade that carries a valid token to a websocket_session (401 otherwise; 429
// while its address has failed too many). A request that cannot be read whole is answered
// once (400, 413, or 431 for headers over 8 KiB) and the connection closed, lingering to read
// what the client still sends so that the answer is not lost to a reset.

#include "gateway/lane.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <memory>
#include <optional>

namespace hub::gateway {

class server_state;

class http_session : public std::enable_shared_from_this<http_session> {
  using request = boost::beast::http::request<boost::beast::http::string_body>;
  using response = boost::beast::http::response<boost::beast::http::string_body>;

  lane& lane_;
  boost::beast::basic_stream<boost::asio::ip::tcp, lane::executor_type> stream_;
  boost::beast::flat_buffer buffer_;
  std::shared_ptr<server_state> state_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  response res_;             // the response being written
  bool linger_ = false;      // close by lingering (refuse) rather than at once
  std::size_t lingered_ = 0; // bytes discarded meanwhile

public:
  http_session(lane::socket&& socket, lane& on, std::shared_ptr<server_state> state);

  /// Starts reading requests.
  void run();

private:
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  /// Authenticates an upgrade; hands the socket over, or answers 401.
  void upgrade(request&& req);
  /// Hands a request under /open311/v2/ to the Open311 service; writes its answer.
  void open311(request&& req);
  /// Fills res_ for a plain request.
  void respond(const request& req);
  /// Answers `status` with `text` and closes (a request that could not be read).
  void refuse(boost::beast::http::status status, const char* text);
  void do_write();
  void on_write(bool close, boost::beast::error_code ec, std::size_t bytes);
  void do_close();
  /// After an answer to an unread request: reads and discards until the client closes, for
  /// a bounded time and number of bytes, then closes.
  void linger(boost::beast::error_code ec, std::size_t bytes);
  void fail(boost::beast::error_code ec, char const* what);
};

} // namespace hub::gateway
