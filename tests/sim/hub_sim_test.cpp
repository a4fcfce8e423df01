// hub-sim as `./dev.sh run` starts it: a separate process that acts as the city's people over
// WebSocket against a running `hub serve`, walks cases to their close, and says when it cannot.

#include "protocol/hierarchy_file.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/small_city.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>

namespace hub::testing {
namespace {

namespace fs = std::filesystem;

class hub_sim_test : public ::testing::Test {
protected:
  hub_sim_test() {
    dir_ = fs::temp_directory_path() /
           ("hub-sim-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    hierarchy_ = (dir_ / "city.tsv").string();
    secret_ = (dir_ / "hub.secret").string();
    std::ofstream out(hierarchy_);
    protocol::write_hierarchy(out, *make_small_city());
  }
  ~hub_sim_test() override { fs::remove_all(dir_); }

  /// hub-sim against `url` with `extra` arguments.
  std::vector<std::string> sim_command(const std::string& url, std::vector<std::string> extra) {
    std::vector<std::string> args{HUB_SIM_BINARY, "--url",         url,    "--hierarchy",
                                  hierarchy_,     "--secret-file", secret_};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  fs::path dir_;
  std::string hierarchy_, secret_;
};

TEST_F(hub_sim_test, walks_cases_to_their_close_over_websocket_without_a_refusal) {
  child_process hub{
      {HUB_BINARY, "serve", "--hierarchy", hierarchy_, "--port", "0", "--secret-file", secret_}};
  auto listening = hub.wait_for_line(std::regex(R"(listening on (ws://127\.0\.0\.1:\d+/))"));
  ASSERT_TRUE(listening) << hub.err();

  child_process sim{sim_command((*listening)[1], {"--rate", "50", "--until-closed", "10"})};
  EXPECT_EQ(sim.finish(), 0) << sim.out() << sim.err();
  // The last line counts what the watching city leader saw.
  std::smatch m;
  auto out = sim.out();
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(reported (\d+) closed (\d+))"))) << out;
  EXPECT_GE(std::stoi(m[1]), 10);
  EXPECT_NE(out.find("refused 0"), std::string::npos) << out << sim.err();
}

TEST_F(hub_sim_test, says_why_when_no_hub_answers_and_exits_1) {
  // A port nothing listens on: the hub this test started and stopped again.
  std::string url;
  {
    child_process hub{
        {HUB_BINARY, "serve", "--hierarchy", hierarchy_, "--port", "0", "--secret-file", secret_}};
    auto listening = hub.wait_for_line(std::regex(R"(listening on (ws://127\.0\.0\.1:\d+/))"));
    ASSERT_TRUE(listening) << hub.err();
    url = (*listening)[1];
    hub.kill_and_wait(SIGTERM);
  }
  child_process sim{sim_command(url, {"--until-closed", "1"})};
  EXPECT_EQ(sim.finish(), 1);
  EXPECT_NE(sim.err().find("lost the city's watch"), std::string::npos) << sim.err();
}

TEST_F(hub_sim_test, bad_arguments_exit_2_with_the_usage) {
  child_process sim{{HUB_SIM_BINARY, "--rate", "fast"}};
  EXPECT_EQ(sim.finish(), 2);
  EXPECT_NE(sim.err().find("usage: hub-sim"), std::string::npos) << sim.err();
  EXPECT_NE(sim.err().find("--rate needs an unsigned number"), std::string::npos) << sim.err();

  child_process unknown{{HUB_SIM_BINARY, "--rates", "5"}};
  EXPECT_EQ(unknown.finish(), 2);
  EXPECT_NE(unknown.err().find("unknown argument --rates"), std::string::npos) << unknown.err();
}

} // namespace
} // namespace hub::testing
