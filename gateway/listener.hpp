#pragma once

// Accepts TCP connections (Beast chat-multi's listener) and gives each an http_session on its
// own strand.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>

#include <memory>

namespace hub::gateway {

class server_state;

class listener : public std::enable_shared_from_this<listener> {
  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<server_state> state_;

public:
  /// Opens, binds and listens on `endpoint`. Throws std::system_error ("bind 127.0.0.1:8080:
  /// Address already in use") when it cannot.
  listener(boost::asio::io_context& ioc, boost::asio::ip::tcp::endpoint endpoint,
           std::shared_ptr<server_state> state);

  /// The bound address (the real port when asked for port 0).
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  /// Starts accepting.
  void run();

  /// Stops accepting (posts the acceptor's close). Thread-safe.
  void stop();

private:
  void do_accept();
  void on_accept(boost::beast::error_code ec, boost::asio::ip::tcp::socket socket);
};

} // namespace hub::gateway
