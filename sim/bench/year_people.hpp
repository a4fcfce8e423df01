#pragma once
// The city's people for hub-bench's year (sim/bench/README.md, "A year in minutes"): one
// in-process client that reports cases at random grids through the day and walks each through
// one of the hub-sim scenario's lives, issues the daily directive, and signs and completes it
// at every grid. It keeps only what is on its way, so the process's memory is the city's.

#include "actors/city.hpp"
#include "protocol/hierarchy.hpp"
#include "sim/bench/bench_common.hpp"

#include <array>
#include <cstdint>
#include <memory>

namespace hub::bench {

// The simulated calendar: Beijing time (UTC+8), from 2026-01-01.
constexpr std::int64_t minute_ms = 60'000;
constexpr std::int64_t day_ms = 24 * 60 * minute_ms;
constexpr protocol::timestamp_ms year_start = 1'767'196'800'000; // 2026-01-01 00:00 (UTC+8)
constexpr std::array<int, 12> month_days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

/// The driver. Its answers and events arrive on the city's threads; the other calls come from
/// one thread (the benchmark's).
class year_people : public actors::client_sink {
public:
  /// `o`: cases a day and the counties the daily directive addresses; `seed`: the draws.
  static std::shared_ptr<year_people> make(actors::city& c, const protocol::hierarchy& h,
                                           const cast& who, const options& o, std::uint64_t seed);

  /// Subscribes to the city's events (directive arrivals); returns once it is acknowledged.
  virtual void watch_city() = 0;

  /// Runs simulated time from `from` to `to` (wall ms): the reports and the directive due in
  /// it, and every step due by `to`; returns once each was answered.
  virtual void run_slice(protocol::timestamp_ms from, protocol::timestamp_ms to) = 0;

  virtual std::uint64_t reported() const = 0;
  virtual std::uint64_t refused() const = 0;
  virtual std::uint64_t closed() const = 0;
  virtual std::uint64_t receipts() const = 0;
  /// Cases on their way (reported, not yet closed).
  virtual std::size_t in_walks() = 0;
};

} // namespace hub::bench
