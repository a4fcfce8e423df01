#pragma once

// A child process for tests that run the real executables (`hub`, redis-server). Its stdout and
// stderr are read by two threads into buffers that a test waits on with a condition variable
// (no sleeps, no polling), each wait bounded by a timeout so that a hang becomes a failure.
// The destructor SIGKILLs and reaps the process if it still runs; if the test process dies
// first (a crash, a kill), the kernel SIGKILLs the child too (PR_SET_PDEATHSIG).

#include "tests/support/limits.hpp"

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace hub::testing {

class child_process {
public:
  /// Spawns `args[0]` (a path, not searched for) with `args`, in this process's environment;
  /// throws std::runtime_error when it cannot. The child is SIGKILLed when the thread that
  /// spawned it ends, so spawn only from a thread that outlives the child (a test's own).
  explicit child_process(std::vector<std::string> args);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  void signal(int sig);
  /// Sends `sig` and reaps the process; returns its wait status.
  int kill_and_wait(int sig);
  /// Reaps the process (blocking); returns its wait status.
  int wait();
  /// Waits until both streams are closed (bounded by `timeout`), then reaps the process
  /// (blocking). Returns its exit code, or 128 + the signal that ended it.
  int finish(std::chrono::milliseconds timeout = wait_limit);

  /// Waits until stdout or stderr (`from_stderr`) contains `text`, the process closed the
  /// stream, or `timeout` passed. True when the text arrived.
  bool wait_for(const std::string& text, bool from_stderr,
                std::chrono::milliseconds timeout = wait_limit);
  /// The same until `text` occurred `times` times.
  bool wait_for_count(const std::string& text, std::size_t times, bool from_stderr,
                      std::chrono::milliseconds timeout = wait_limit);
  /// The next whole line of stdout (after those taken before, here or by wait_for_line),
  /// without its newline; nullopt when none completes within `timeout` or stdout closed.
  std::optional<std::string> next_line(std::chrono::milliseconds timeout = wait_limit);
  /// Takes lines of stdout as next_line() does until one matches `re`; its match (the whole
  /// match first, then the groups), or nullopt when none did within `timeout`.
  std::optional<std::vector<std::string>>
  wait_for_line(const std::regex& re, std::chrono::milliseconds timeout = wait_limit);
  /// Waits until both streams are closed (the process and its children exited).
  bool wait_closed(std::chrono::milliseconds timeout = wait_limit);

  /// All of stdout / stderr so far.
  std::string out() const;
  std::string err() const;

private:
  void read_into(int fd, int which);
  /// next_line() with an absolute deadline; `lock` holds mutex_.
  std::optional<std::string> next_line_until(std::unique_lock<std::mutex>& lock,
                                             std::chrono::steady_clock::time_point deadline);

  pid_t pid_ = -1;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::string text_[2]; // stdout, stderr
  bool open_[2] = {true, true};
  std::size_t line_pos_ = 0; // where the next line of stdout starts
  std::thread readers_[2];
};

} // namespace hub::testing
