#pragma once

// Work that units do at a bounded rate (figure flushes, directive tallies) without a timer per
// unit. CAF 0.17's actor clock takes a mutex and signals a condition variable for every
// delayed_send, which made the per-unit timers of a city-wide fan-out a third of its cost.
// Instead a unit marks itself due on a tick_schedule, and the schedule's one ticker actor
// sends each due unit its message when the next tick fires.
//
// Contract: ticks are at least `interval` apart and a timer is armed only while some unit is
// due (an idle city has none). A unit marks itself at most once until its message arrives (it
// keeps a pending flag), so it gets at most one message per interval, at most `interval`
// after it marked itself. Time is the actor system's clock, so CAF's test coordinator fires
// ticks with advance_time like any other timeout.
//
// No tick fires before `start`: the city calls it once its directory is complete, so the
// ticker never reads the directory while it is still being filled (units spawned first may
// mark themselves while later ones are spawned; their marks wait for `start`).
//
// The flush schedule's ticker also keeps the city's figures (figures.hpp): each tick starts a
// wave, in which every due unit is sent `flush` with the wave's number and answers with its
// own counters (figures_report); when the last answer of the wave is in (or the next tick
// comes first), every unit whose subtree total changed publishes one aggregate. So a change
// anywhere reaches every level's watchers within one interval, and each unit's aggregate goes
// out at most once per interval.

#include <caf/all.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace hub::actors {

struct city_context;

class tick_schedule : public std::enable_shared_from_this<tick_schedule> {
public:
  enum class message : std::uint8_t { flush, tally }; // what a due unit is sent

  /// Spawns the ticker; it reaches the units through `ctx`'s directory.
  static std::shared_ptr<tick_schedule> make(caf::actor_system& sys,
                                             std::chrono::milliseconds interval, message what,
                                             std::weak_ptr<const city_context> ctx);
  ~tick_schedule();

  tick_schedule(const tick_schedule&) = delete;
  tick_schedule& operator=(const tick_schedule&) = delete;

  /// Unit `index` (into the directory) wants its message at the next tick. Thread-safe,
  /// never blocks beyond a short lock.
  void mark(std::uint32_t index);

  /// Lets ticks fire; the marks made before it are due at the first. Call once, after the
  /// directory is complete.
  void start();

  /// The units due now; the next mark arms a new tick. For the ticker.
  std::vector<std::uint32_t> take();

  std::chrono::milliseconds interval() const { return interval_; }
  message what() const { return what_; }
  /// The ticker actor; a unit answers a flush to it (figures_report).
  const caf::actor& ticker_actor() const { return ticker_; }

private:
  tick_schedule(std::chrono::milliseconds interval, message what);

  const std::chrono::milliseconds interval_;
  const message what_;
  std::mutex mutex_;
  std::vector<std::uint32_t> due_;
  bool armed_ = true; // a tick is pending (or about to be armed); until start, marks wait
  caf::actor ticker_;
};

} // namespace hub::actors
