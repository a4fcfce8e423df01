// hub-load against a real `hub serve` and a real hub-wsbase in one run, in a small form (a few
// hundred grid clients of the generated Xinyang, a short burst), so that the benchmark and its
// baseline cannot rot: every client connects to each, every directive reaches every client,
// and the side-by-side table is printed.

#include "protocol/hierarchy_file.hpp"
#include "sim/gen/xinyang.hpp"
#include "tests/support/child_process.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>

namespace hub::testing {
namespace {

namespace fs = std::filesystem;

/// How many times `text` occurs in `in`.
std::size_t occurrences(const std::string& in, const std::string& text) {
  std::size_t n = 0;
  for (auto at = in.find(text); at != std::string::npos; at = in.find(text, at + 1))
    ++n;
  return n;
}

TEST(hub_load_test, measures_the_hub_and_the_bare_beast_baseline_side_by_side) {
  const auto dir = fs::temp_directory_path() / ("hub-load-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto hierarchy = (dir / "xinyang.tsv").string();
  const auto secret = (dir / "hub.secret").string();
  {
    std::ofstream out(hierarchy);
    protocol::write_hierarchy(out, sim::generate_xinyang());
  }
  const std::regex listening(R"(listening on (ws://127\.0\.0\.1:\d+/))");
  child_process hub{
      {HUB_BINARY, "serve", "--hierarchy", hierarchy, "--port", "0", "--secret-file", secret}};
  auto hub_url = hub.wait_for_line(listening);
  ASSERT_TRUE(hub_url) << hub.err();
  child_process base{{HUB_WSBASE_BINARY, "--port", "0"}};
  auto base_url = base.wait_for_line(listening);
  ASSERT_TRUE(base_url) << base.err();

  child_process load{{HUB_LOAD_BINARY,
                      "--url",
                      (*hub_url)[1],
                      "--secret-file",
                      secret,
                      "--hierarchy",
                      hierarchy,
                      "--hub-pid",
                      std::to_string(hub.pid()),
                      "--grids",
                      "300",
                      "--burst",
                      "10",
                      "--baseline",
                      (*base_url)[1],
                      "--baseline-pid",
                      std::to_string(base.pid()),
                      "--settle-s",
                      "1",
                      "--timeout-s",
                      "60"}};
  EXPECT_EQ(load.finish(std::chrono::minutes(4)), 0) << load.out() << load.err();
  const auto out = load.out();
  // Each server: every client connected and had the one directive and all ten of the burst.
  EXPECT_EQ(occurrences(out, "connect: 300 of 300 grid clients connected and subscribed"), 2u)
      << out;
  EXPECT_EQ(occurrences(out, "delivery, issue sent -> the grid's client has its "
                             "directive.event: 300 of 300\n"),
            2u)
      << out;
  EXPECT_EQ(occurrences(out, "(10 acked, 0 refused): 3000 of 3000 deliveries\n"), 2u) << out;
  EXPECT_EQ(occurrences(out, "us per delivered frame"), 2u) << out; // each server's CPU read
  // hub-load's own CPU in each burst, and the rate the two processes' CPU allows.
  EXPECT_EQ(occurrences(out, "hub-load's own CPU"), 2u) << out;
  EXPECT_EQ(occurrences(out, "deliveries/s on "), 2u) << out;
  EXPECT_EQ(occurrences(out, "MiB per open city-wide directive (target"), 2u) << out;
  // The table: both columns filled for the burst's rate and CPU per frame.
  std::smatch m;
  EXPECT_TRUE(std::regex_search(
      out, m, std::regex(R"(\n +deliveries/s +\d+ +\d+ +[\d.]+x\n +server CPU per)")))
      << out;
  EXPECT_NE(out.find("== side by side"), std::string::npos) << out;
  EXPECT_EQ(out.find("problems:"), std::string::npos) << out;
  fs::remove_all(dir);
}

} // namespace
} // namespace hub::testing
