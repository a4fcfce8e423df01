// The simulator's connection pool against a real `hub serve`: connections opened with `keep`
// (a standing grid's) stay open and do not count against `max_open`; the others beyond it are
// closed once idle, least recently used first; at most `max_connecting` are being opened at a
// time, the rest waiting their turn with their requests.

#include "gateway/net/secret_file.hpp"
#include "protocol/hierarchy_file.hpp"
#include "sim/client/person_pool.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/limits.hpp"
#include "tests/support/small_city.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>

namespace hub::testing {
namespace {

namespace fs = std::filesystem;

class person_pool_test : public ::testing::Test {
protected:
  person_pool_test() {
    dir_ = fs::temp_directory_path() / ("hub-pool-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    city_ = make_small_city();
    auto hierarchy = (dir_ / "city.tsv").string();
    {
      std::ofstream out(hierarchy);
      protocol::write_hierarchy(out, *city_);
    }
    secret_path_ = (dir_ / "hub.secret").string();
    hub_.emplace(std::vector<std::string>{HUB_BINARY, "serve", "--hierarchy", hierarchy, "--port",
                                          "0", "--secret-file", secret_path_});
    auto listening = hub_->wait_for_line(std::regex(R"(listening on ws://127\.0\.0\.1:(\d+)/)"));
    if (!listening)
      throw std::runtime_error("hub did not start: " + hub_->err());
    port_ = static_cast<unsigned short>(std::stoi((*listening)[1]));
  }
  ~person_pool_test() override {
    hub_.reset();
    fs::remove_all(dir_);
  }

  sim::person_pool::settings settings(std::size_t max_open,
                                      std::size_t max_connecting = 1000) const {
    sim::person_pool::settings s;
    s.url = *sim::parse_ws_url("ws://127.0.0.1:" + std::to_string(port_) + "/");
    s.endpoint = sim::tcp::endpoint(sim::net::ip::make_address("127.0.0.1"), port_);
    std::string why;
    EXPECT_TRUE(gateway::read_secret(secret_path_, s.secret, why)) << why;
    s.max_open = max_open;
    s.max_connecting = max_connecting;
    return s;
  }

  const protocol::person& person(protocol::unit_code unit) const {
    return *city_->find_person(person_at(unit, 1));
  }

  fs::path dir_;
  std::shared_ptr<const protocol::hierarchy> city_;
  std::string secret_path_;
  std::optional<child_process> hub_;
  unsigned short port_ = 0;
};

TEST_F(person_pool_test, kept_connections_stay_and_do_not_count_against_the_bound) {
  sim::net::io_context ioc;
  std::size_t replies = 0, lost = 0;
  sim::person_pool pool(
      ioc, settings(2),
      [&](const protocol::person&, protocol::server_message&& m) {
        if (sim::reply_id(m) != 0)
          ++replies;
      },
      [&](const protocol::person&, std::vector<std::uint64_t> ids, const std::string&) {
        lost += ids.size();
      });
  // Three standing grids (kept), then four village secretaries one after another (not kept):
  // each subscribes to its own unit, which the hub answers.
  std::uint64_t id = 0;
  auto subscribe = [&](protocol::unit_code unit, bool keep) {
    pool.send(person(unit), {++id, protocol::subscribe{unit, std::nullopt, false}}, keep);
  };
  auto run_until_replies = [&](std::size_t n) {
    const auto until = std::chrono::steady_clock::now() + patience;
    while (replies + lost < n && std::chrono::steady_clock::now() < until)
      ioc.run_one_for(std::chrono::milliseconds(100));
  };
  for (auto grid : {codes::grid_a1_1, codes::grid_a1_2, codes::grid_a2_1})
    subscribe(grid, true);
  run_until_replies(3);
  for (auto village :
       {codes::village_a1, codes::village_a2, codes::village_b1, codes::village_b2}) {
    subscribe(village, false);
    run_until_replies(id);
  }
  // The third and the fourth village's sends each found three connections not kept, one more
  // than the bound: the least recently used idle one went (village_a1, then village_a2). The
  // three standing grids stay, and do not push the villages out.
  EXPECT_EQ(replies, 7u);
  EXPECT_EQ(lost, 0u);
  EXPECT_EQ(pool.opened_total(), 7u);
  EXPECT_EQ(pool.open_connections(), 3u + 2u) << "the 3 kept, and the bound's 2";
  pool.close_all();
}

TEST_F(person_pool_test, connections_beyond_max_connecting_wait_their_turn_and_lose_nothing) {
  sim::net::io_context ioc;
  std::size_t replies = 0, lost = 0, most_connecting = 0;
  sim::person_pool* watched = nullptr;
  sim::person_pool pool(
      ioc, settings(256, 2),
      [&](const protocol::person&, protocol::server_message&& m) {
        most_connecting = std::max(most_connecting, watched->connecting());
        if (sim::reply_id(m) != 0)
          ++replies;
      },
      [&](const protocol::person&, std::vector<std::uint64_t> ids, const std::string&) {
        lost += ids.size();
      });
  watched = &pool;
  // Eight standing grids subscribe at once, as hub-sim's standing connections do at its start.
  std::uint64_t id = 0;
  for (auto grid : {codes::grid_a1_1, codes::grid_a1_2, codes::grid_a2_1, codes::grid_a2_2,
                    codes::grid_b1_1, codes::grid_b1_2, codes::grid_b2_1, codes::grid_b2_2})
    pool.send(person(grid), {++id, protocol::subscribe{grid, std::nullopt, false}}, true);
  EXPECT_EQ(pool.connecting(), 2u);
  EXPECT_EQ(pool.waiting_to_connect(), 6u);
  EXPECT_EQ(pool.opened_total(), 2u) << "only two started";
  const auto until = std::chrono::steady_clock::now() + patience;
  while (replies + lost < id && std::chrono::steady_clock::now() < until)
    ioc.run_one_for(std::chrono::milliseconds(100));
  EXPECT_EQ(replies, 8u) << "every waiting request went out once its connection opened";
  EXPECT_EQ(lost, 0u);
  EXPECT_LE(most_connecting, 2u);
  EXPECT_EQ(pool.connecting(), 0u);
  EXPECT_EQ(pool.waiting_to_connect(), 0u);
  EXPECT_EQ(pool.opened_total(), 8u);
  EXPECT_EQ(pool.open_connections(), 8u);
  pool.close_all();
}

} // namespace
} // namespace hub::testing
