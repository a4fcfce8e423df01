#include "gateway/listener.hpp"

#include "gateway/http_session.hpp"
#include "gateway/server_state.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <system_error>
#include <utility>

namespace hub::gateway {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr std::chrono::milliseconds first_pause{100};
constexpr std::chrono::milliseconds longest_pause{1000};
constexpr std::chrono::seconds report_every{1};

/// The process or the system is out of descriptors or socket memory: the connection stays in
/// the backlog, and accepting again at once fails the same way.
bool out_of_descriptors(const beast::error_code& ec) {
  return ec == net::error::no_descriptors || ec == net::error::no_buffer_space ||
         ec == net::error::no_memory ||
         ec == beast::error_code(ENFILE, boost::system::system_category());
}

} // namespace

// -- listening_socket ---------------------------------------------------------------------------

listening_socket::listening_socket(const tcp::endpoint& at) {
  // A private io_context only to use Asio's calls (and their error texts); the descriptor is
  // released from it before it goes.
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  auto where = at.address().to_string() + ":" + std::to_string(at.port());
  beast::error_code ec;
  auto check = [&](const char* what) {
    if (ec)
      throw std::system_error(ec, std::string(what) + " " + where);
  };
  acceptor.open(at.protocol(), ec);
  check("open");
  acceptor.set_option(net::socket_base::reuse_address(true), ec);
  check("set_option");
  acceptor.bind(at, ec);
  check("bind");
  acceptor.listen(net::socket_base::max_listen_connections, ec);
  check("listen");
  bound_ = acceptor.local_endpoint(ec);
  check("getsockname");
  fd_ = acceptor.release(ec);
  check("release");
}

listening_socket::~listening_socket() {
  if (fd_ >= 0)
    ::close(fd_);
}

listening_socket::listening_socket(listening_socket&& other) noexcept
  : fd_(std::exchange(other.fd_, -1))
  , bound_(other.bound_) {
  // nop
}

int listening_socket::release() { return std::exchange(fd_, -1); }

// -- listener -----------------------------------------------------------------------------------

listener::listener(std::vector<lane*> lanes, listening_socket socket,
                   std::shared_ptr<server_state> state)
  : lanes_(std::move(lanes))
  , acceptor_(lanes_.front()->get_executor())
  , pause_(lanes_.front()->get_executor())
  , state_(std::move(state)) {
  auto protocol = socket.local_endpoint().protocol();
  auto fd = socket.release();
  beast::error_code ec;
  acceptor_.assign(protocol, fd, ec);
  if (ec) {
    ::close(fd);
    throw std::system_error(ec, "listen");
  }
}

tcp::endpoint listener::local_endpoint() const { return acceptor_.local_endpoint(); }

void listener::run() { do_accept(); }

void listener::stop() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ec;
    self->acceptor_.close(ec);
    self->pause_.cancel();
  });
}

void listener::do_accept() {
  // Each connection lives on one lane: handlers of one session never run concurrently.
  acceptor_.async_accept(lanes_[next_]->context(),
                         beast::bind_front_handler(&listener::on_accept, shared_from_this()));
}

void listener::on_accept(beast::error_code ec, lane::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open())
    return; // stopped
  if (ec && out_of_descriptors(ec)) {
    // Wait for descriptors to free (connections closing) rather than spin on the backlog.
    backoff_ = backoff_.count() == 0 ? first_pause : std::min(backoff_ * 2, longest_pause);
    report(ec, true);
    pause_.expires_after(backoff_);
    pause_.async_wait([self = shared_from_this()](beast::error_code e) {
      if (!e && self->acceptor_.is_open())
        self->do_accept();
    });
    return;
  }
  if (ec) {
    report(ec, false); // one connection's trouble (reset before it was taken): go on
  } else {
    backoff_ = std::chrono::milliseconds{0};
    std::make_shared<http_session>(std::move(socket), *lanes_[next_], state_)->run();
  }
  next_ = (next_ + 1) % lanes_.size();
  do_accept();
}

void listener::report(const beast::error_code& ec, bool paused) {
  state_->stats().accept_error(paused);
  ++unreported_;
  auto now = clock::now();
  if (now - last_report_ < report_every)
    return;
  if (paused)
    std::fprintf(stderr,
                 "hub: accept: %s (%llu failed accepts since the last line); the connections "
                 "open are served, new ones wait: accepting again in %lld ms\n",
                 ec.message().c_str(), static_cast<unsigned long long>(unreported_),
                 static_cast<long long>(backoff_.count()));
  else
    std::fprintf(stderr, "hub: accept: %s (%llu failed accepts since the last line)\n",
                 ec.message().c_str(), static_cast<unsigned long long>(unreported_));
  last_report_ = now;
  unreported_ = 0;
}

} // namespace hub::gateway
