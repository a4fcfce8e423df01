// The simulated city's workload, without a hub: what it sends, as whom.

#include "sim/load/live_workload.hpp"
#include "tests/support/small_city.hpp"

#include <gtest/gtest.h>

#include <set>

namespace hub::testing {
namespace {

/// The message ids two shards of the same start send: each shard keeps to its residue, so
/// shards sharing a person (a department head) never reuse each other's ids, however close
/// together they started.
TEST(workload_test, shards_started_at_the_same_moment_use_disjoint_message_ids) {
  auto city = make_small_city();
  std::set<std::pair<protocol::person_id, std::uint64_t>> seen;
  for (int shard = 0; shard < 2; ++shard) {
    sim::workload_options o;
    o.first_request = 1'000'000;
    o.shard = shard;
    o.shards = 2;
    o.grids = sim::grid_connections::per_person;
    std::size_t sent = 0;
    sim::live_workload work{
        city, o,
        [&](const protocol::person& who, protocol::client_message m, bool) {
          ++sent;
          EXPECT_EQ(m.id % 2, static_cast<std::uint64_t>(shard)) << m.id;
          EXPECT_TRUE(seen.insert({who.id, m.id}).second) << who.id << " " << m.id;
        },
        [](std::uint64_t, std::string) {}};
    work.open_standing();
    EXPECT_GT(sent, 4u); // the department consoles at least: the people both shards share
  }
}

} // namespace
} // namespace hub::testing
