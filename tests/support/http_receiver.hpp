#pragma once

// An HTTP server a test runs to receive what the hub sends out (the Open311 webhook's posts):
// on 127.0.0.1 at a given port, one connection at a time, every request's body kept. The first
// `refuse` requests are answered `refusal` (e.g. 503), the rest 200. Waits are bounded by
// `patience` and wake on a condition variable. (A port for it: free_port(), redis_server.hpp.)

#include "tests/support/limits.hpp"

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hub::testing {

class http_receiver {
public:
  explicit http_receiver(std::uint16_t port, std::size_t refuse = 0, int refusal = 503);
  ~http_receiver();
  http_receiver(const http_receiver&) = delete;
  http_receiver& operator=(const http_receiver&) = delete;

  /// The bodies of the requests answered 200, in arrival order.
  std::vector<std::string> bodies() const;
  /// Requests received, refused ones included.
  std::size_t requests() const;
  /// Waits until `done(bodies)` holds; false after `patience`.
  bool wait(const std::function<bool(const std::vector<std::string>&)>& done) const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace hub::testing
