#include "tests/support/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace hub::testing {

namespace {

/// Runs in the child between fork and exec, so only async-signal-safe calls: the child is
/// killed when the thread that spawned it ends (a crashed test leaves no redis-server or hub
/// behind), its stdout and stderr go to the pipes, and an exec failure's errno goes back
/// through `report` (close-on-exec, so a successful exec closes it empty).
[[noreturn]] void become(char* const* argv, int out, int err, int report, pid_t parent) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent)
    ::_exit(127); // the parent is already gone: nobody would reap or read this child
  if (::dup2(out, 1) < 0 || ::dup2(err, 2) < 0)
    ::_exit(127);
  ::execve(argv[0], argv, environ);
  int code = errno;
  [[maybe_unused]] auto n = ::write(report, &code, sizeof code);
  ::_exit(127);
}

} // namespace

child_process::child_process(std::vector<std::string> args) {
  int out[2], err[2], report[2];
  if (::pipe2(out, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe");
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]), ::close(out[1]);
    throw std::runtime_error("pipe");
  }
  if (::pipe2(report, O_CLOEXEC) != 0) {
    ::close(out[0]), ::close(out[1]), ::close(err[0]), ::close(err[1]);
    throw std::runtime_error("pipe");
  }
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0)
    become(argv.data(), out[1], err[1], report[1], parent);
  int spawn_errno = pid_ < 0 ? errno : 0;
  ::close(out[1]), ::close(err[1]), ::close(report[1]);
  if (pid_ > 0) {
    ssize_t n;
    while ((n = ::read(report[0], &spawn_errno, sizeof spawn_errno)) < 0 && errno == EINTR) {}
    if (n != static_cast<ssize_t>(sizeof spawn_errno))
      spawn_errno = 0; // closed empty: the exec succeeded
    else
      wait();
  }
  ::close(report[0]);
  if (pid_ <= 0 || spawn_errno != 0) {
    ::close(out[0]), ::close(err[0]);
    pid_ = -1;
    throw std::runtime_error("cannot start " + args[0] + ": " + std::strerror(spawn_errno));
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
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {}
    pid_ = -1;
  }
  return status;
}

int child_process::finish(std::chrono::milliseconds timeout) {
  wait_closed(timeout);
  int status = wait();
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool child_process::wait_for(const std::string& text, bool from_stderr,
                             std::chrono::milliseconds timeout) {
  int which = from_stderr ? 1 : 0;
  std::unique_lock<std::mutex> lock{mutex_};
  changed_.wait_for(lock, timeout,
                    [&] { return text_[which].find(text) != std::string::npos || !open_[which]; });
  return text_[which].find(text) != std::string::npos;
}

bool child_process::wait_for_count(const std::string& text, std::size_t times, bool from_stderr,
                                   std::chrono::milliseconds timeout) {
  int which = from_stderr ? 1 : 0;
  auto count = [&] {
    std::size_t n = 0;
    for (auto at = text_[which].find(text); at != std::string::npos && n < times;
         at = text_[which].find(text, at + text.size()))
      ++n;
    return n;
  };
  std::unique_lock<std::mutex> lock{mutex_};
  changed_.wait_for(lock, timeout, [&] { return count() >= times || !open_[which]; });
  return count() >= times;
}

std::optional<std::string>
child_process::next_line_until(std::unique_lock<std::mutex>& lock,
                               std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    auto nl = text_[0].find('\n', line_pos_);
    if (nl != std::string::npos) {
      auto line = text_[0].substr(line_pos_, nl - line_pos_);
      line_pos_ = nl + 1;
      return line;
    }
    if (!open_[0] || changed_.wait_until(lock, deadline) == std::cv_status::timeout)
      return std::nullopt;
  }
}

std::optional<std::string> child_process::next_line(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock{mutex_};
  return next_line_until(lock, std::chrono::steady_clock::now() + timeout);
}

std::optional<std::vector<std::string>>
child_process::wait_for_line(const std::regex& re, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock<std::mutex> lock{mutex_};
  while (auto line = next_line_until(lock, deadline)) {
    std::smatch m;
    if (std::regex_search(*line, m, re)) {
      std::vector<std::string> out;
      for (auto& g : m)
        out.push_back(g.str());
      return out;
    }
  }
  return std::nullopt;
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

} // namespace hub::testing
