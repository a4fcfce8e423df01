#pragma once

// A gtest fixture for the city of actors on CAF's testing scheduler: messages run only when
// the test drains them, and time moves only when the test advances it. No sleeps anywhere.

#include "actors/city.hpp"
#include "actors/unit_state.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/recorder.hpp"
#include "tests/support/small_city.hpp"

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <gtest/gtest.h>

#include <map>
#include <memory>

namespace hub::testing {

class city_test : public ::testing::Test {
protected:
  /// 2026-11-25 08:00 Beijing time, where the test clock starts.
  static constexpr protocol::timestamp_ms start_wall = 1795564800000;

  /// On `h` (by default the small city).
  explicit city_test(std::shared_ptr<const protocol::hierarchy> h = make_small_city()) {
    cfg_.set("scheduler.policy", caf::atom("testing"));
    cfg_.set("logger.console", caf::atom("none"));
    sys_ = std::make_unique<caf::actor_system>(cfg_);
    sched_ = &dynamic_cast<caf::scheduler::test_coordinator&>(sys_->scheduler());
    h_ = std::move(h);
    actors::city_options opts;
    opts.wall_now = start_wall;
    opts.flush_interval = std::chrono::milliseconds(1000);
    city_ = std::make_unique<actors::city>(*sys_, h_, opts);
  }

  ~city_test() override {
    city_.reset();
    drain();
  }

  /// Runs every queued message (timers do not fire).
  void drain() {
    while (sched_->try_run_once()) {
      // nop
    }
  }

  /// Moves the clock forward by `d`, firing what falls due, and drains.
  void advance(std::chrono::milliseconds d) {
    sched_->advance_time(d);
    drain();
  }

  /// Submits `body` as person `who` and drains; returns the reply.
  protocol::server_message act(protocol::person_id who, protocol::client_body body,
                               const std::shared_ptr<recorder>& to = nullptr) {
    auto* p = h_->find_person(who);
    EXPECT_NE(p, nullptr) << "no person " << who;
    auto id = next_request_++;
    auto sink = to ? to : replies_;
    city_->submit(actors::principal::of(*p), {id, std::move(body)}, sink);
    drain();
    auto r = sink->reply_to(id);
    EXPECT_TRUE(r.has_value()) << "no reply to request " << id;
    return r.value_or(protocol::error{id, protocol::errc::internal, "no reply"});
  }

  /// Reports a case of "safety.dispute" at `unit` as `who`; fails the test unless acked.
  protocol::case_id report(protocol::person_id who, protocol::unit_code unit,
                           protocol::urgency u = protocol::urgency::normal) {
    protocol::case_report r;
    r.unit = unit;
    r.category = "safety.dispute";
    r.level = u;
    r.title = "邻里噪音纠纷";
    auto reply = act(who, r);
    auto* a = std::get_if<protocol::ack>(&reply);
    EXPECT_NE(a, nullptr) << describe(reply);
    return a != nullptr ? a->case_ref : 0;
  }

  /// Takes `action` on case `id` as `who` with optional extras; returns the reply.
  protocol::server_message step(protocol::person_id who, protocol::case_id id,
                                protocol::case_action action, protocol::case_act extra = {}) {
    extra.id = id;
    extra.action = action;
    if (extra.note.empty())
      extra.note = "note";
    return act(who, extra);
  }

  /// The state of the actor of `code` (safe: the testing scheduler runs nothing meanwhile).
  actors::unit_state& state_of(protocol::unit_code code) {
    auto* a = caf::actor_cast<caf::abstract_actor*>(city_->actor_of(code));
    auto* s = dynamic_cast<actors::unit_actor::stateful_pointer<actors::unit_state>>(a);
    if (s == nullptr)
      throw std::logic_error("no unit actor " + std::to_string(code));
    return s->state;
  }

  /// The case `id` wherever it is held now, or nullptr.
  const actors::case_record* find_case(protocol::unit_code holder, protocol::case_id id) {
    auto& cases = state_of(holder).cases_;
    auto i = cases.find(id);
    return i == cases.end() ? nullptr : &i->second;
  }

  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  caf::scheduler::test_coordinator* sched_ = nullptr;
  std::shared_ptr<const protocol::hierarchy> h_;
  std::unique_ptr<actors::city> city_;
  std::shared_ptr<recorder> replies_ = std::make_shared<recorder>();
  std::uint64_t next_request_ = 1;
};

} // namespace hub::testing
