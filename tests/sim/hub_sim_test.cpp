// hub-sim as `./dev.sh run` starts it: a separate process that acts as the city's people over
// WebSocket against a running `hub serve`, walks cases to their close, and says when it cannot.

#include "gateway/net/secret_file.hpp"
#include "gateway/net/token.hpp"
#include "protocol/hierarchy_file.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/small_city.hpp"
#include "tests/support/test_client.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <utility>

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

  /// Writes `text` to a file of the test's directory; its path.
  std::string write_file(const std::string& name, const std::string& text) {
    auto path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  /// `hub serve` on a free port with Open311 (the city centre's hotline operator's key) and
  /// `extra` arguments; the URL it listens on, or "" (with the failure recorded).
  std::string start_hub(std::optional<child_process>& hub, std::vector<std::string> extra = {}) {
    keys_ = write_file("open311.keys", "simulatedhotlinekey0123\t" +
                                           std::to_string(person_at(codes::city_centre, 1)) + "\n");
    std::vector<std::string> args{HUB_BINARY,       "serve", "--hierarchy",   hierarchy_,
                                  "--port",         "0",     "--secret-file", secret_,
                                  "--open311-keys", keys_};
    args.insert(args.end(), extra.begin(), extra.end());
    hub.emplace(args);
    auto listening = hub->wait_for_line(std::regex(R"(listening on (ws://127\.0\.0\.1:\d+/))"));
    EXPECT_TRUE(listening) << hub->err();
    return listening ? (*listening)[1] : "";
  }

  /// hub-sim against `url` with `extra` arguments.
  std::vector<std::string> sim_command(const std::string& url, std::vector<std::string> extra) {
    std::vector<std::string> args{HUB_SIM_BINARY, "--url",         url,    "--hierarchy",
                                  hierarchy_,     "--secret-file", secret_};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  /// A scenario's restart command (`--restart-cmd`): stops `hub`, starts a second `hub serve`
  /// on its port with `extra` arguments once the port is free, and returns once that one
  /// listens (each wait bounded: 10 s). stop_second_hub() ends the second one.
  std::string restart_command(const child_process& hub, const std::string& url,
                              const std::string& extra) {
    auto port = url.substr(url.rfind(':') + 1);
    port.pop_back(); // the trailing '/'
    const auto probe = "(exec 3<>/dev/tcp/127.0.0.1/" + port + ") 2>/dev/null";
    auto script = write_file(
        "restart.sh",
        "kill -TERM " + std::to_string(hub.pid()) + "\nfor i in $(seq 200); do " + probe +
            " || break; sleep 0.05; done\n" + HUB_BINARY + " serve --hierarchy " + hierarchy_ +
            " --port " + port + " --secret-file " + secret_ + " " + extra + " > " +
            (dir_ / "second-hub.log").string() + " 2>&1 &\necho $! > " + second_hub_pid_file() +
            "\nfor i in $(seq 200); do " + probe + " && exit 0; sleep 0.05; done\nexit 1\n");
    return "bash " + script;
  }

  void stop_second_hub() {
    std::ifstream in(second_hub_pid_file());
    pid_t second = 0;
    in >> second;
    if (second > 0)
      ::kill(second, SIGTERM);
  }

  /// The busy scenario below, with its checks, on a fresh hub at time scale 600, with `extra`
  /// hub-sim arguments (a fault to inject); hub-sim's exit code and stdout.
  std::pair<int, std::string> run_busy_checked(std::vector<std::string> extra);

  fs::path dir_;
  std::string hierarchy_, secret_, keys_;

private:
  std::string second_hub_pid_file() const { return (dir_ / "second-hub.pid").string(); }
};

/// The counts of hub-sim's last progress line: reported, closed, whistles, summons, directives,
/// receipts, hotline, refused, lost.
std::map<std::string, long> last_counts(const std::string& out) {
  std::map<std::string, long> got;
  auto last = out.rfind("\nt=");
  auto line = out.substr(last == std::string::npos ? 0 : last + 1);
  for (auto name : {"reported", "closed", "whistles", "summons", "directives", "receipts",
                    "hotline", "refused", "lost"}) {
    std::smatch m;
    if (std::regex_search(line, m, std::regex(std::string("[ (]") + name + R"( (\d+))")))
      got[name] = std::stol(m[1]);
  }
  return got;
}

/// A busy scenario for a small city: every kind of walk, fast.
constexpr const char* busy_scenario = R"(# every path of a case, a campaign, the 12345 feed
[run]
speed = 600
[reports]
rate = 0.05
[grid]
share = 40%
sign = 1s..30s
handle = 1s..1m
close = 1s..30s
escalate = 1s..30s
[village]
share = 20%
sign = 1s..30s
handle = 1s..1m
close = 1s..30s
escalate = 1s..30s
[township]
share = 10%
sign = 1s..30s
handle = 1s..1m
close = 1s..30s
[whistle]
share = 30%
decline = 0%
departments = 1..2
propose = 1s..30s
approve = 1s..30s
report_in = 1s..30s
feedback = 1s..30s
resolve = 1s..30s
rate = 1s..30s
[hotline]
share = 30%
triage = 1s..30s
dispatch = 1s..30s
sign = 1s..30s
handle = 1s..30s
close = 1s..30s
[campaign drill]
at = 08:00
every = 5m
channel = 3
target = grid 411502
sign = 1s..30s
complete = 1s..30s
lagging = 0%
)";

TEST_F(hub_sim_test, walks_cases_to_their_close_over_websocket_without_a_refusal) {
  child_process hub{
      {HUB_BINARY, "serve", "--hierarchy", hierarchy_, "--port", "0", "--secret-file", secret_}};
  auto listening = hub.wait_for_line(std::regex(R"(listening on (ws://127\.0\.0\.1:\d+/))"));
  ASSERT_TRUE(listening) << hub.err();

  child_process sim{
      sim_command((*listening)[1], {"--rate", "50", "--speed", "3600", "--until-closed", "10"})};
  EXPECT_EQ(sim.finish(), 0) << sim.out() << sim.err();
  // The last line counts what the watching city leader saw.
  std::smatch m;
  auto out = sim.out();
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(reported (\d+) closed (\d+))"))) << out;
  EXPECT_GE(std::stoi(m[1]), 10);
  EXPECT_NE(out.find("refused 0"), std::string::npos) << out << sim.err();
}

TEST_F(hub_sim_test, every_role_acts_as_the_hub_allows_per_person_with_the_12345_feed) {
  std::optional<child_process> hub;
  auto url = start_hub(hub, {"--time-scale", "600"});
  ASSERT_FALSE(url.empty());
  auto scn = write_file("busy.scn", busy_scenario);
  child_process sim{sim_command(
      url, {"--scenario", scn, "--per-person", "--open311-keys", keys_, "--until-closed", "40"})};
  EXPECT_EQ(sim.finish(), 0) << sim.out() << sim.err();
  auto c = last_counts(sim.out());
  EXPECT_GE(c["closed"], 40) << sim.out();
  EXPECT_GT(c["whistles"], 0) << sim.out();   // township heads blew whistles ...
  EXPECT_GT(c["summons"], 0) << sim.out();    // ... that the department consoles saw
  EXPECT_GT(c["hotline"], 0) << sim.out();    // the 12345 feed's posts were answered
  EXPECT_GT(c["directives"], 0) << sim.out(); // the county leader's campaign ...
  EXPECT_GT(c["receipts"], 0) << sim.out();   // ... reached the grids, which signed
  EXPECT_EQ(c["refused"], 0) << sim.out() << sim.err();
  EXPECT_EQ(c["lost"], 0) << sim.out() << sim.err();
  // One standing connection per grid staff member (8 grids x 4), the department consoles (3 of
  // the county, 1 of the other), the township consoles (3) and the dashboards (the city's and
  // 411502's: the other county has no leader).
  EXPECT_NE(sim.out().find("standing 41/41"), std::string::npos) << sim.out();
}

TEST_F(hub_sim_test, shards_split_the_city_and_together_walk_it_per_grid) {
  std::optional<child_process> hub;
  auto url = start_hub(hub, {"--time-scale", "600"});
  ASSERT_FALSE(url.empty());
  auto scn = write_file("busy.scn", busy_scenario);
  // Three townships, two of them with grids: shard 0/2 has 411502001 and 411503001 (no
  // grids), shard 1/2 has 411502100.
  child_process a{sim_command(
      url, {"--scenario", scn, "--per-grid", "--shard", "0/2", "--until-closed", "15"})};
  child_process b{sim_command(
      url, {"--scenario", scn, "--per-grid", "--shard", "1/2", "--until-closed", "15"})};
  EXPECT_EQ(a.finish(), 0) << a.out() << a.err();
  EXPECT_EQ(b.finish(), 0) << b.out() << b.err();
  for (auto* sim : {&a, &b}) {
    auto c = last_counts(sim->out());
    EXPECT_GE(c["closed"], 15) << sim->out();
    EXPECT_EQ(c["refused"], 0) << sim->out() << sim->err();
  }
  // Shard 0: 4 grids, 4 department consoles, 2 township consoles, 2 dashboards; shard 1: 4
  // grids, 4 department consoles, 1 township console.
  EXPECT_NE(a.out().find("standing 12/12"), std::string::npos) << a.out();
  EXPECT_NE(b.out().find("standing 9/9"), std::string::npos) << b.out();
  // Only shard 0 runs the campaigns; shard 1's grids answer what reaches them.
  EXPECT_GT(last_counts(a.out())["directives"], 0) << a.out();
  EXPECT_EQ(last_counts(b.out())["directives"], 0) << b.out();
}

TEST_F(hub_sim_test, time_scale_brings_the_deadlines_reminder_that_much_sooner) {
  // An urgent case's sign limit in the small city is 30 minutes: with --time-scale 3600 it is
  // half a second, so an unsigned case turns red and is reminded while the test watches.
  std::optional<child_process> hub;
  auto url = start_hub(hub, {"--time-scale", "3600"});
  ASSERT_FALSE(url.empty());
  auto port = static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
  std::string secret, why;
  ASSERT_TRUE(gateway::read_secret(secret_, secret, why)) << why;
  auto h = make_small_city();
  const auto* worker = h->find_person(person_at(codes::grid_a1_1, 2));
  test_client grid(
      port, {"/?token=" + gateway::token::issue(secret, *worker, std::chrono::hours(1)), "", 0});
  ASSERT_TRUE(grid.ok()) << grid.status() << " " << grid.body();
  ASSERT_TRUE(std::holds_alternative<protocol::ack>(
      grid.request({1, protocol::subscribe{codes::grid_a1_1, std::nullopt}})));
  protocol::case_report r;
  r.unit = codes::grid_a1_1;
  r.category = "safety.dispute";
  r.title = "邻里纠纷";
  r.level = protocol::urgency::urgent;
  auto reply = grid.request({2, r});
  ASSERT_TRUE(std::holds_alternative<protocol::ack>(reply));
  const auto started = std::chrono::steady_clock::now();
  bool reminded = false;
  while (!reminded) {
    auto e = grid.next_event();
    ASSERT_TRUE(e) << "no remind within the patience";
    if (auto* c = std::get_if<protocol::case_event>(&*e))
      reminded =
          c->action == protocol::case_action::remind && c->colour == protocol::deadline_colour::red;
  }
  // Far sooner than the half hour the unscaled limit gives.
  EXPECT_LT(std::chrono::steady_clock::now() - started, patience);
  hub->kill_and_wait(SIGTERM);
  EXPECT_NE(hub->err().find("time limits divided by 3600"), std::string::npos) << hub->err();
}

TEST_F(hub_sim_test, a_time_scale_outside_its_range_is_a_usage_error) {
  child_process hub{{HUB_BINARY, "serve", "--hierarchy", hierarchy_, "--port", "0", "--secret-file",
                     secret_, "--time-scale", "0"}};
  EXPECT_EQ(hub.finish(), 2);
  EXPECT_NE(hub.err().find("--time-scale must be 1..86400"), std::string::npos) << hub.err();
}

TEST_F(hub_sim_test, a_bad_scenario_is_refused_with_its_line_before_connecting) {
  // No hub runs at this URL: the file is refused before anything connects.
  auto bad = write_file("bad.scn", "[run]\nspeed = 10\n\n[grid]\nsign = 5m..1m\n");
  child_process sim{sim_command("ws://127.0.0.1:1/", {"--scenario", bad})};
  EXPECT_EQ(sim.finish(), 2);
  EXPECT_NE(sim.err().find(bad + ":5: expected a duration or a range"), std::string::npos)
      << sim.err();
  auto unknown = write_file("unknown.scn", "[reports]\ncategory = enforce.nois 2\n");
  child_process sim2{sim_command("ws://127.0.0.1:1/", {"--scenario", unknown})};
  EXPECT_EQ(sim2.finish(), 2);
  EXPECT_NE(sim2.err().find(unknown + ":2: no case category 'enforce.nois' in the hierarchy"),
            std::string::npos)
      << sim2.err();
}

TEST_F(hub_sim_test, a_restart_in_the_scenario_runs_the_restart_command_and_the_run_goes_on) {
  std::optional<child_process> hub;
  auto url = start_hub(hub);
  ASSERT_FALSE(url.empty());
  // At x600 the restart at 08:01 comes 0.1 s after the start; the command leaves a mark.
  auto scn = write_file("restart.scn", "[run]\nspeed = 600\nrestart = 08:01\n"
                                       "[grid]\nsign = 1s\nhandle = 1s\nclose = 1s\n");
  auto mark = (dir_ / "restarted").string();
  child_process sim{sim_command(url, {"--scenario", scn, "--rate", "20", "--restart-cmd",
                                      "echo restarted > " + mark, "--until-closed", "20"})};
  EXPECT_EQ(sim.finish(), 0) << sim.out() << sim.err();
  EXPECT_NE(sim.out().find("hub-sim: restart: the command exited with 0"), std::string::npos)
      << sim.out();
  std::ifstream in(mark);
  std::string word;
  in >> word;
  EXPECT_EQ(word, "restarted");
}

std::pair<int, std::string> hub_sim_test::run_busy_checked(std::vector<std::string> extra) {
  std::optional<child_process> hub;
  auto url = start_hub(hub, {"--time-scale", "600"});
  if (url.empty())
    return {-1, ""};
  std::vector<std::string> args{"--scenario", write_file("busy.scn", busy_scenario),
                                "--until-closed", "20", "--check"};
  args.insert(args.end(), extra.begin(), extra.end());
  child_process sim{sim_command(url, args)};
  int code = sim.finish();
  return {code, sim.out() + sim.err()};
}

TEST_F(hub_sim_test, the_check_passes_a_clean_run_and_the_report_has_every_part) {
  std::optional<child_process> hub;
  auto url = start_hub(hub, {"--time-scale", "600"});
  ASSERT_FALSE(url.empty());
  auto scn = write_file("busy.scn", busy_scenario);
  auto report = (dir_ / "run").string();
  child_process sim{sim_command(url, {"--scenario", scn, "--open311-keys", keys_, "--until-closed",
                                      "30", "--check", "--report", report})};
  EXPECT_EQ(sim.finish(), 0) << sim.out() << sim.err();
  std::smatch m;
  auto out = sim.out();
  ASSERT_TRUE(std::regex_search(
      out, m,
      std::regex(
          R"(check: passed: (\d+) cases and (\d+) directives asked for: lost 0, duplicated 0, wrong 0)")))
      << out;
  EXPECT_GE(std::stoi(m[1]), 30);
  EXPECT_GT(std::stoi(m[2]), 0);
  std::ifstream json_in(report + ".json"), html_in(report + ".html");
  std::stringstream json, html;
  json << json_in.rdbuf();
  html << html_in.rdbuf();
  for (auto key : {"\"latency_ms\":{\"report_ack\":{", "\"report_dashboard\":{",
                   "\"directive_arrival\":{", "\"directive_last_arrival\":{", "\"hotline_post\":{",
                   "\"series\":[{", "\"closed_at\":{\"grid\":", "\"check\":{\"passed\":true",
                   "\"duplicates_checked\":true", "\"response_rate\":"})
    EXPECT_NE(json.str().find(key), std::string::npos) << key << "\n" << json.str();
  // Percentiles come from the histograms: a p99 of report -> ack, never 0 with acks counted.
  EXPECT_TRUE(std::regex_search(json.str(), std::regex(R"("report_ack":\{[^}]*"count":[1-9])")))
      << json.str();
  for (auto part : {"<svg", "Throughput over time", "Latency percentiles", "Errors by code",
                    "Share closed at each level", "Check: passed"})
    EXPECT_NE(html.str().find(part), std::string::npos) << part;
  // Self-contained: nothing fetched from elsewhere.
  EXPECT_EQ(html.str().find("<script"), std::string::npos);
  EXPECT_EQ(html.str().find("http://"), std::string::npos);
  EXPECT_EQ(html.str().find("https://"), std::string::npos);
}

TEST_F(hub_sim_test, the_check_asks_at_the_pace_the_hub_allows_and_passes_past_its_burst) {
  // 600 cases to ask for, three times the burst of 200 the hub allows one connection: the
  // check keeps under the rate (and asks again after `rate_limited`) instead of failing.
  std::optional<child_process> hub;
  auto url = start_hub(hub);
  ASSERT_FALSE(url.empty());
  auto scn =
      write_file("steady.scn", "[run]\nsteady = yes\nduration = 3s\n[reports]\nrate = "
                               "200\n[grid]\nshare = 100%\nsign = 1m..2m\n[village]\nshare = "
                               "0%\n[township]\nshare = 0%\n[whistle]\nshare = 0%\n");
  child_process sim{sim_command(url, {"--scenario", scn, "--check"})};
  EXPECT_EQ(sim.finish(), 0) << sim.out() << sim.err();
  std::smatch m;
  auto out = sim.out();
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(check: passed: (\d+) cases)"))) << out;
  EXPECT_GE(std::stoi(m[1]), 500);
}

TEST_F(hub_sim_test, the_check_catches_reports_dropped_on_purpose) {
  auto [code, out] = run_busy_checked({"--inject", "drop:5"});
  EXPECT_EQ(code, 3) << out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      out, m, std::regex(R"(check: FAILED: .* lost (\d+), duplicated 0, wrong 0)")))
      << out;
  EXPECT_GT(std::stoi(m[1]), 0);
  EXPECT_NE(out.find("was acknowledged and the hub does not know it"), std::string::npos) << out;
}

TEST_F(hub_sim_test, the_check_catches_reports_made_twice) {
  auto [code, out] = run_busy_checked({"--inject", "duplicate:4"});
  EXPECT_EQ(code, 3) << out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      out, m, std::regex(R"(check: FAILED: .* lost 0, duplicated (\d+), wrong 0)")))
      << out;
  EXPECT_GT(std::stoi(m[1]), 0);
}

TEST_F(hub_sim_test, the_check_catches_a_hub_restarted_without_its_store) {
  // The first hub keeps the city in memory only; the scenario's restart replaces it with a
  // fresh one on the same port: every case acknowledged before is gone, and the check says so.
  std::optional<child_process> hub;
  auto url = start_hub(hub, {"--time-scale", "600"});
  ASSERT_FALSE(url.empty());
  auto scn = write_file("restart.scn", std::string(busy_scenario) + "\n[run]\nrestart = 08:10\n");
  child_process sim{
      sim_command(url, {"--scenario", scn, "--until-closed", "30", "--check", "--restart-cmd",
                        restart_command(*hub, url, "--time-scale 600"), "--timeout-s", "30"})};
  auto code = sim.finish();
  hub->wait(); // stopped by the restart command
  stop_second_hub();
  EXPECT_EQ(code, 3) << sim.out() << sim.err();
  auto out = sim.out();
  EXPECT_NE(out.find("hub-sim: restart: the command exited with 0"), std::string::npos) << out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(check: FAILED: .* lost (\d+),)"))) << out;
  EXPECT_GT(std::stoi(m[1]), 0);
}

TEST_F(hub_sim_test, sigterm_stops_it_with_0_and_with_check_it_checks_first) {
  std::optional<child_process> hub;
  auto url = start_hub(hub);
  ASSERT_FALSE(url.empty());
  auto scn = write_file("busy.scn", busy_scenario);
  child_process plain{sim_command(url, {"--scenario", scn})};
  ASSERT_TRUE(plain.wait_for_line(std::regex(R"(^t=\d+s )"))) << plain.out() << plain.err();
  plain.signal(SIGTERM);
  EXPECT_EQ(plain.finish(), 0) << plain.out() << plain.err();

  child_process checked{sim_command(url, {"--scenario", scn, "--check"})};
  ASSERT_TRUE(checked.wait_for_line(std::regex(R"(^t=\d+s )"))) << checked.out();
  checked.signal(SIGTERM);
  EXPECT_EQ(checked.finish(), 0) << checked.out() << checked.err();
  EXPECT_NE(checked.out().find("check: passed"), std::string::npos) << checked.out();
}

TEST_F(hub_sim_test, a_hub_restarted_on_its_redis_loses_nothing_and_the_check_passes) {
  // The same restart as above, but both hubs keep the city in a real Redis: the second
  // recovers it, the standing connections subscribe again, and nothing acknowledged is lost.
  redis_server redis;
  ASSERT_TRUE(redis.start()) << redis.why();
  const auto store = "127.0.0.1:" + std::to_string(redis.port());
  std::optional<child_process> hub;
  auto url = start_hub(hub, {"--time-scale", "600", "--redis", store});
  ASSERT_FALSE(url.empty());
  auto scn = write_file("restart.scn", std::string(busy_scenario) + "\n[run]\nrestart = 08:10\n");
  child_process sim{sim_command(
      url, {"--scenario", scn, "--until-closed", "40", "--check", "--restart-cmd",
            restart_command(*hub, url, "--time-scale 600 --redis " + store), "--timeout-s", "40"})};
  auto code = sim.finish();
  hub->wait(); // stopped by the restart command
  stop_second_hub();
  EXPECT_EQ(code, 0) << sim.out() << sim.err();
  auto out = sim.out();
  EXPECT_NE(out.find("hub-sim: restart: the command exited with 0"), std::string::npos) << out;
  EXPECT_NE(out.find("lost 0, duplicated 0, wrong 0"), std::string::npos) << out;
  EXPECT_NE(out.find("check: passed"), std::string::npos) << out;
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
