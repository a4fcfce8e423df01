#pragma once

// A token bucket: `rate` tokens a second, at most `burst` saved up. One per connection, used
// only on its session's strand (not thread-safe).

#include <algorithm>
#include <chrono>

namespace hub::gateway {

class rate_limiter {
public:
  using clock = std::chrono::steady_clock;

  /// A full bucket at `now`.
  rate_limiter(double rate, double burst, clock::time_point now = clock::now())
    : rate_(rate)
    , burst_(std::max(burst, 1.0))
    , tokens_(burst_)
    , last_(now) {
    // nop
  }

  /// Takes one token if there is one at `now`. Returns false (and takes nothing) otherwise.
  bool try_take(clock::time_point now = clock::now()) {
    if (now > last_) {
      std::chrono::duration<double> elapsed = now - last_;
      tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_);
      last_ = now;
    }
    if (tokens_ < 1.0)
      return false;
    tokens_ -= 1.0;
    return true;
  }

private:
  double rate_;
  double burst_;
  double tokens_;
  clock::time_point last_;
};

} // namespace hub::gateway
