#include "tests/persistence/processes.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

extern char** environ;

#ifndef HUB_REDIS_SERVER
#define HUB_REDIS_SERVER "/usr/bin/redis-server"
#endif

namespace hub::testing {

namespace fs = std::filesystem;

// -- child_process ----------------------------------------------------------------------------

child_process::child_process(std::vector<std::string> args) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe");
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]), ::close(out[1]);
    throw std::runtime_error("pipe");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    ::close(out[0]), ::close(err[0]);
    pid_ = -1;
    throw std::runtime_error("cannot start " + args[0] + ": " + std::strerror(rc));
  }
  readers_[0] = std::thread([this, fd = out[0]] { read_into(fd, 0); });
  readers_[1] = std::thread([this, fd = err[0]] { read_into(fd, 1); });
}

child_process::~child_process() {
  if (pid_ > 0)
    kill_and_wait(SIGKILL);
  for (auto& t : readers_)
    if (t.joinable())
      t.join();
}

void child_process::read_into(int fd, int which) {
  char buf[8192];
  for (;;) {
    auto n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    std::lock_guard<std::mutex> guard{mutex_};
    if (n <= 0) {
      open_[which] = false;
      changed_.notify_all();
      break;
    }
    text_[which].append(buf, static_cast<std::size_t>(n));
    changed_.notify_all();
  }
  ::close(fd);
}

void child_process::signal(int sig) {
  if (pid_ > 0)
    ::kill(pid_, sig);
}

int child_process::kill_and_wait(int sig) {
  signal(sig);
  return wait();
}

int child_process::wait() {
  int status = 0;
  if (pid_ > 0) {
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
  return status;
}

bool child_process::wait_for(const std::string& text, bool from_stderr,
                             std::chrono::milliseconds timeout) {
  int which = from_stderr ? 1 : 0;
  std::unique_lock<std::mutex> lock{mutex_};
  changed_.wait_for(lock, timeout, [&] {
    return text_[which].find(text) != std::string::npos || !open_[which];
  });
  return text_[which].find(text) != std::string::npos;
}

std::optional<std::vector<std::string>> child_process::wait_for_line(
    const std::regex& re, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock<std::mutex> lock{mutex_};
  for (;;) {
    auto nl = text_[0].find('\n', line_pos_);
    if (nl != std::string::npos) {
      auto line = text_[0].substr(line_pos_, nl - line_pos_);
      line_pos_ = nl + 1;
      std::smatch m;
      if (std::regex_search(line, m, re)) {
        std::vector<std::string> out;
        for (auto& g : m)
          out.push_back(g.str());
        return out;
      }
      continue;
    }
    if (!open_[0] ||
        changed_.wait_until(lock, deadline) == std::cv_status::timeout)
      return std::nullopt;
  }
}

bool child_process::wait_closed(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock{mutex_};
  return changed_.wait_for(lock, timeout, [&] { return !open_[0] && !open_[1]; });
}

std::string child_process::out() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return text_[0];
}

std::string child_process::err() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return text_[1];
}

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
    why_ = "redis-server is missing (" HUB_REDIS_SERVER "): the persistence tests need a real "
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
  why_ = "redis-server on port " + std::to_string(port_) + " did not become ready: " +
         process_->out() + process_->err();
  process_.reset();
  return false;
}

void redis_server::stop(int sig) {
  if (process_) {
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
