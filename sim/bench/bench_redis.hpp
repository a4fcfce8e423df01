#pragma once

// The Redis the store benchmarks write to (hub-store-bench, hub-bench --only year): a private
// redis-server on a free port (AOF on, fsync every second, in a temporary directory, as
// `./dev.sh run` starts its own), and the few direct commands they need beside the journal.

#include "persistence/redis_connection.hpp"

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace hub::bench {

/// A redis-server of our own, stopped (and its directory removed) on destruction. Throws
/// std::runtime_error when it cannot be started or does not answer within 10 s.
class private_redis {
public:
  private_redis();
  ~private_redis();
  private_redis(const private_redis&) = delete;
  private_redis& operator=(const private_redis&) = delete;
  int port() const { return port_; }

private:
  pid_t pid_ = 0;
  int port_ = 0;
  std::filesystem::path dir_;
};

/// Empties the store at `at` (FLUSHALL); throws when it fails.
void flushall(const persistence::redis_address& at);

/// The bytes of every key but the archive's cases and directives (`hub:archive:cases:*`,
/// `hub:archive:directives:*`), each measured exactly (`MEMORY USAGE key SAMPLES 0`): what
/// the hot state, the logs and the figures take. -1 when it cannot be read.
std::int64_t hot_key_bytes(const persistence::redis_address& at);

/// A field of Redis's INFO (e.g. "used_memory") as a number; -1 when it cannot be read.
std::int64_t redis_info_number(persistence::redis_connection& c, const std::string& field);

} // namespace hub::bench
