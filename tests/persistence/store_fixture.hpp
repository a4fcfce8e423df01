#pragma once

// A gtest fixture for the city on a real Redis: each test starts its own redis-server
// (tests/support/redis_server.hpp), and starts the city on CAF's testing scheduler with the
// Redis journal as its store, from what recovery reads. The journal delivers (publishes,
// replies) on its writer thread, so `settle()` alternates running the actors' messages and
// `redis_journal::drain()` until nothing is left: no sleeps, and time moves only when a test
// advances it.

#include "actors/city.hpp"
#include "actors/unit_state.hpp"
#include "persistence/case_archive_store.hpp"
#include "persistence/records.hpp"
#include "persistence/recovery.hpp"
#include "persistence/redis_journal.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/recorder.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/small_city.hpp"

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace hub::testing {

class store_test : public ::testing::Test {
protected:
  /// 2026-11-25 08:00 Beijing time, where the test clock starts.
  static constexpr protocol::timestamp_ms start_wall = 1795564800000;

  store_test();
  ~store_test() override;
  void SetUp() override;

  /// Recovers what Redis holds and starts the city from it, its clock at wall time `wall`.
  /// Fails the test (returns false) when recovery fails.
  bool start_city(protocol::timestamp_ms wall = start_wall);
  /// Stores what is pending, stops the city's actors and the journal (its writer stops after
  /// writing what is queued).
  void stop_city();

  /// Runs the actors' messages and drains the journal until neither has work. False when the
  /// store is disconnected with commits waiting.
  bool settle();
  /// Moves the test clock forward by `d`, firing what falls due, and settles.
  void advance(std::chrono::milliseconds d);

  /// Submits `body` as person `who` (message id `id`, or the next one) and settles; returns
  /// the reply (an internal error when none came).
  protocol::server_message act(protocol::person_id who, protocol::client_body body,
                               const std::shared_ptr<waiting_recorder>& to = nullptr,
                               std::uint64_t id = 0);
  /// Reports a "safety.dispute" case at `unit` as `who`; the case id (0 unless acked).
  protocol::case_id report(protocol::person_id who, protocol::unit_code unit,
                           std::string title = "邻里噪音纠纷");
  protocol::server_message step(protocol::person_id who, protocol::case_id id,
                                protocol::case_action action, protocol::case_act extra = {});
  /// Takes case `id`, reported at `grid`, up to `town` (each level signs, grid and village
  /// escalate), where a whistle can start; every step must be acked.
  void escalate_to_township(protocol::case_id id, protocol::unit_code grid,
                            protocol::unit_code village, protocol::unit_code town);
  /// At `town` (case `id` held there, signed): its module head proposes a whistle to
  /// `departments`, its head approves, and each department reports in and feeds back.
  void whistle_through(protocol::case_id id, protocol::unit_code town,
                       const std::vector<protocol::unit_code>& departments);
  /// Asks each question as its person; the answers as JSON, each result's id and seq set to 0
  /// (so that answers asked at other times compare equal).
  std::vector<std::string>
  answers_to(const std::vector<std::pair<protocol::person_id, protocol::query>>& questions);

  actors::unit_state& state_of(protocol::unit_code code);
  const actors::case_record* find_case(protocol::unit_code holder, protocol::case_id id);
  persistence::store_options store_options() const;
  /// Changes the store's settings before the next start_city (none by default).
  std::function<void(persistence::store_options&)> tune_store;
  /// Set before start_city: ended cases are archived this long after their last step (the
  /// archive's look-ups are run by settle() too); unset: no archive, every case stays.
  std::optional<std::chrono::milliseconds> retain;
  /// Set before start_city: the days the figures keep one by one (`hub serve --figure-days`).
  std::int32_t figure_days = 92;
  /// The unit code of the maker of case or directive `id`.
  protocol::unit_code maker(std::uint64_t id) const;
  /// How many cases made at `unit` Redis holds (read directly from every case bucket).
  long long cases_made_at(persistence::redis_connection& spy, protocol::unit_code unit) const;

  redis_server redis_;
  std::shared_ptr<const protocol::hierarchy> h_;
  std::unique_ptr<caf::actor_system_config> cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  caf::scheduler::test_coordinator* sched_ = nullptr;
  std::shared_ptr<persistence::redis_journal> journal_;
  std::shared_ptr<persistence::case_archive_store> archive_;
  std::unique_ptr<actors::city> city_;
  persistence::recovered recovered_;
  std::shared_ptr<waiting_recorder> replies_ = std::make_shared<waiting_recorder>();
  std::uint64_t next_request_ = 1;
};

} // namespace hub::testing
