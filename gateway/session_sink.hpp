#pragma once

// The client_sink a WebSocket session hands to the city and the bus. It holds the session
// weakly and can be detached: the city keeps sinks in messages and subscriptions for as long
// as it likes, but once a session has finished (or the server is stopping) nothing reaches
// it, and nothing posts into an io_context that is about to be destroyed. `send` never blocks
// beyond a short lock and never calls back into the bus.

#include "actors/bus.hpp"

#include <memory>
#include <mutex>

namespace hub::gateway {

class websocket_session;

class session_sink final : public actors::client_sink {
public:
  explicit session_sink(std::weak_ptr<websocket_session> session);

  /// Posts `msg` to the session's strand, or drops it when detached or the session is gone.
  void send(actors::outbound_ptr msg) override;

  /// From now on send() drops everything. Waits for a send() in progress to finish.
  void detach();

private:
  std::mutex mutex_;
  std::weak_ptr<websocket_session> session_;
};

} // namespace hub::gateway
