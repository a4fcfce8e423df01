#pragma once

// Child processes for the persistence tests: a real redis-server (Debian's) on a free port in
// its own temporary directory, with AOF on, and the `hub` executable. Each child's stdout and
// stderr are read by threads into buffers a test can wait on (a condition variable: no
// sleeps). Destructors SIGKILL and reap what is still running.

#include "persistence/redis_connection.hpp"

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace hub::testing {

/// How long a test waits for one thing (a process to be ready, a line, a reply).
inline constexpr std::chrono::milliseconds wait_limit{15000};

class child_process {
public:
  /// Spawns `args[0]` with `args`; throws std::runtime_error when it cannot.
  explicit child_process(std::vector<std::string> args);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig);
  /// Sends `sig` and reaps the process; returns its wait status.
  int kill_and_wait(int sig);
  /// Reaps the process (blocking); returns its wait status.
  int wait();
  bool running() const { return pid_ > 0; }

  /// Waits until stdout or stderr (`from_stderr`) contains `text`, the process closed the
  /// stream, or `timeout` passed. True when the text arrived.
  bool wait_for(const std::string& text, bool from_stderr,
                std::chrono::milliseconds timeout = wait_limit);
  /// Waits for the next line of stdout (after those taken before) matching `re`; its match.
  /// (The whole match first, then the groups.)
  std::optional<std::vector<std::string>> wait_for_line(const std::regex& re,
                                           std::chrono::milliseconds timeout = wait_limit);
  /// Waits until both streams are closed (the process and its children exited).
  bool wait_closed(std::chrono::milliseconds timeout = wait_limit);

  std::string out() const;
  std::string err() const;

private:
  void read_into(int fd, int which);

  pid_t pid_ = -1;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::string text_[2]; // stdout, stderr
  bool open_[2] = {true, true};
  std::size_t line_pos_ = 0; // stdout before it was read by wait_for_line
  std::thread readers_[2];
};

/// Debian's redis-server, started by the test on a free port in a temporary directory with
/// `--appendonly yes --appendfsync everysec --save ""`. start() fails (with why()) when the
/// binary is missing or the server does not become ready.
class redis_server {
public:
  redis_server();
  ~redis_server();

  /// Starts on a free port (the first time) or on the same port and directory (a restart).
  bool start();
  /// Stops with `sig` (SIGTERM: a clean shutdown; SIGKILL: a crash) and reaps it.
  void stop(int sig);
  bool running() const { return process_ != nullptr; }

  int port() const { return port_; }
  persistence::redis_address address() const { return {"127.0.0.1", port_}; }
  const std::string& why() const { return why_; }
  const std::filesystem::path& dir() const { return dir_; }

  /// A new connection to it (the test's own, for looking at what is stored).
  persistence::redis_connection connect() const;

private:
  bool start_once();
  std::filesystem::path dir_;
  int port_ = 0;
  std::unique_ptr<child_process> process_;
  std::string why_;
};

/// A free TCP port on 127.0.0.1 (bound and released; a rare race is retried by callers).
int free_port();

/// Runs one command on `c`; the reply (null on a broken connection).
persistence::reply_ptr run(persistence::redis_connection& c, std::vector<std::string> args);
/// The string value of HGET key field, or nullopt when nil.
std::optional<std::string> hget(persistence::redis_connection& c, const std::string& key,
                                const std::string& field);
/// The integer reply of a command (HLEN, XLEN, ...); -1 when it is not an integer.
long long integer(persistence::redis_connection& c, std::vector<std::string> args);

} // namespace hub::testing
