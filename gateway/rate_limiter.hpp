#pragma once

// Token buckets: `rate_limiter` is one bucket (one per connection, used only on its session's
// lane: not thread-safe); `keyed_limiter` is a bucket per key (a person across all of their
// connections, a client address), shared by every lane (thread-safe).

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <functional>
#include <iterator>
#include <mutex>
#include <unordered_map>

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
    refill(now);
    if (tokens_ < 1.0)
      return false;
    tokens_ -= 1.0;
    return true;
  }

  /// Puts back the token just taken (the frame was refused by another bucket).
  void give_back() { tokens_ = std::min(burst_, tokens_ + 1.0); }

  /// True when a token is there at `now` (takes none).
  bool has_token(clock::time_point now) {
    refill(now);
    return tokens_ >= 1.0;
  }

  /// True when the bucket is full again at `now`: it holds nothing worth remembering.
  bool full(clock::time_point now) {
    refill(now);
    return tokens_ >= burst_;
  }

  /// Whole seconds until a token is there (0 when one is), at least 1 otherwise.
  long long seconds_to_token(clock::time_point now) {
    refill(now);
    if (tokens_ >= 1.0)
      return 0;
    if (rate_ <= 0)
      return 3600;
    return std::max(1LL, static_cast<long long>(std::ceil((1.0 - tokens_) / rate_)));
  }

private:
  void refill(clock::time_point now) {
    if (now > last_) {
      std::chrono::duration<double> elapsed = now - last_;
      tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_);
      last_ = now;
    }
  }

  double rate_;
  double burst_;
  double tokens_;
  clock::time_point last_;
};

/// A bucket per key, each as rate_limiter, created full on first use. Thread-safe: the table
/// is split in shards, each with its own lock, so two lanes rarely wait for each other. A
/// bucket that is full again is forgotten (it would be created the same), so the table holds
/// only the keys that spent tokens lately.
template <class Key, class Hash = std::hash<Key>>
class keyed_limiter {
public:
  using clock = rate_limiter::clock;

  keyed_limiter(double rate, double burst)
    : rate_(rate)
    , burst_(burst) {}

  /// Takes a token of `key`'s bucket if there is one.
  bool try_take(const Key& key, clock::time_point now = clock::now()) {
    return with(key, now, [&](rate_limiter& b) { return b.try_take(now); });
  }
  /// True when `key`'s bucket has a token (takes none).
  bool has_token(const Key& key, clock::time_point now = clock::now()) {
    auto& s = shard_of(key);
    std::lock_guard<std::mutex> guard{s.mutex};
    auto i = s.buckets.find(key);
    return i == s.buckets.end() || i->second.has_token(now);
  }
  /// Whole seconds until `key` has a token again (0: it has one).
  long long seconds_to_token(const Key& key, clock::time_point now = clock::now()) {
    auto& s = shard_of(key);
    std::lock_guard<std::mutex> guard{s.mutex};
    auto i = s.buckets.find(key);
    return i == s.buckets.end() ? 0 : i->second.seconds_to_token(now);
  }
  /// Keys remembered (for tests).
  std::size_t size() {
    std::size_t n = 0;
    for (auto& s : shards_) {
      std::lock_guard<std::mutex> guard{s.mutex};
      n += s.buckets.size();
    }
    return n;
  }

private:
  static constexpr std::size_t shard_count = 16;
  struct shard {
    std::mutex mutex;
    std::unordered_map<Key, rate_limiter, Hash> buckets;
    std::size_t sweep_at = 64; // sweep full buckets when the shard grows to this
  };

  shard& shard_of(const Key& key) { return shards_[Hash{}(key) % shard_count]; }

  template <class F>
  bool with(const Key& key, clock::time_point now, F f) {
    auto& s = shard_of(key);
    std::lock_guard<std::mutex> guard{s.mutex};
    auto i = s.buckets.find(key);
    if (i == s.buckets.end()) {
      if (s.buckets.size() >= s.sweep_at) {
        // Amortised: at most once per doubling of the shard.
        for (auto b = s.buckets.begin(); b != s.buckets.end();)
          b = b->second.full(now) ? s.buckets.erase(b) : std::next(b);
        s.sweep_at = std::max<std::size_t>(64, 2 * s.buckets.size());
      }
      i = s.buckets.emplace(key, rate_limiter{rate_, burst_, now}).first;
    }
    return f(i->second);
  }

  const double rate_;
  const double burst_;
  std::array<shard, shard_count> shards_;
};

} // namespace hub::gateway
