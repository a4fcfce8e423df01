#pragma once

// The settings of the Redis store, each with a default that suits one hub on one machine.

#include "persistence/redis_connection.hpp"

#include <chrono>
#include <cstddef>

namespace hub::persistence {

struct store_options {
  redis_address address;
  /// Commits written in one round trip at most (group commit: a batch is whatever queued
  /// while the previous one was being written, up to this).
  std::size_t batch = 2048;
  /// Commits held while Redis is slow or away; past it (or while disconnected) clients' writes
  /// are refused with try_again before anything is applied.
  std::size_t buffer = 100'000;
  /// Events kept in the event stream (resume and audit), approximately.
  std::size_t event_log = 1'000'000;
  /// Answered requests kept for retries across a restart, approximately.
  std::size_t request_log = 1 << 17;
  /// Events handed back to the bus on recovery (resume window).
  std::size_t resume_window = 1 << 16;
  std::chrono::milliseconds timeout{2000}; // connect and every command
  std::chrono::milliseconds reconnect_min{20};
  std::chrono::milliseconds reconnect_max{1000};
};

} // namespace hub::persistence
