#include "tests/support/redis_server.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <stdexcept>
#include <string_view>

// The path of redis-server, found at configure time (tests/support/CMakeLists.txt).
#ifndef HUB_REDIS_SERVER
#define HUB_REDIS_SERVER "/usr/bin/redis-server"
#endif

namespace hub::testing {

namespace fs = std::filesystem;

// -- redis_server -----------------------------------------------------------------------------

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    throw std::runtime_error("socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("bind");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

redis_server::redis_server() {
  auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  dir_ = fs::temp_directory_path() /
         ("hub-redis-" + std::to_string(::getpid()) + "-" +
          (test != nullptr ? std::string(test->name()) : std::string("x")));
  fs::remove_all(dir_);
  fs::create_directories(dir_);
}

redis_server::~redis_server() {
  process_.reset(); // SIGKILL and reap
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

bool redis_server::start() {
  if (::access(HUB_REDIS_SERVER, X_OK) != 0) {
    why_ = "redis-server is missing (" HUB_REDIS_SERVER "): the tests that start it need a real "
           "Redis; install it with `apt-get install redis-server`";
    return false;
  }
  if (port_ != 0) // a restart: the same port and directory
    return start_once();
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_port();
    if (start_once())
      return true;
    if (why_.find("Address already in use") == std::string::npos)
      break;
  }
  port_ = 0;
  return false;
}

bool redis_server::start_once() {
  process_ = std::make_unique<child_process>(std::vector<std::string>{
      HUB_REDIS_SERVER, "--port", std::to_string(port_), "--bind", "127.0.0.1", "--dir",
      dir_.string(), "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
      "--daemonize", "no", "--protected-mode", "no", "--logfile", ""});
  if (process_->wait_for("Ready to accept connections", false))
    return true;
  why_ = "redis-server on port " + std::to_string(port_) +
         " did not become ready: " + process_->out() + process_->err();
  process_.reset();
  return false;
}

void redis_server::signal(int sig) {
  if (process_)
    process_->signal(sig);
}

void redis_server::stop(int sig) {
  if (process_) {
    process_->signal(SIGCONT); // a paused one could not exit
    process_->kill_and_wait(sig);
    process_->wait_closed();
    process_.reset();
  }
}

persistence::redis_connection redis_server::connect() const {
  return persistence::redis_connection{address(), std::chrono::milliseconds(5000)};
}

// -- commands ---------------------------------------------------------------------------------

persistence::reply_ptr run(persistence::redis_connection& c, std::vector<std::string> args) {
  std::vector<std::string_view> v(args.begin(), args.end());
  return c.command(v);
}

std::optional<std::string> hget(persistence::redis_connection& c, const std::string& key,
                                const std::string& field) {
  auto r = run(c, {"HGET", key, field});
  if (!r || r->type != REDIS_REPLY_STRING)
    return std::nullopt;
  return std::string(r->str, r->len);
}

long long integer(persistence::redis_connection& c, std::vector<std::string> args) {
  auto r = run(c, std::move(args));
  return r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
}

} // namespace hub::testing
