#include "gateway/listener.hpp"

#include "gateway/http_session.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>

#include <cstdio>
#include <system_error>

namespace hub::gateway {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

listener::listener(std::vector<lane*> lanes, tcp::endpoint endpoint,
                   std::shared_ptr<server_state> state)
  : lanes_(std::move(lanes))
  , acceptor_(lanes_.front()->get_executor())
  , state_(std::move(state)) {
  auto where = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  beast::error_code ec;
  auto check = [&](const char* what) {
    if (ec)
      throw std::system_error(ec, std::string(what) + " " + where);
  };
  acceptor_.open(endpoint.protocol(), ec);
  check("open");
  acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  check("set_option");
  acceptor_.bind(endpoint, ec);
  check("bind");
  acceptor_.listen(net::socket_base::max_listen_connections, ec);
  check("listen");
}

tcp::endpoint listener::local_endpoint() const { return acceptor_.local_endpoint(); }

void listener::run() { do_accept(); }

void listener::stop() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ec;
    self->acceptor_.close(ec);
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
  if (ec)
    std::fprintf(stderr, "hub: accept: %s\n", ec.message().c_str());
  else
    std::make_shared<http_session>(std::move(socket), *lanes_[next_], state_)->run();
  next_ = (next_ + 1) % lanes_.size();
  do_accept();
}

} // namespace hub::gateway
