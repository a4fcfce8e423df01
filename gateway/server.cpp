#include "gateway/server.hpp"

#include "gateway/listener.hpp"
#include "gateway/server_state.hpp"
#include "gateway/websocket_session.hpp"

#include <algorithm>

namespace hub::gateway {

namespace net = boost::asio;

server::server(actors::city& city, config cfg)
  : ioc_(static_cast<int>(std::max<std::size_t>(cfg.io_threads, 1)))
  , state_(std::make_shared<server_state>(city, std::move(cfg))) {
  // nop
}

server::~server() { stop(); }

std::uint16_t server::start() {
  if (started_)
    return port_;
  const auto& cfg = state_->cfg();
  auto address = net::ip::make_address(cfg.address);
  listener_ = std::make_shared<listener>(ioc_, net::ip::tcp::endpoint{address, cfg.port}, state_);
  port_ = listener_->local_endpoint().port();
  listener_->run();
  started_ = true;
  auto n = std::max<std::size_t>(cfg.io_threads, 1);
  threads_.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    threads_.emplace_back([this] { ioc_.run(); });
  return port_;
}

void server::stop() {
  if (!started_ || stopped_)
    return;
  stopped_ = true;
  listener_->stop();
  for (auto& s : state_->stop_accepting())
    s->shutdown();
  state_->wait_empty(std::chrono::steady_clock::now() + state_->cfg().drain_timeout);
  // Whoever did not finish in time hears nothing more from the city: no handler may be
  // posted into the io_context once it stops.
  for (auto& s : state_->open_sessions())
    s->abandon();
  ioc_.stop();
  for (auto& t : threads_)
    t.join();
  threads_.clear();
}

std::size_t server::sessions() const { return state_->sessions(); }

metrics& server::stats() { return state_->stats(); }

} // namespace hub::gateway
