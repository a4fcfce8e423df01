#pragma once

// The client_sink a WebSocket session hands to the city and the bus. It holds the session
// weakly and can be detached: the city keeps sinks in messages and subscriptions for as long
// as it likes, but once a session has finished (or the server is stopping) nothing reaches
// it, and nothing is handed to a lane that is about to stop. `send` never blocks beyond two
// short locks (its own and the lane's inbox) and never calls back into the bus.

#include "actors/bus.hpp"

#include <memory>
#include <mutex>

namespace hub::gateway {

class lane;
class websocket_session;

class session_sink final : public actors::client_sink {
public:
  /// `on` is the session's lane; it outlives every send made before detach() returns.
  /// `replay_chunk`: events of a resume the session takes at a time (see actors::client_sink).
  session_sink(std::weak_ptr<websocket_session> session, lane& on, std::size_t replay_chunk);

  /// Hands `msg` to the session's lane, or drops it when detached or the session is gone.
  void send(actors::outbound_ptr msg) override;

  std::size_t replay_chunk() const override { return replay_chunk_; }
  /// Tells the session on its lane, after the chunk (or nothing when detached).
  void replay_paused(protocol::unit_code topic) override;

  /// From now on send() drops everything. Waits for a send() in progress to finish.
  void detach();

private:
  std::mutex mutex_;
  std::weak_ptr<websocket_session> session_;
  lane& lane_;
  const std::size_t replay_chunk_;
};

} // namespace hub::gateway
