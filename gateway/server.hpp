#pragma once

// The gateway as one object: its lanes (io threads, each with an io_context of its own), the
// listener, and the state the sessions share. `start` binds and runs; `stop` is the graceful
// shutdown (stop accepting, close(going_away) to every session once its queue drained, bounded
// wait). The city must outlive the server.

#include "gateway/config.hpp"
#include "gateway/metrics.hpp"

#include <cstdint>
#include <memory>
#include <vector>

namespace hub::actors {
class city_port;
}

namespace hub::gateway {

class lane;
class listener;
class listening_socket;
class server_state;

class server {
public:
  server(actors::city_port& city, config cfg);
  /// Stops (gracefully) if still running.
  ~server();

  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds, listens and starts the lanes (cfg.io_threads of them). Returns the bound port (the real
  /// one when the configuration asks for port 0). Throws std::system_error when it cannot bind.
  std::uint16_t start();
  /// The same on a socket bound beforehand (cfg.address and cfg.port are not used).
  std::uint16_t start(listening_socket socket);

  /// Graceful shutdown, at most about cfg.drain_timeout: stops accepting, asks every session
  /// to unsubscribe, drain its queued replies and close with going_away, waits, then stops
  /// the lanes. Blocks; idempotent; not to be called from a lane.
  void stop();

  std::uint16_t port() const { return port_; }
  /// Open WebSocket sessions.
  std::size_t sessions() const;
  metrics& stats();
  server_state& state() { return *state_; }

private:
  std::vector<std::unique_ptr<lane>> lanes_;
  std::shared_ptr<server_state> state_;
  std::shared_ptr<listener> listener_;
  std::uint16_t port_ = 0;
  bool started_ = false;
  bool stopped_ = false;
};

} // namespace hub::gateway
