#pragma once

// A clock for the actor system that stands still until the benchmark moves it (hub-bench
// --only year): the city's time is the actor system's clock (actors/unit_actor.hpp,
// wall_clock), so with this clock a simulated day passes as fast as its work is done, and
// every timer (deadlines, retention, the figure and tally ticks) fires when the clock is moved
// past it, in order, on the real threaded scheduler. CAF 0.17 takes a scheduler from a module
// factory of the config before its own (actor_system's constructor), so `install` swaps in a
// work-sharing coordinator (`hub serve`'s policy) whose clock() is this one; the coordinator's
// own timer thread then idles.

#include <caf/actor_system_config.hpp>
#include <caf/detail/thread_safe_actor_clock.hpp>

#include <atomic>
#include <mutex>

namespace hub::bench {

class manual_clock final : public caf::detail::thread_safe_actor_clock {
public:
  manual_clock();

  /// The clock's time: where the last advance_to left it.
  time_point now() const noexcept override;

  /// Moves the clock to `t` (never back) and delivers every timer and delayed message due by
  /// then, earliest first, before it returns.
  void advance_to(time_point t);

  // Every way in takes the lock and does what the base (single-threaded) clock does at once.
  void set_ordinary_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type,
                            uint64_t id) override;
  void set_multi_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type,
                         uint64_t id) override;
  void set_request_timeout(time_point t, caf::abstract_actor* self, caf::message_id id) override;
  void cancel_ordinary_timeout(caf::abstract_actor* self, caf::atom_value type) override;
  void cancel_request_timeout(caf::abstract_actor* self, caf::message_id id) override;
  void cancel_timeouts(caf::abstract_actor* self) override;
  void schedule_message(time_point t, caf::strong_actor_ptr receiver,
                        caf::mailbox_element_ptr content) override;
  void schedule_message(time_point t, caf::group target, caf::strong_actor_ptr sender,
                        caf::message content) override;
  void cancel_all() override;

private:
  std::mutex mutex_;
  std::atomic<duration_type::rep> now_; // since the clock's epoch
};

/// Makes the actor system built from `cfg` run on a work-sharing scheduler with a
/// manual_clock (reach it as `static_cast<manual_clock&>(sys.clock())`).
void install_manual_clock(caf::actor_system_config& cfg);

} // namespace hub::bench
