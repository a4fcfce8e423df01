// The hub's allocator settings (gateway/malloc_conf.cpp): linked with jemalloc, `hub` runs
// jemalloc's background thread, so the pages a burst freed go back to the system while the
// hub is quiet (sim/README.md, "hub-load": 497 MiB of them stayed without it). Read from
// jemalloc's own statistics, which `MALLOC_CONF=stats_print:true` prints when the process
// exits. Built only where `hub` links jemalloc (not in the sanitizer builds).

#include "tests/support/child_process.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace hub::testing {
namespace {

TEST(hub_allocator_test, the_hub_runs_jemallocs_background_thread) {
  std::string err;
  {
    // The child inherits this process's environment: set for the spawn only.
    ASSERT_EQ(::setenv("MALLOC_CONF", "stats_print:true", 1), 0);
    child_process hub{{HUB_BINARY, "token"}}; // a usage error: exits at once
    ::unsetenv("MALLOC_CONF");
    EXPECT_EQ(hub.finish(), 2);
    err = hub.err();
  }
  ASSERT_NE(err.find("opt.background_thread"), std::string::npos)
      << "no jemalloc statistics: is hub linked with jemalloc?\n"
      << err.substr(0, 4000);
  EXPECT_NE(err.find("opt.background_thread: true"), std::string::npos) << err.substr(0, 4000);
}

} // namespace
} // namespace hub::testing
