#pragma once

// A condition the main thread waits for, signalled from scheduler threads (sinks, listeners).
// Signalling is cheap: the waiter re-checks its predicate, so callers change atomics first and
// then call notify() only on the transitions that matter.

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace hub::bench {

class waiter {
public:
  void notify() {
    std::lock_guard<std::mutex> guard{mutex_};
    cv_.notify_all();
  }

  /// Waits until `done()`; gives up (and exits the process) after `limit`, naming `what`.
  template <class Pred>
  void wait(Pred done, const char* what, std::chrono::seconds limit = std::chrono::seconds(120)) {
    std::unique_lock<std::mutex> lock{mutex_};
    if (!cv_.wait_for(lock, limit, done)) {
      std::fprintf(stderr, "hub-bench: gave up waiting for %s after %lld s\n", what,
                   static_cast<long long>(limit.count()));
      std::exit(3);
    }
  }

  /// Waits up to `step` for `done()`; returns done(). For progress lines during long waits.
  template <class Pred>
  bool wait_for(Pred done, std::chrono::milliseconds step) {
    std::unique_lock<std::mutex> lock{mutex_};
    return cv_.wait_for(lock, step, done);
  }

private:
  std::mutex mutex_;
  std::condition_variable cv_;
};

} // namespace hub::bench
