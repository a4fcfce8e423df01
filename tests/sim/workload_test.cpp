// The simulated city's workload, without a hub: what it sends, as whom.

#include "sim/load/live_workload.hpp"
#include "tests/support/small_city.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <vector>

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

/// A workload on the small city with one standing connection per grid, every message it sends
/// kept with its sender, and every subscribe acknowledged.
struct standing_city {
  std::shared_ptr<const protocol::hierarchy> city = make_small_city();
  std::vector<std::pair<const protocol::person*, protocol::client_message>> sent;
  sim::live_workload work{city, options(),
                          [this](const protocol::person& who, protocol::client_message m, bool) {
                            sent.emplace_back(&who, std::move(m));
                          },
                          [](std::uint64_t, std::string) {}};

  static sim::workload_options options() {
    sim::workload_options o;
    o.grids = sim::grid_connections::per_grid;
    return o;
  }
  /// The subscribes sent from `from` on, by the unit subscribed to.
  std::map<protocol::unit_code, std::pair<const protocol::person*, protocol::client_message>>
  subscribes(std::size_t from = 0) const {
    std::map<protocol::unit_code, std::pair<const protocol::person*, protocol::client_message>> got;
    for (auto i = from; i < sent.size(); ++i)
      if (auto* s = std::get_if<protocol::subscribe>(&sent[i].second.body))
        got[s->unit] = sent[i];
    return got;
  }
  void ack(const std::pair<const protocol::person*, protocol::client_message>& m) {
    work.on_message(*m.first, protocol::ack{m.second.id});
  }
};

/// As the browser's consoles: dashboards and consoles ask for the figures, a grid's standing
/// connection (a grid worker's phone) does not, so the hub pushes it no aggregates.
TEST(workload_test, grids_subscribe_without_figures_and_dashboards_with_them) {
  standing_city c;
  c.work.open_standing();
  const auto subs = c.subscribes();
  ASSERT_EQ(subs.size(), c.work.standing_total());
  std::size_t grids = 0, others = 0;
  for (const auto& [unit, m] : subs) {
    const auto& s = std::get<protocol::subscribe>(m.second.body);
    EXPECT_FALSE(s.since.has_value()) << unit;
    if (c.city->find_unit(unit)->kind == protocol::unit_kind::grid) {
      EXPECT_FALSE(s.figures) << unit;
      ++grids;
    } else {
      EXPECT_TRUE(s.figures) << unit;
      ++others;
    }
  }
  EXPECT_GT(grids, 0u);
  EXPECT_TRUE(subs.count(c.city->units.front().code)) << "no city dashboard";
  EXPECT_GT(others, 1u);
}

/// The hub tells a connection whose send queue overflowed `overloaded` (id 0) and ends its
/// subscriptions: the simulator subscribes it again from the last event it saw, as a real
/// dashboard does, instead of watching a city that no longer moves.
TEST(workload_test, a_standing_connection_told_overloaded_subscribes_again_from_its_last_event) {
  standing_city c;
  c.work.open_standing();
  for (const auto& [unit, m] : c.subscribes())
    c.ack(m);
  ASSERT_EQ(c.work.counts().standing, c.work.standing_total());

  const auto city = c.city->units.front().code;
  const auto watch = c.subscribes().at(city);
  protocol::case_event seen;
  seen.seq = 42;
  seen.id = 7;
  seen.unit = city;
  c.work.on_message(*watch.first, seen);
  const auto before = c.sent.size();
  c.work.on_message(*watch.first,
                    protocol::error{0, protocol::errc::overloaded, "your send queue overflowed"});

  const auto again = c.subscribes(before);
  ASSERT_EQ(again.size(), 1u);
  ASSERT_TRUE(again.count(city));
  const auto& m = again.at(city);
  EXPECT_EQ(m.first, watch.first);
  const auto& s = std::get<protocol::subscribe>(m.second.body);
  EXPECT_EQ(s.since, std::optional<std::uint64_t>(42));
  EXPECT_TRUE(s.figures);
  EXPECT_NE(m.second.id, watch.second.id);
  EXPECT_EQ(c.work.counts().overflows, 1u);
  EXPECT_EQ(c.work.counts().refused, 0u) << "an overflow is no refused request";
  EXPECT_EQ(c.work.counts().standing, c.work.standing_total() - 1);

  // Subscribed again once acknowledged, and counted once however often it is acknowledged.
  c.ack(m);
  c.ack(m);
  c.ack(watch);
  EXPECT_EQ(c.work.counts().standing, c.work.standing_total());
}

} // namespace
} // namespace hub::testing
