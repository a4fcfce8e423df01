// The `hub` executable as users run it: `hub serve` prints where it listens (port 0 picks a
// free one), creates its secret, serves tokens made by `hub token`, and closes every
// connection with going_away on SIGTERM; usage errors exit with 2. At its open-file limit it
// pauses accepting instead of spinning.

#include "gateway/net/secret_file.hpp"
#include "gateway/net/token.hpp"
#include "protocol/hierarchy_file.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/small_city.hpp"
#include "tests/support/test_client.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>

namespace hub::testing {
namespace {

namespace fs = std::filesystem;
using namespace codes;

/// How many times `what` occurs in `text`.
std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

/// The `hub` executable with `args`, as a child_process's command line.
std::vector<std::string> hub_command(std::vector<std::string> args) {
  args.insert(args.begin(), HUB_BINARY);
  return args;
}

class hub_main_test : public ::testing::Test {
protected:
  hub_main_test() {
    dir_ = fs::temp_directory_path() /
           ("hub-main-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    hierarchy_ = (dir_ / "city.tsv").string();
    std::ofstream out(hierarchy_);
    protocol::write_hierarchy(out, *make_small_city());
  }
  ~hub_main_test() override { fs::remove_all(dir_); }

  fs::path dir_;
  std::string hierarchy_;
};

TEST_F(hub_main_test, usage_errors_exit_with_2_and_say_how_to_use_it) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{},
        {"bogus"},
        {"serve"},
        {"serve", "--hierarchy"},
        {"serve", "--hierarchy", hierarchy_, "--port", "http"},
        {"serve", "--hierarchy", hierarchy_, "--port", "70000"},
        {"serve", "--hierarchy", hierarchy_, "--colour", "red"},
        {"serve", "--hierarchy", hierarchy_, "--address", "localhost:1"},
        {"serve", "--hierarchy", hierarchy_, "--figure-days", "0"},
        // The webhook's outbox is in Redis, and it serves the keys' hotline.
        {"serve", "--hierarchy", hierarchy_, "--open311-keys", "k", "--open311-webhook",
         "http://127.0.0.1:9/x"},
        {"serve", "--hierarchy", hierarchy_, "--redis", "127.0.0.1:1", "--open311-webhook",
         "http://127.0.0.1:9/x"},
        {"serve", "--hierarchy", hierarchy_, "--redis", "127.0.0.1:1", "--open311-keys", "k",
         "--open311-webhook", "https://hotline.example/x"},
        {"token", "--hierarchy", hierarchy_},
        {"token", "--person", "x", "--hierarchy", hierarchy_}}) {
    child_process c{hub_command(args)};
    EXPECT_EQ(c.finish(patience), 2) << ::testing::PrintToString(args);
    EXPECT_NE(c.err().find("usage: hub serve"), std::string::npos) << c.err();
  }
}

// `hub token --ttl 0` makes a token that is expired already: what a client writer needs to
// test their expiry handling. The hub refuses it at the upgrade like any expired token.
TEST_F(hub_main_test, token_with_ttl_0_is_expired_at_once) {
  auto secret = (dir_ / "hub.secret").string();
  std::ofstream(secret) << std::string(32, 's');
  child_process token{
      hub_command({"token", "--hierarchy", hierarchy_, "--person",
                   std::to_string(person_at(county, 1)), "--secret-file", secret, "--ttl", "0"})};
  ASSERT_EQ(token.finish(patience), 0) << token.err();
  auto t = token.out().substr(0, token.out().find('\n'));
  auto checked = gateway::token::verify(std::string(32, 's'), t, gateway::token::unix_now());
  auto* failure = std::get_if<gateway::token::error>(&checked);
  ASSERT_NE(failure, nullptr) << "the token is valid";
  EXPECT_EQ(*failure, gateway::token::error::expired);
}

TEST_F(hub_main_test, a_bad_hierarchy_is_refused_with_its_line_and_field) {
  auto bad = (dir_ / "bad.tsv").string();
  std::ofstream(bad) << "hub-hierarchy\t1\nunit\tx\n";
  child_process c{hub_command(
      {"serve", "--hierarchy", bad, "--port", "0", "--secret-file", (dir_ / "s").string()})};
  EXPECT_EQ(c.finish(patience), 1);
  EXPECT_NE(c.err().find("line 2"), std::string::npos) << c.err();
}

TEST_F(hub_main_test, a_secret_shorter_than_32_bytes_is_refused_by_serve_and_token) {
  for (std::size_t bytes : {1u, 31u}) {
    auto secret = (dir_ / ("short-" + std::to_string(bytes))).string();
    std::ofstream(secret) << std::string(bytes, 'k');
    child_process serve{
        hub_command({"serve", "--hierarchy", hierarchy_, "--port", "0", "--secret-file", secret})};
    ASSERT_TRUE(serve.wait_closed(patience)) << "it serves with a short secret: " << serve.out();
    EXPECT_EQ(serve.finish(patience), 1) << serve.out();
    EXPECT_NE(serve.err().find("the secret is " + std::to_string(bytes) +
                               " bytes; at least 32 are needed"),
              std::string::npos)
        << serve.err();
    child_process token{
        hub_command({"token", "--hierarchy", hierarchy_, "--person",
                     std::to_string(person_at(county, 1)), "--secret-file", secret})};
    EXPECT_EQ(token.finish(patience), 1);
    EXPECT_TRUE(token.out().empty()) << "a token was made: " << token.out();
    EXPECT_NE(token.err().find("at least 32"), std::string::npos) << token.err();
  }
}

TEST_F(hub_main_test, serve_prints_its_port_and_token_makes_tokens_it_accepts_until_sigterm) {
  auto secret = (dir_ / "data" / "hub.secret").string();
  child_process hub{hub_command({"serve", "--hierarchy", hierarchy_, "--port", "0", "--secret-file",
                                 secret, "--threads", "2"})};
  auto line = hub.next_line(patience).value_or("");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(
      line, m,
      std::regex(
          R"(hub: listening on ws://127\.0\.0\.1:(\d+)/ \(dashboard http://127\.0\.0\.1:(\d+)/\))")))
      << "'" << line << "' " << hub.err();
  auto port = static_cast<std::uint16_t>(std::stoi(m[1]));
  EXPECT_EQ(m[1], m[2]);

  // The secret was made: 32 bytes, owner only.
  struct stat st {};
  ASSERT_EQ(::stat(secret.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 32);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  child_process unknown{hub_command(
      {"token", "--hierarchy", hierarchy_, "--person", "999", "--secret-file", secret})};
  EXPECT_EQ(unknown.finish(patience), 1);
  EXPECT_NE(unknown.err().find("no person 999"), std::string::npos) << unknown.err();

  child_process token{
      hub_command({"token", "--hierarchy", hierarchy_, "--person",
                   std::to_string(person_at(county, 1)), "--secret-file", secret, "--ttl", "600"})};
  ASSERT_EQ(token.finish(patience), 0) << token.err();
  auto t = token.out().substr(0, token.out().find('\n'));
  ASSERT_FALSE(t.empty());

  EXPECT_EQ(http_request(port, "GET", "/healthz").status, 200);
  test_client c{port, {"/?token=" + t, "", 0}};
  ASSERT_TRUE(c.ok()) << c.status() << " " << c.body();
  EXPECT_TRUE(std::holds_alternative<protocol::ack>(c.request({1, protocol::subscribe{county}})));
  test_client refused{port, {"/?token=" + t + "x", "", 0}};
  EXPECT_EQ(refused.status(), 401);

  hub.signal(SIGTERM);
  ASSERT_TRUE(c.wait_closed()) << c.error().message();
  EXPECT_EQ(c.close_reason().code, beast::websocket::close_code::going_away);
  EXPECT_EQ(hub.finish(patience), 0) << hub.err();
  EXPECT_NE(hub.err().find("SIGTERM"), std::string::npos) << hub.err();

  // A second start reuses the secret: the old token still works.
  child_process again{
      hub_command({"serve", "--hierarchy", hierarchy_, "--port", "0", "--secret-file", secret})};
  line = again.next_line(patience).value_or("");
  ASSERT_TRUE(std::regex_search(line, m, std::regex(R"(:(\d+)/ )"))) << line << again.err();
  test_client d{static_cast<std::uint16_t>(std::stoi(m[1])), {"/?token=" + t, "", 0}};
  EXPECT_TRUE(d.ok()) << d.status() << " " << d.body();
  again.signal(SIGINT);
  EXPECT_TRUE(d.wait_closed()) << d.error().message();
  EXPECT_EQ(again.finish(patience), 0) << again.err();
}

/// CPU seconds (user + system) process `pid` has used so far; -1 when unreadable.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto after_name = stat.rfind(')');
  if (after_name == std::string::npos)
    return -1;
  std::istringstream fields(stat.substr(after_name + 2));
  std::string skip;
  for (int i = 3; i < 14; ++i) // state .. cmajflt: fields 3-13
    fields >> skip;
  unsigned long long utime = 0, stime = 0;
  fields >> utime >> stime;
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// At its open-file limit the hub cannot take new connections: it pauses accepting instead of
// retrying at once (which spun a core and logged 200,000 lines a second), logs at most a line
// a second, counts the failures, keeps serving the connections it has, and takes new ones
// again once descriptors are free.
TEST_F(hub_main_test, out_of_descriptors_it_pauses_accepting_and_recovers) {
  auto secret = (dir_ / "hub.secret").string();
  std::string why, key;
  ASSERT_TRUE(gateway::load_or_create_secret(secret, key, why)) << why;
  // ulimit -n sets the hard limit too: `hub serve` cannot raise it again.
  std::vector<std::string> args{"/bin/sh",
                                "-c",
                                "ulimit -n 64 && exec \"$0\" \"$@\"",
                                HUB_BINARY,
                                "serve",
                                "--hierarchy",
                                hierarchy_,
                                "--port",
                                "0",
                                "--secret-file",
                                secret,
                                "--threads",
                                "2"};
  child_process hub{args};
  auto line = hub.next_line(patience).value_or("");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(line, m, std::regex(R"(:(\d+)/ )"))) << line << hub.err();
  auto port = static_cast<std::uint16_t>(std::stoi(m[1]));
  auto token = gateway::token::issue(key, *make_small_city()->find_person(person_at(county, 1)),
                                     std::chrono::hours(1));
  test_client c{port, {"/?token=" + token, "", 0}};
  ASSERT_TRUE(c.ok()) << c.status() << " " << c.body();
  EXPECT_ACK(c.request({1, protocol::subscribe{county}}));

  // More connections than the limit: the hub takes what it can, the rest wait in the backlog.
  net::io_context ioc;
  std::vector<std::unique_ptr<net::ip::tcp::socket>> flood;
  for (int i = 0; i < 100; ++i) {
    flood.push_back(std::make_unique<net::ip::tcp::socket>(ioc));
    beast::error_code ec;
    flood.back()->connect({net::ip::make_address("127.0.0.1"), port}, ec);
    ASSERT_FALSE(ec) << ec.message();
  }
  ASSERT_TRUE(hub.wait_for("Too many open files", true)) << hub.err();
  auto t0 = std::chrono::steady_clock::now();
  auto cpu0 = cpu_seconds(hub.pid());
  // The connection it has is served meanwhile.
  EXPECT_ACK(c.request({2, protocol::subscribe{grid_a1_1}}));
  // The next line comes a second or more later, and the hub idled in between.
  ASSERT_TRUE(hub.wait_for_count("Too many open files", 2, true)) << hub.err().substr(0, 2000);
  auto wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto cpu = cpu_seconds(hub.pid()) - cpu0;
  EXPECT_GE(wall, 0.9) << "two lines about accept within " << wall << " s";
  EXPECT_LT(cpu, 0.5 * wall) << "the hub used " << cpu << " s of CPU in " << wall << " s";

  // Descriptors free: new connections are taken again.
  flood.clear();
  auto health = http_request(port, "GET", "/healthz");
  EXPECT_EQ(health.status, 200) << hub.err().substr(0, 2000);
  auto metrics = http_request(port, "GET", "/metrics").body;
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::smatch n;
  ASSERT_TRUE(std::regex_search(
      metrics, n, std::regex(R"(hub_accept_errors_total\{reason="descriptors"\} (\d+))")))
      << metrics;
  EXPECT_GE(std::stoul(n[1]), 2u);
  EXPECT_LE(std::stod(n[1]), 10 * (elapsed + 1)) << "accepts retried more than 10 times a second";
  auto err = hub.err();
  EXPECT_LE(static_cast<double>(count_of(err, "hub: accept:")), elapsed + 2) << err.substr(0, 2000);
  EXPECT_ACK(c.request({3, protocol::subscribe{grid_a1_2}}));

  hub.signal(SIGTERM);
  EXPECT_TRUE(c.wait_closed());
  EXPECT_EQ(hub.finish(patience), 0) << hub.err().substr(0, 2000);
}

} // namespace
} // namespace hub::testing
