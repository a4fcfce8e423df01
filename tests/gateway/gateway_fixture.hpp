#pragma once

// A gtest fixture with the real thing in process: a CAF actor system with two threads, the
// small city of tests/support/small_city.hpp, and the gateway on a free port of 127.0.0.1.
// Tests talk to it over real sockets with test_client; nothing sleeps.

#include "actors/city.hpp"
#include "gateway/config.hpp"
#include "gateway/server.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/recorder.hpp"
#include "tests/support/small_city.hpp"
#include "tests/support/test_client.hpp"

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include <memory>

namespace hub::testing {

class gateway_test : public ::testing::Test {
protected:
  static constexpr std::string_view secret = "the test secret of the gateway's tests";

  gateway_test();
  ~gateway_test() override;

  /// Starts the city and the server; call again (after stop()) for other settings. Tests
  /// that do not call it get the defaults on first use of connect()/port().
  void start(gateway::config cfg = defaults(), actors::city_options city = city_defaults());
  /// Stops the server, then the city.
  void stop();
  static gateway::config defaults();
  static actors::city_options city_defaults();

  std::uint16_t port();

  /// A token for person `who` (valid for an hour, unless `ttl` says otherwise).
  std::string token_for(protocol::person_id who, std::chrono::seconds ttl = std::chrono::hours(1));
  /// A connected client for person `who`; fails the test when the upgrade is refused.
  std::unique_ptr<test_client> connect(protocol::person_id who, bool json = false);
  /// An upgrade attempt with a raw target (and optional Authorization header).
  std::unique_ptr<test_client> try_connect(std::string target, std::string authorization = {});

  /// The next request id for messages built by the test.
  std::uint64_t next_id() { return next_id_++; }
  protocol::client_message msg(protocol::client_body body) { return {next_id(), std::move(body)}; }

  /// Reports `n` cases at `grid` as its grid worker, in process (no rate limit), and waits
  /// until all are acknowledged. Returns the sequence numbers of their report events.
  std::vector<std::uint64_t> report_in_process(protocol::unit_code grid, std::size_t n);

  /// A report of "safety.dispute" at `unit`.
  static protocol::case_report report_at(protocol::unit_code unit);
  /// A case.act on case `id`.
  static protocol::case_act act(protocol::case_id id, protocol::case_action a,
                                std::string note = "note");

  /// A counter's value in the /metrics text ("name{labels}"), or -1 when absent.
  static double metric(const std::string& text, const std::string& series);

  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  std::shared_ptr<const protocol::hierarchy> h_;
  std::unique_ptr<actors::city> city_;
  std::unique_ptr<gateway::server> server_;
  std::uint64_t next_id_ = 1;
};

} // namespace hub::testing
