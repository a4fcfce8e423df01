#pragma once

// Accepts TCP connections (Beast chat-multi's listener) and gives each an http_session on the
// next lane in turn: a connection stays on its lane (its thread) for its whole life.

#include "gateway/lane.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>

#include <memory>
#include <vector>

namespace hub::gateway {

class server_state;

class listener : public std::enable_shared_from_this<listener> {
  std::vector<lane*> lanes_; // connections go round these; the acceptor is on the first
  std::size_t next_ = 0;     // the lane of the next connection
  boost::asio::basic_socket_acceptor<boost::asio::ip::tcp, lane::executor_type> acceptor_;
  std::shared_ptr<server_state> state_;

public:
  /// Opens, binds and listens on `endpoint`. Throws std::system_error ("bind 127.0.0.1:8080:
  /// Address already in use") when it cannot. `lanes` is not empty and outlives the listener's
  /// work (the server stops them after the listener).
  listener(std::vector<lane*> lanes, boost::asio::ip::tcp::endpoint endpoint,
           std::shared_ptr<server_state> state);

  /// The bound address (the real port when asked for port 0).
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  /// Starts accepting.
  void run();

  /// Stops accepting (posts the acceptor's close). Thread-safe.
  void stop();

private:
  void do_accept();
  void on_accept(boost::beast::error_code ec, lane::socket socket);
};

} // namespace hub::gateway
