// The tick schedules (actors/ticker.hpp): no tick fires before the city's directory is
// complete, and what units marked while it was being filled is kept for the first tick.

#include "actors/ticker.hpp"
#include "actors/unit_actor.hpp"
#include "tests/support/small_city.hpp"

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>

namespace hub::testing {
namespace {

TEST(tick_schedule_test, marks_made_before_start_wait_for_it_and_no_tick_fires_before) {
  caf::actor_system_config cfg;
  cfg.set("scheduler.policy", caf::atom("testing"));
  cfg.set("logger.console", caf::atom("none"));
  caf::actor_system sys{cfg};
  auto& sched = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  auto drain = [&] {
    while (sched.try_run_once()) {
      // nop
    }
  };
  // A directory still being filled: empty, as when the first units start.
  auto ctx = std::make_shared<actors::city_context>();
  ctx->hierarchy = make_small_city();
  auto tallies = actors::tick_schedule::make(sys, std::chrono::milliseconds(100),
                                             actors::tick_schedule::message::tally, ctx);
  tallies->mark(0);
  tallies->mark(1);
  drain();
  EXPECT_FALSE(sched.has_pending_timeout())
      << "a tick was armed before start, while the directory could still be growing";

  tallies->start();
  drain();
  ASSERT_TRUE(sched.has_pending_timeout()) << "the marks made before start were lost";
  sched.advance_time(std::chrono::milliseconds(100));
  drain();
  EXPECT_FALSE(sched.has_pending_timeout()) << "one tick takes every mark made before start";

  tallies.reset(); // its ticker exits, which the testing scheduler runs only when drained
  drain();
}

} // namespace
} // namespace hub::testing
