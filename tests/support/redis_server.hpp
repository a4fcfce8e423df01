#pragma once

// A real Redis for tests: Debian's redis-server, started by the test as a child process on a
// free port of 127.0.0.1 in a temporary directory of its own (so tests running in parallel do
// not meet), with AOF on as the hub runs it; and a few commands for looking at what is stored.

#include "persistence/redis_connection.hpp"
#include "tests/support/child_process.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hub::testing {

/// redis-server with `--appendonly yes --appendfsync everysec --save ""`, its directory named
/// after the process and the running gtest test, removed with the server. start() fails (with
/// why()) when the binary is missing or the server does not become ready.
class redis_server {
public:
  redis_server();
  ~redis_server();

  /// Starts on a free port (the first time) or on the same port and directory (a restart).
  bool start();
  /// Stops with `sig` (SIGTERM: a clean shutdown; SIGKILL: a crash) and reaps it.
  void stop(int sig);
  /// Sends `sig` and leaves it running (SIGSTOP: Redis stops answering, its connections stay
  /// open, as a hung server's do; SIGCONT resumes it). Resumed before it is stopped.
  void signal(int sig);
  bool running() const { return process_ != nullptr; }
  pid_t pid() const { return process_ ? process_->pid() : -1; }

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
