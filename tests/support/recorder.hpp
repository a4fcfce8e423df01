#pragma once

// Client sinks that stand in for a connection: the city sends them what it would send a
// client (replies, events, aggregates), on whatever thread delivers it, and a test reads what
// arrived. `waiting_recorder` can also wait for a condition on what arrived, on a condition
// variable: tests never sleep.

#include "actors/bus.hpp"
#include "tests/support/limits.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <variant>
#include <vector>

namespace hub::testing {

/// Records everything the hub sends to one client, in arrival order. Thread-safe.
class recorder : public actors::client_sink {
public:
  void send(actors::outbound_ptr msg) override;

  /// Every message received so far.
  std::vector<protocol::server_message> all() const;
  /// Every message of type T received so far.
  template <class T>
  std::vector<T> all() const {
    std::lock_guard<std::mutex> guard{mutex_};
    std::vector<T> out;
    for (auto& m : all_)
      if (auto* t = std::get_if<T>(&m))
        out.push_back(*t);
    return out;
  }
  /// The reply (ack or error) to request `id`, if it arrived.
  std::optional<protocol::server_message> reply_to(std::uint64_t id) const;
  /// Forgets what arrived.
  void clear();

protected:
  /// The first reply to `id` in `messages`.
  static std::optional<protocol::server_message>
  find_reply(const std::vector<protocol::server_message>& messages, std::uint64_t id);

  mutable std::mutex mutex_;
  std::vector<protocol::server_message> all_; // guarded by mutex_
};

/// A recorder a test can wait on: for a number of messages, for the reply to a request, or for
/// any condition on what arrived.
class waiting_recorder : public recorder {
public:
  /// If set, runs in send() for each reply (ack or error) before it is recorded, on the thread
  /// that delivers it: a test can look at the world at the moment of the reply (an ack must
  /// not come before its change is stored). Set it while nothing is delivered to this sink.
  std::function<void(const protocol::server_message&)> on_reply;

  void send(actors::outbound_ptr msg) override;

  /// Waits until `done(all messages so far)` holds, or `timeout` passed; whether it holds.
  /// `done` runs under the recorder's lock: it must not call the recorder.
  bool wait_until(const std::function<bool(const std::vector<protocol::server_message>&)>& done,
                  std::chrono::milliseconds timeout = patience) const;
  /// Waits until `n` messages arrived in total; false on timeout.
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout = patience) const;

  using recorder::reply_to;
  /// The reply (ack or error) to request `id`, waiting up to `timeout` for it.
  std::optional<protocol::server_message> reply_to(std::uint64_t id,
                                                   std::chrono::milliseconds timeout) const;

private:
  mutable std::condition_variable arrived_;
};

} // namespace hub::testing
