#include "gateway/session_sink.hpp"

#include "gateway/websocket_session.hpp"

namespace hub::gateway {

session_sink::session_sink(std::weak_ptr<websocket_session> session)
  : session_(std::move(session)) {
  // nop
}

void session_sink::send(actors::outbound_ptr msg) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (auto s = session_.lock())
    s->send(std::move(msg)); // the posted handler holds its own reference: `s` is not the last
}

void session_sink::detach() {
  std::lock_guard<std::mutex> guard{mutex_};
  session_.reset();
}

} // namespace hub::gateway
