#include "gateway/session_sink.hpp"

#include "gateway/lane.hpp"

namespace hub::gateway {

session_sink::session_sink(std::weak_ptr<websocket_session> session, lane& on,
                           std::size_t replay_chunk)
  : session_(std::move(session))
  , lane_(on)
  , replay_chunk_(replay_chunk) {
  // nop
}

void session_sink::replay_paused(protocol::unit_code topic) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (auto s = session_.lock())
    lane_.deliver_paused(std::move(s), topic);
}

void session_sink::send(actors::outbound_ptr msg) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (auto s = session_.lock())
    lane_.deliver(std::move(s), std::move(msg));
}

void session_sink::detach() {
  std::lock_guard<std::mutex> guard{mutex_};
  session_.reset();
}

} // namespace hub::gateway
