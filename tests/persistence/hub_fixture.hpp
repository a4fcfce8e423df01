#pragma once

// A gtest fixture for tests that run the `hub` executable itself on a real Redis: each test
// starts its own redis-server, writes the small city's hierarchy and a secret to a directory
// of its own, and starts `hub serve --redis` (port 0) as a child process, as users run it.

#include "actors/case_record.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/small_city.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace hub::testing {

class hub_process_test : public ::testing::Test {
protected:
  void SetUp() override;
  void TearDown() override;

  /// `hub serve` on the test's Redis with its files, port 0 unless `extra` says otherwise.
  std::vector<std::string> serve_command(std::vector<std::string> extra = {}) const;
  /// Starts `hub serve` as hub_; its port (0, and a test failure, when it did not start).
  std::uint16_t start_hub();
  /// The port printed by `hub` on its "listening" line (0 when none came).
  static std::uint16_t port_of(child_process& hub);

  std::string token_for(protocol::person_id id);
  /// Every case stored in Redis, read directly: case id -> record; the hot ones (what recovery
  /// reads), or with `archived` those in the archive.
  std::map<protocol::case_id, actors::case_record> stored_cases(bool archived = false);

  std::shared_ptr<const protocol::hierarchy> h_ = make_small_city();
  redis_server redis_;
  std::string dir_, hierarchy_file_, secret_file_, secret_;
  std::unique_ptr<child_process> hub_;
  std::vector<std::string> serve_extra_; // more arguments for start_hub's `hub serve`
};

} // namespace hub::testing
