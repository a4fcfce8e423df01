#pragma once

// A city_port that records what the gateway hands it and answers every request with an ack:
// for gateway tests where a real city is not the point (what reaches the city, as whom, and
// when a connection lets go of its subscriptions). No actors, no CAF.

#include "actors/city_port.hpp"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace hub::testing {

class recording_city final : public actors::city_port {
public:
  struct request {
    actors::principal who;
    protocol::client_message msg;
  };

  explicit recording_city(std::shared_ptr<const protocol::hierarchy> h)
    : h_(std::move(h)) {}

  const protocol::hierarchy& hierarchy() const override { return *h_; }

  void submit(const actors::principal& who, protocol::client_message msg,
              actors::sink_ptr reply_to) override {
    protocol::ack answer{msg.id, 0, 0, 0};
    std::vector<protocol::server_message> before;
    {
      std::lock_guard<std::mutex> guard{mutex_};
      before.swap(burst_);
      answer.seq = ++seq_;
      requests_.push_back({who, std::move(msg)});
      if (holding_) {
        held_.emplace_back(std::move(reply_to), answer);
        reply_to = nullptr;
      }
    }
    changed_.notify_all();
    // Called on the session's lane: what it sends here is handed over in one go after this.
    for (auto& m : before)
      if (reply_to)
        reply_to->send(std::make_shared<const actors::outbound>(std::move(m), 0));
    if (reply_to)
      actors::reply(reply_to, answer);
  }

  /// The next request is answered with `messages` (events, say), in order, before its ack: a
  /// burst that reaches the session's queue at once.
  void precede_next_reply(std::vector<protocol::server_message> messages) {
    std::lock_guard<std::mutex> guard{mutex_};
    burst_ = std::move(messages);
  }

  void replay_more(protocol::unit_code, const actors::client_sink*) override {}

  std::size_t disconnect(const actors::client_sink*) override {
    {
      std::lock_guard<std::mutex> guard{mutex_};
      ++disconnects_;
    }
    changed_.notify_all();
    return 0;
  }

  actors::city_gauges gauges() const override {
    std::lock_guard<std::mutex> guard{mutex_};
    return gauges_;
  }

  void set_gauges(actors::city_gauges g) {
    std::lock_guard<std::mutex> guard{mutex_};
    gauges_ = g;
  }

  std::vector<request> requests() const {
    std::lock_guard<std::mutex> guard{mutex_};
    return requests_;
  }

  /// From now on requests are recorded but not answered until answer_held().
  void hold_replies() {
    std::lock_guard<std::mutex> guard{mutex_};
    holding_ = true;
  }
  /// Answers the held requests (and lets go of their sinks); how many there were.
  std::size_t answer_held() {
    std::vector<std::pair<actors::sink_ptr, protocol::ack>> held;
    {
      std::lock_guard<std::mutex> guard{mutex_};
      held.swap(held_);
      holding_ = false;
    }
    for (auto& [to, answer] : held)
      actors::reply(to, answer);
    return held.size();
  }
  /// Waits until at least `n` requests were seen; false after `timeout`.
  bool wait_requests(std::size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock{mutex_};
    return changed_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
  }

  /// Waits until at least `n` disconnects were seen; false after `timeout`.
  bool wait_disconnects(std::size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock{mutex_};
    return changed_.wait_for(lock, timeout, [&] { return disconnects_ >= n; });
  }

  std::size_t disconnects() const {
    std::lock_guard<std::mutex> guard{mutex_};
    return disconnects_;
  }

private:
  std::shared_ptr<const protocol::hierarchy> h_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<request> requests_;
  std::size_t disconnects_ = 0;
  bool holding_ = false;
  std::vector<std::pair<actors::sink_ptr, protocol::ack>> held_;
  std::vector<protocol::server_message> burst_; // precede_next_reply's
  std::uint64_t seq_ = 0; // the ack's seq: 1, 2, ... in the order requests arrived
  actors::city_gauges gauges_;
};

} // namespace hub::testing
