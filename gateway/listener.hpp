#pragma once

// Accepts TCP connections (Beast chat-multi's listener) and gives each an http_session on the
// next lane in turn: a connection stays on its lane (its thread) for its whole life.
//
// Out of descriptors (EMFILE, ENFILE, ENOBUFS, ENOMEM) the listener pauses accepting, 100 ms
// doubling to 1 s while it lasts, instead of trying again at once: the connection that could
// not be taken stays in the kernel's backlog, so an immediate retry fails the same way and
// spins a core. Failures are counted (hub_accept_errors_total) and logged at most once a
// second; the connections already open are served throughout.

#include "gateway/lane.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>

#include <chrono>
#include <memory>
#include <vector>

namespace hub::gateway {

class server_state;

/// A TCP socket bound and listening, not yet accepting. `hub serve` takes its port before it
/// takes anything else over (the store's writer epoch), so that a hub that cannot serve never
/// fences the one that does; connections that arrive meanwhile wait in the backlog.
class listening_socket {
public:
  /// Opens, binds (SO_REUSEADDR) and listens on `at`. Throws std::system_error ("bind
  /// 127.0.0.1:8080: Address already in use") when it cannot.
  explicit listening_socket(const boost::asio::ip::tcp::endpoint& at);
  /// Closes the socket unless a listener adopted it.
  ~listening_socket();
  listening_socket(listening_socket&& other) noexcept;
  listening_socket& operator=(listening_socket&&) = delete;
  listening_socket(const listening_socket&) = delete;

  /// The bound address (the real port when asked for port 0).
  const boost::asio::ip::tcp::endpoint& local_endpoint() const { return bound_; }

  /// Hands the descriptor over; the socket no longer owns it.
  int release();

private:
  int fd_ = -1;
  boost::asio::ip::tcp::endpoint bound_;
};

class listener : public std::enable_shared_from_this<listener> {
  using clock = std::chrono::steady_clock;

  std::vector<lane*> lanes_; // connections go round these; the acceptor is on the first
  std::size_t next_ = 0;     // the lane of the next connection
  boost::asio::basic_socket_acceptor<boost::asio::ip::tcp, lane::executor_type> acceptor_;
  boost::asio::basic_waitable_timer<clock, boost::asio::wait_traits<clock>, lane::executor_type>
      pause_;
  std::chrono::milliseconds backoff_{0}; // the current pause; 0 while accepts succeed
  std::shared_ptr<server_state> state_;
  clock::time_point last_report_{}; // the last line logged about accept failures
  std::uint64_t unreported_ = 0;    // failures since that line

public:
  /// Adopts `socket`. `lanes` is not empty and outlives the listener's work (the server stops
  /// them after the listener).
  listener(std::vector<lane*> lanes, listening_socket socket, std::shared_ptr<server_state> state);

  /// The bound address (the real port when asked for port 0).
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  /// Starts accepting.
  void run();

  /// Stops accepting (posts the acceptor's close). Thread-safe.
  void stop();

private:
  void do_accept();
  void on_accept(boost::beast::error_code ec, lane::socket socket);
  /// Counts a failed accept, and logs it unless a line was logged less than a second ago.
  void report(const boost::beast::error_code& ec, bool paused);
};

} // namespace hub::gateway
