#pragma once

// What every session of one server shares (Beast chat-multi's shared_state): the city, the
// settings, the counters, the static files, and the registry of open WebSocket sessions that
// graceful shutdown walks. Thread-safe.

#include "actors/city_port.hpp"
#include "gateway/config.hpp"
#include "gateway/metrics.hpp"
#include "gateway/rate_limiter.hpp"
#include "gateway/static_files.hpp"

#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace hub::gateway {

class websocket_session;
class http_session;

/// An HTTP session kept alive while it waits for the city's answer (an Open311 post): held by
/// the answer's callback, and let go of either by the answer or by the server's stop, whichever
/// comes first. So an answer that comes after stop() is dropped instead of being posted to a
/// lane that no longer runs (the WebSocket sessions' detachable sink, for HTTP).
class held_session {
public:
  explicit held_session(std::shared_ptr<http_session> s)
    : s_(std::move(s)) {}
  /// Calls `f(session)` under the lock unless released; then lets go. Once.
  template <class F>
  void answer(F&& f) {
    std::lock_guard<std::mutex> guard{mutex_};
    if (s_)
      f(std::move(s_));
    s_.reset();
  }
  /// Lets go of the session (the answer finds nothing); waits for an answer in progress.
  void release() {
    std::shared_ptr<http_session> s;
    std::lock_guard<std::mutex> guard{mutex_};
    s = std::move(s_);
  }

private:
  std::mutex mutex_;
  std::shared_ptr<http_session> s_;
};

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

  // -- limits shared across connections (thread-safe) --------------------------------------

  /// Every person's bucket, across all of their connections (cfg.person_rate, person_burst).
  keyed_limiter<protocol::person_id>& person_limits() { return person_limits_; }
  /// Failed upgrades by client address (cfg.failed_upgrade_rate, failed_upgrade_burst); the
  /// key is address_key().
  keyed_limiter<std::string>& failed_upgrades() { return failed_upgrades_; }
  /// An IPv4 address, or the /64 an IPv6 address is in (one host usually has a whole /64).
  static std::string address_key(const boost::asio::ip::address& a);

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

  /// Holds an HTTP session until the city answers it (see held_session).
  std::shared_ptr<held_session> hold(std::shared_ptr<http_session> s);
  /// Lets go of every held session: their answers are dropped. Before the lanes stop.
  void release_held();

private:
  std::vector<std::shared_ptr<websocket_session>> open_sessions_locked() const;

  actors::city_port& city_;
  const config cfg_;
  metrics metrics_;
  const static_files files_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  keyed_limiter<protocol::person_id> person_limits_;
  keyed_limiter<std::string> failed_upgrades_;

  mutable std::mutex mutex_;
  std::condition_variable emptied_;
  bool stopping_ = false;
  std::unordered_map<const websocket_session*, std::weak_ptr<websocket_session>> sessions_;
  std::vector<std::weak_ptr<held_session>> held_; // mutex_; the expired pruned as it grows
};

} // namespace hub::gateway
