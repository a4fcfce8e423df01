// The `hub` executable as users run it: `hub serve` prints where it listens (port 0 picks a
// free one), creates its secret, serves tokens made by `hub token`, and closes every
// connection with going_away on SIGTERM; usage errors exit with 2.

#include "protocol/hierarchy_file.hpp"
#include "tests/support/small_city.hpp"
#include "tests/support/test_client.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>

extern char** environ;

namespace hub::testing {
namespace {

namespace fs = std::filesystem;
using namespace codes;

/// A child process with its stdout and stderr on pipes.
class child {
public:
  explicit child(std::vector<std::string> args) {
    args.insert(args.begin(), HUB_BINARY);
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0)
      throw std::runtime_error("posix_spawn " + args[0]);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    ::close(err[1]);
    out_ = out[0];
    err_ = err[0];
  }

  ~child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(out_);
    ::close(err_);
  }

  /// Reads stdout until a whole line arrives (bounded); empty on timeout or end.
  std::string read_line(std::chrono::milliseconds timeout = patience) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto nl = stdout_.find('\n'); nl != std::string::npos) {
        auto line = stdout_.substr(0, nl);
        stdout_.erase(0, nl + 1);
        return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !pump(out_, stdout_, left)) return {};
    }
  }

  void signal(int sig) { ::kill(pid_, sig); }

  /// Reads everything until both pipes close, then waits for the exit. Returns the exit
  /// status (or 128 + signal).
  int finish() {
    auto deadline = std::chrono::steady_clock::now() + patience;
    bool out_open = true, err_open = true;
    while ((out_open || err_open) && std::chrono::steady_clock::now() < deadline) {
      if (out_open) out_open = pump(out_, stdout_, std::chrono::milliseconds(50));
      if (err_open) err_open = pump(err_, stderr_, std::chrono::milliseconds(50));
    }
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  const std::string& out() const { return stdout_; }
  const std::string& err() const { return stderr_; }

private:
  /// Waits up to `timeout` for data on `fd` and appends it. False when the pipe closed.
  static bool pump(int fd, std::string& into, std::chrono::milliseconds timeout) {
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (r <= 0) return true; // nothing yet
    char buf[4096];
    auto n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return false;
    into.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  pid_t pid_ = 0;
  int out_ = -1;
  int err_ = -1;
  std::string stdout_;
  std::string stderr_;
};

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
        {"token", "--hierarchy", hierarchy_},
        {"token", "--person", "x", "--hierarchy", hierarchy_}}) {
    child c{args};
    EXPECT_EQ(c.finish(), 2) << ::testing::PrintToString(args);
    EXPECT_NE(c.err().find("usage: hub serve"), std::string::npos) << c.err();
  }
}

TEST_F(hub_main_test, a_bad_hierarchy_is_refused_with_its_line_and_field) {
  auto bad = (dir_ / "bad.tsv").string();
  std::ofstream(bad) << "hub-hierarchy\t1\nunit\tx\n";
  child c{{"serve", "--hierarchy", bad, "--port", "0", "--secret-file", (dir_ / "s").string()}};
  EXPECT_EQ(c.finish(), 1);
  EXPECT_NE(c.err().find("line 2"), std::string::npos) << c.err();
}

TEST_F(hub_main_test, serve_prints_its_port_and_token_makes_tokens_it_accepts_until_sigterm) {
  auto secret = (dir_ / "data" / "hub.secret").string();
  child hub{{"serve", "--hierarchy", hierarchy_, "--port", "0", "--secret-file", secret,
             "--threads", "2"}};
  auto line = hub.read_line();
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

  child unknown{{"token", "--hierarchy", hierarchy_, "--person", "999", "--secret-file", secret}};
  EXPECT_EQ(unknown.finish(), 1);
  EXPECT_NE(unknown.err().find("no person 999"), std::string::npos) << unknown.err();

  child token{{"token", "--hierarchy", hierarchy_, "--person", std::to_string(person_at(county, 1)),
               "--secret-file", secret, "--ttl", "600"}};
  ASSERT_EQ(token.finish(), 0) << token.err();
  auto t = token.out().substr(0, token.out().find('\n'));
  ASSERT_FALSE(t.empty());

  EXPECT_EQ(http_request(port, "GET", "/healthz").status, 200);
  test_client c{port, {"/?token=" + t, "", 0}};
  ASSERT_TRUE(c.ok()) << c.status() << " " << c.body();
  EXPECT_TRUE(
      std::holds_alternative<protocol::ack>(c.request({1, protocol::subscribe{county, 0}})));
  test_client refused{port, {"/?token=" + t + "x", "", 0}};
  EXPECT_EQ(refused.status(), 401);

  hub.signal(SIGTERM);
  ASSERT_TRUE(c.wait_closed()) << c.error().message();
  EXPECT_EQ(c.close_reason().code, beast::websocket::close_code::going_away);
  EXPECT_EQ(hub.finish(), 0) << hub.err();
  EXPECT_NE(hub.err().find("SIGTERM"), std::string::npos) << hub.err();

  // A second start reuses the secret: the old token still works.
  child again{{"serve", "--hierarchy", hierarchy_, "--port", "0", "--secret-file", secret}};
  line = again.read_line();
  ASSERT_TRUE(std::regex_search(line, m, std::regex(R"(:(\d+)/ )"))) << line << again.err();
  test_client d{static_cast<std::uint16_t>(std::stoi(m[1])), {"/?token=" + t, "", 0}};
  EXPECT_TRUE(d.ok()) << d.status() << " " << d.body();
  again.signal(SIGINT);
  EXPECT_TRUE(d.wait_closed()) << d.error().message();
  EXPECT_EQ(again.finish(), 0) << again.err();
}

} // namespace
} // namespace hub::testing
