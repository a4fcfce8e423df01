#pragma once

// Reports cases spread over every grid (case n at grid n mod 18,100, short titles), with at
// most `window` in flight: each ack submits the next, so mailboxes stay small. Used to fill a
// city (memory, queries).

#include "sim/bench/bench_common.hpp"
#include "sim/bench/bench_wait.hpp"

#include <atomic>
#include <mutex>
#include <string>

namespace hub::bench {

class reporter : public actors::client_sink, public std::enable_shared_from_this<reporter> {
public:
  reporter(actors::city& c, const cast& people)
    : city_(c)
    , people_(people) {}

  /// Reports cases until `limit` are acked in all, with at most `window` in flight.
  void run_until(std::uint64_t limit, std::uint64_t window) {
    limit_ = limit;
    for (std::uint64_t i = 0; i < window; ++i)
      if (!next())
        break;
  }

  void send(actors::outbound_ptr out) override {
    const auto& msg = out->message();
    if (auto* e = std::get_if<protocol::error>(&msg)) {
      errors_.fetch_add(1);
      std::lock_guard<std::mutex> guard{mutex_};
      if (first_error_.empty())
        first_error_ = std::string(protocol::to_string(e->code)) + ": " + e->message;
    } else if (!std::holds_alternative<protocol::ack>(msg)) {
      return;
    }
    done_.fetch_add(1);
    t_last_ = now_ns();
    if (!next() || done_.load() >= limit_.load())
      signal.notify();
  }

  std::uint64_t done() const { return done_.load(); }
  std::uint64_t errors() const { return errors_.load(); }
  std::int64_t t_last() const { return t_last_.load(); }
  std::string first_error() {
    std::lock_guard<std::mutex> guard{mutex_};
    return first_error_;
  }
  waiter signal;

private:
  /// Claims and submits the next report; false when the limit is reached.
  bool next() {
    auto k = next_.load();
    do {
      if (k >= limit_.load())
        return false;
    } while (!next_.compare_exchange_weak(k, k + 1));
    submit(k);
    return true;
  }

  void submit(std::uint64_t n) {
    const auto g = n % people_.grids.size();
    protocol::case_report r;
    r.unit = people_.worker[g].unit;
    r.category = people_.category;
    r.title = "井盖缺失"; // 12 bytes: short, held inline (SSO)
    city_.submit(people_.worker[g], {n + 1, std::move(r)}, shared_from_this());
  }

  actors::city& city_;
  const cast& people_;
  std::atomic<std::uint64_t> limit_{0};
  std::atomic<std::uint64_t> next_{0};
  std::atomic<std::uint64_t> done_{0};
  std::atomic<std::uint64_t> errors_{0};
  std::atomic<std::int64_t> t_last_{0};
  std::mutex mutex_;
  std::string first_error_;
};

} // namespace hub::bench
