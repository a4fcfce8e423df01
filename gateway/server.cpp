#include "gateway/server.hpp"

#include "gateway/lane.hpp"
#include "gateway/listener.hpp"
#include "gateway/server_state.hpp"
#include "gateway/websocket_session.hpp"

#include <algorithm>

namespace hub::gateway {

namespace net = boost::asio;

server::server(actors::city_port& city, config cfg)
  : state_(std::make_shared<server_state>(city, std::move(cfg))) {
  auto n = std::max<std::size_t>(state_->cfg().io_threads, 1);
  for (std::size_t i = 0; i < n; ++i)
    lanes_.push_back(std::make_unique<lane>());
}

server::~server() { stop(); }

std::uint16_t server::start() {
  if (started_)
    return port_;
  const auto& cfg = state_->cfg();
  return start(listening_socket{{net::ip::make_address(cfg.address), cfg.port}});
}

std::uint16_t server::start(listening_socket socket) {
  if (started_)
    return port_;
  std::vector<lane*> lanes;
  for (auto& l : lanes_)
    lanes.push_back(l.get());
  listener_ = std::make_shared<listener>(std::move(lanes), std::move(socket), state_);
  port_ = listener_->local_endpoint().port();
  listener_->run();
  started_ = true;
  for (auto& l : lanes_)
    l->start();
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
  // Whoever did not finish in time hears nothing more from the city: nothing may be handed
  // to a lane once it stops.
  for (auto& s : state_->open_sessions())
    s->abandon();
  state_->release_held(); // an Open311 post still waiting for the city is answered by no one
  for (auto& l : lanes_)
    l->stop();
}

std::size_t server::sessions() const { return state_->sessions(); }

metrics& server::stats() { return state_->stats(); }

} // namespace hub::gateway
