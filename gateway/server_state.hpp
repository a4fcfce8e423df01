#pragma once

// What every session of one server shares (Beast chat-multi's shared_state): the city, the
// settings, the counters, the static files, and the registry of open WebSocket sessions that
// graceful shutdown walks. Thread-safe.

#include "actors/city_port.hpp"
#include "gateway/config.hpp"
#include "gateway/metrics.hpp"
#include "gateway/static_files.hpp"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace hub::gateway {

class websocket_session;

class server_state {
public:
  server_state(actors::city_port& city, config cfg);

  server_state(const server_state&) = delete;
  server_state& operator=(const server_state&) = delete;

  // -- shared, read-only after construction -----------------------------------------------

  actors::city_port& city() { return city_; }
  const config& cfg() const { return cfg_; }
  metrics& stats() { return metrics_; }
  const static_files& files() const { return files_; }
  double uptime_seconds() const;
  /// The gauges /metrics reads from outside the gateway.
  metrics::snapshot snapshot() const;

  // -- the registry of open sessions --------------------------------------------------------

  /// Registers a session (from its handshake on). A session that joins while the server is
  /// stopping closes itself once its handshake is done (it checks stopping()).
  void join(const std::shared_ptr<websocket_session>& s);
  /// Unregisters `s`; does nothing if it was not registered.
  void leave(const websocket_session* s);
  /// Number of registered sessions.
  std::size_t sessions() const;
  /// The registered sessions that are still alive.
  std::vector<std::shared_ptr<websocket_session>> open_sessions() const;
  /// Marks the server stopping. Returns the registered sessions.
  std::vector<std::shared_ptr<websocket_session>> stop_accepting();
  bool stopping() const;
  /// Blocks until no session is registered or `deadline` passes; true when none is.
  bool wait_empty(std::chrono::steady_clock::time_point deadline);

private:
  std::vector<std::shared_ptr<websocket_session>> open_sessions_locked() const;

  actors::city_port& city_;
  const config cfg_;
  metrics metrics_;
  const static_files files_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();

  mutable std::mutex mutex_;
  std::condition_variable emptied_;
  bool stopping_ = false;
  std::unordered_map<const websocket_session*, std::weak_ptr<websocket_session>> sessions_;
};

} // namespace hub::gateway
