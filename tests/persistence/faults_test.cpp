// The journal when things go wrong: deadlines that passed while the hub was down, a stale
// writer, and Redis going away and coming back.

#include "tests/persistence/compare.hpp"
#include "tests/persistence/store_fixture.hpp"

#include <signal.h>

namespace hub::testing {
namespace {

using protocol::case_action;
using protocol::deadline_colour;
using protocol::errc;
using namespace codes;
using std::chrono::hours;
using std::chrono::minutes;

constexpr auto P = person_at;
constexpr protocol::timestamp_ms hour_ms = 3600 * 1000;

class faults_test : public store_test {
protected:
  std::optional<actors::case_record> stored_case(persistence::redis_connection& spy,
                                                 protocol::case_id id) {
    auto v = hget(spy, persistence::keys::case_hash(id), std::to_string(id));
    if (!v)
      return std::nullopt;
    return persistence::decode_case(*v);
  }
};

// Deadlines are re-armed from the stored times: a case whose sign limit (2 h) passed while
// the hub was down for 3 h turns red with an automatic reminder as soon as the recovered
// city's clock runs, and that reminder is stored; a signed case (1 day from signing) is not
// touched and turns yellow at 80 % of its day counted from the stored signing time, not from
// the restart.
TEST_F(faults_test, a_deadline_that_passed_while_the_hub_was_down_fires_at_once) {
  ASSERT_TRUE(start_city());
  auto late = report(P(grid_a1_1, 2), grid_a1_1);
  auto signed_case = report(P(grid_a1_2, 2), grid_a1_2);
  EXPECT_ACK(step(P(grid_a1_2, 2), signed_case, case_action::sign));
  EXPECT_EQ(find_case(grid_a1_1, late)->deadline, start_wall + 2 * hour_ms);
  stop_city();

  ASSERT_TRUE(start_city(start_wall + 3 * hour_ms)); // down for three hours
  auto watch = std::make_shared<waiting_recorder>();
  EXPECT_ACK(act(P(village_a1, 1), protocol::subscribe{village_a1}, watch));
  advance(std::chrono::milliseconds(0)); // fires what is due now, and only that
  const auto* c = find_case(grid_a1_1, late);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->colour, deadline_colour::red);
  ASSERT_EQ(c->history.size(), 2u);
  EXPECT_EQ(c->history.back().action, case_action::remind);
  EXPECT_EQ(c->history.back().at, start_wall + 3 * hour_ms);
  EXPECT_EQ(state_of(grid_a1_1).own_.red, 1u);
  auto events = watch->all<protocol::case_event>();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].id, late);
  EXPECT_EQ(events[0].action, case_action::remind);
  EXPECT_EQ(events[0].by, 0u);
  auto spy = redis_.connect();
  auto stored = stored_case(spy, late);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->history.size(), 2u);
  EXPECT_EQ(stored->colour, deadline_colour::red);

  // The signed case: its day started at start_wall; 80 % of it is start_wall + 19.2 h.
  EXPECT_EQ(find_case(grid_a1_2, signed_case)->colour, deadline_colour::green);
  advance(hours(16)); // start_wall + 19 h
  EXPECT_EQ(find_case(grid_a1_2, signed_case)->colour, deadline_colour::green);
  advance(minutes(15)); // start_wall + 19.25 h (re-armed from the restart it would be 22.2 h)
  EXPECT_EQ(find_case(grid_a1_2, signed_case)->colour, deadline_colour::yellow);
  EXPECT_EQ(state_of(grid_a1_2).own_.yellow, 1u);
}

// A stale writer is fenced off: once another hub has taken the store over (recovery takes
// a new writer epoch), this hub's next write is refused whole — its client is answered
// errc::conflict — and Redis keeps what the newer hub wrote; this hub then accepts no more
// writes, every one refused with conflict too (try_again would never succeed here), and what
// it refuses is not stored either.
TEST_F(faults_test, a_stale_hub_is_refused_with_conflict_and_the_newer_record_kept) {
  ASSERT_TRUE(start_city());
  auto id = report(P(grid_a1_1, 2), grid_a1_1);
  EXPECT_ACK(step(P(grid_a1_1, 2), id, case_action::sign));
  auto spy = redis_.connect();
  auto v2 = hget(spy, persistence::keys::case_hash(id), std::to_string(id));
  ASSERT_TRUE(v2.has_value());
  ASSERT_EQ(persistence::version_of(*v2), 2u);
  EXPECT_TRUE(journal_->accepting());

  // Another hub starts on the same store (recovery takes the writer epoch) and stores a
  // newer version of the case.
  auto other = persistence::recover(*h_, store_options());
  ASSERT_TRUE(std::holds_alternative<persistence::recovered>(other))
      << std::get<std::string>(other);
  EXPECT_GT(std::get<persistence::recovered>(other).epoch, recovered_.epoch);
  auto newer = *find_case(grid_a1_1, id);
  newer.title = "written by another hub";
  auto v10 = persistence::encode_value(newer, 10);
  run(spy, {"HSET", persistence::keys::case_hash(id), std::to_string(id), v10});

  // This hub's next step loses: conflict, nothing written.
  EXPECT_REFUSED(step(P(grid_a1_1, 2), id, case_action::resolve), errc::conflict);
  EXPECT_EQ(hget(spy, persistence::keys::case_hash(id), std::to_string(id)), v10);
  EXPECT_GE(journal_->stats().conflicts, 1u);
  EXPECT_FALSE(journal_->accepting());
  EXPECT_EQ(journal_->status().fenced, actors::fence::superseded);
  // And it takes no more writes: each refused with conflict before anything is applied or
  // stored, saying why.
  for (int i = 0; i < 3; ++i) {
    auto reply = act(P(grid_a1_2, 2), [] {
      protocol::case_report r;
      r.unit = grid_a1_2;
      r.category = "safety.dispute";
      r.title = "after the takeover";
      return r;
    }());
    EXPECT_REFUSED(reply, errc::conflict);
    if (auto* e = std::get_if<protocol::error>(&reply)) {
      EXPECT_NE(e->message.find("another hub process took over the store"), std::string::npos)
          << e->message;
    }
  }
  EXPECT_REFUSED(step(P(grid_a1_1, 2), id, case_action::resolve), errc::conflict);
  EXPECT_EQ(cases_made_at(spy, grid_a1_2), 0);
}

// A store that lost its data under a running hub (emptied, or restarted without persistence)
// holds no writer epoch: the hub does not write into it as if nothing happened — the step is
// refused with conflict, saying why, nothing is stored, and no more writes are taken.
TEST_F(faults_test, a_store_that_lost_its_data_is_not_written_over) {
  ASSERT_TRUE(start_city());
  auto id = report(P(grid_a1_1, 2), grid_a1_1);
  ASSERT_NE(id, 0u);
  auto spy = redis_.connect();
  run(spy, {"FLUSHALL"});
  auto reply = step(P(grid_a1_1, 2), id, case_action::sign);
  EXPECT_REFUSED(reply, errc::conflict);
  auto* e = std::get_if<protocol::error>(&reply);
  ASSERT_NE(e, nullptr);
  EXPECT_NE(e->message.find("lost its data"), std::string::npos) << e->message;
  EXPECT_FALSE(hget(spy, persistence::keys::case_hash(id), std::to_string(id)).has_value());
  EXPECT_FALSE(journal_->accepting());
  EXPECT_EQ(journal_->status().fenced, actors::fence::emptied);
  EXPECT_REFUSED(step(P(grid_a1_1, 2), id, case_action::sign), errc::conflict);
}

// Redis killed: the first write that fails turns the journal away (accepting() false) and is
// held, not acknowledged; later client writes are answered try_again and change nothing;
// subscriptions and resume still work. Redis restarted on the same port and directory (its
// AOF): the journal reconnects by itself, stores the held write and acknowledges it, and new
// writes succeed. Every acknowledged case is in Redis; the refused one is not.
TEST_F(faults_test, while_redis_is_down_writes_are_refused_and_held_writes_are_stored_after) {
  ASSERT_TRUE(start_city());
  auto watch = std::make_shared<waiting_recorder>();
  EXPECT_ACK(act(P(county, 1), protocol::subscribe{county}, watch));
  ASSERT_NE(report(P(grid_a1_1, 2), grid_a1_1, "A0"), 0u);
  auto a = report(P(grid_a1_1, 2), grid_a1_1, "A");
  ASSERT_NE(a, 0u);
  auto seq_a = city_->events().last_seq();
  EXPECT_TRUE(journal_->accepting());

  redis_.stop(SIGKILL);
  EXPECT_TRUE(journal_->accepting()); // nothing has failed yet

  // B is applied by its unit and committed; the write fails: held, not acknowledged.
  protocol::case_report b;
  b.unit = grid_a1_2;
  b.category = "safety.dispute";
  b.title = "B";
  auto b_sink = std::make_shared<waiting_recorder>();
  city_->submit(actors::principal::of(*h_->find_person(P(grid_a1_2, 2))), {700, b}, b_sink);
  EXPECT_FALSE(settle()); // drain() gives up: disconnected with B waiting
  EXPECT_FALSE(journal_->accepting());
  EXPECT_FALSE(journal_->stats().connected);
  EXPECT_FALSE(b_sink->reply_to(700).has_value());
  EXPECT_EQ(city_->events().last_seq(), seq_a); // B not published either

  // C is refused before anything is applied.
  protocol::case_report c = b;
  c.unit = grid_b1_1;
  c.title = "C";
  EXPECT_REFUSED(act(P(grid_b1_1, 2), c), errc::try_again);
  EXPECT_TRUE(state_of(grid_b1_1).cases_.empty());
  EXPECT_EQ(state_of(grid_b1_1).own_.reported, 0u);
  // Nor does a step on a stored case go through.
  EXPECT_REFUSED(step(P(grid_a1_1, 2), a, case_action::sign), errc::try_again);
  EXPECT_EQ(find_case(grid_a1_1, a)->history.size(), 1u);

  // Reads go on: a subscription is answered, and a resume replays A's event.
  auto reader = std::make_shared<waiting_recorder>();
  EXPECT_ACK(act(P(county, 1), protocol::subscribe{county, seq_a - 1}, reader));
  auto replayed = reader->all<protocol::case_event>();
  ASSERT_EQ(replayed.size(), 1u);
  EXPECT_EQ(replayed[0].id, a);

  ASSERT_TRUE(redis_.start()) << redis_.why(); // same port, same directory
  auto spy = redis_.connect();
  ASSERT_TRUE(spy.ok()) << spy.error();
  EXPECT_TRUE(hget(spy, persistence::keys::case_hash(a), std::to_string(a)).has_value())
      << "A was acknowledged, so it must be in the AOF";
  // The journal reconnects with its backoff; B's ack is the event that says it did.
  auto b_reply = b_sink->reply_to(700, wait_limit);
  ASSERT_TRUE(b_reply.has_value()) << "the held write was not stored after Redis came back";
  auto* b_ack = std::get_if<protocol::ack>(&*b_reply);
  ASSERT_NE(b_ack, nullptr) << describe(*b_reply);
  EXPECT_TRUE(settle());
  EXPECT_TRUE(journal_->accepting());
  EXPECT_TRUE(
      hget(spy, persistence::keys::case_hash(b_ack->case_ref), std::to_string(b_ack->case_ref)));
  EXPECT_EQ(b_ack->seq, seq_a + 1);
  auto seen = watch->all<protocol::case_event>();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen.back().id, b_ack->case_ref);

  auto d = report(P(grid_b1_1, 2), grid_b1_1, "D");
  ASSERT_NE(d, 0u);
  EXPECT_ACK(step(P(grid_a1_1, 2), a, case_action::sign));
  long long stored = 0;
  for (auto grid : {grid_a1_1, grid_a1_2, grid_b1_1})
    stored += cases_made_at(spy, grid);
  EXPECT_EQ(stored, 4); // A0, A, B and D; C was never applied
  EXPECT_TRUE(hget(spy, persistence::keys::case_hash(d), std::to_string(d)).has_value());
  EXPECT_EQ(persistence::version_of(*hget(spy, persistence::keys::case_hash(a), std::to_string(a))),
            2u);
  EXPECT_GE(journal_->stats().failures, 1u);
}

// With Redis up but behind (here paused: it answers nothing for a while, less than the
// store's time-out, so the hub stays connected), commits wait; once `buffer` of them wait,
// writes are refused with try_again before anything is applied, as while Redis is away. When
// Redis catches up, the waiting writes are stored and acknowledged, and writes go through.
TEST_F(faults_test, a_store_too_far_behind_refuses_writes_with_try_again_while_connected) {
  tune_store = [](persistence::store_options& o) {
    o.buffer = 2;
    o.timeout = std::chrono::seconds(30);
  };
  ASSERT_TRUE(start_city());
  auto spy = redis_.connect();
  ASSERT_TRUE(spy.ok()) << spy.error();
  auto paused = run(spy, {"CLIENT", "PAUSE", "2000", "ALL"});
  ASSERT_TRUE(paused && paused->type == REDIS_REPLY_STATUS);
  auto waiting = std::make_shared<waiting_recorder>();
  std::vector<std::uint64_t> sent;
  std::size_t refused = 0;
  for (std::uint64_t id = 800; id < 812; ++id) {
    protocol::case_report r;
    r.unit = grid_a1_1;
    r.category = "safety.dispute";
    r.title = "behind " + std::to_string(id);
    city_->submit(actors::principal::of(*h_->find_person(P(grid_a1_1, 2))), {id, r}, waiting);
    while (sched_->try_run_once()) {
      // the unit applies it, or refuses it at once; the journal's writer is stuck meanwhile
    }
    auto reply = waiting->reply_to(id);
    if (reply) {
      EXPECT_REFUSED(*reply, errc::try_again);
      refused += 1;
    } else {
      sent.push_back(id);
    }
    EXPECT_TRUE(journal_->stats().connected);
  }
  EXPECT_GT(refused, 0u) << "nothing refused with " << sent.size() << " commits waiting";
  EXPECT_EQ(state_of(grid_a1_1).cases_.size(), sent.size()); // refused ones: nothing applied
  for (auto id : sent) {
    auto reply = waiting->reply_to(id, wait_limit);
    ASSERT_TRUE(reply.has_value()) << "held write " << id << " never stored";
    EXPECT_ACK(*reply);
  }
  EXPECT_TRUE(settle());
  EXPECT_TRUE(journal_->accepting());
  EXPECT_NE(report(P(grid_a1_1, 2), grid_a1_1, "after"), 0u);
}

// A summoned department's step is stored twice, in two batches: with the case by its township
// (which decides the step, publishes it and acknowledges it), then with the department's own
// task and figures. A crash between them leaves the task behind, and recovery makes it good:
// the task takes the case's stage and the department's figures count what the step would
// have. A department whose task was never stored gets it rebuilt from the case (summoned when
// the whistle was approved, its report-in deadline from the category), and a case whose entry
// lags the task (stores written when the department's write came first) takes the task's
// stage. All three departments then carry on as if nothing had happened.
TEST_F(faults_test, a_crash_between_a_townships_write_and_its_departments_is_made_good) {
  ASSERT_TRUE(start_city());
  auto id = report(P(grid_a1_1, 2), grid_a1_1);
  ASSERT_NE(id, 0u);
  escalate_to_township(id, grid_a1_1, village_a1, town_a);
  protocol::case_act whistle;
  whistle.departments = {police, housing, environment};
  EXPECT_ACK(step(P(town_a, 4), id, case_action::propose_whistle, whistle));
  advance(minutes(5));
  EXPECT_ACK(step(P(town_a, 1), id, case_action::approve_whistle));
  advance(minutes(5));
  EXPECT_ACK(step(P(police, 2), id, case_action::report_in));
  EXPECT_ACK(step(P(environment, 2), id, case_action::report_in));
  const auto housing_task = state_of(housing).tasks_.at(id);
  const auto police_task = state_of(police).tasks_.at(id);
  const auto police_own = state_of(police).own_;
  ASSERT_EQ(police_own.responded, 1u);
  stop_city();

  // The crash's leftovers: housing's task never stored; police's task and figures stored as
  // before its report-in (the case has it); the case's entry for environment lagging its task.
  auto spy = redis_.connect();
  auto gone = spy.command({"HDEL", persistence::keys::tasks(housing), std::to_string(id)});
  ASSERT_TRUE(gone && gone->type == REDIS_REPLY_INTEGER && gone->integer == 1);
  auto rewrite = [&](const std::string& key, const std::string& field, const actors::record& r) {
    auto version = persistence::version_of(*hget(spy, key, field));
    auto put = spy.command({"HSET", key, field, persistence::encode_value(r, version)});
    ASSERT_TRUE(put && put->type == REDIS_REPLY_INTEGER);
  };
  auto lagging = police_task;
  lagging.task.at = actors::whistle_task::stage::summoned;
  rewrite(persistence::keys::tasks(police), std::to_string(id),
          actors::task_record{id, police, lagging});
  auto police_record =
      persistence::decode_unit(*hget(spy, persistence::keys::units, std::to_string(police)));
  police_record.counters.responded -= 1;
  rewrite(persistence::keys::units, std::to_string(police), police_record);
  auto c = stored_case(spy, id);
  ASSERT_TRUE(c.has_value());
  ASSERT_EQ(c->whistle.size(), 3u);
  for (auto& w : c->whistle)
    if (w.department == environment) {
      ASSERT_EQ(w.at, actors::whistle_task::stage::reported_in);
      w.at = actors::whistle_task::stage::summoned;
    }
  rewrite(persistence::keys::case_hash(id), std::to_string(id), *c);

  ASSERT_TRUE(start_city(start_wall + 10 * 60 * 1000));
  EXPECT_EQ(recovered_.tasks, 3u);
  ASSERT_EQ(state_of(housing).tasks_.count(id), 1u) << "the lost task was not rebuilt";
  expect_same(state_of(housing).tasks_.at(id), housing_task);
  expect_same(state_of(police).tasks_.at(id), police_task);
  EXPECT_EQ(state_of(police).own_.responded, police_own.responded) << "the figures lag the task";
  const auto* held = find_case(town_a, id);
  ASSERT_NE(held, nullptr);
  for (auto& w : held->whistle) {
    if (w.department == environment) {
      EXPECT_EQ(w.at, actors::whistle_task::stage::reported_in) << "the case lags its task";
    }
  }

  EXPECT_ACK(step(P(police, 1), id, case_action::feedback));
  EXPECT_ACK(step(P(environment, 1), id, case_action::feedback));
  EXPECT_ACK(step(P(housing, 2), id, case_action::report_in));
  EXPECT_ACK(step(P(housing, 1), id, case_action::feedback));
  EXPECT_EQ(find_case(town_a, id)->state, protocol::case_state::whistle_blown);
  EXPECT_ACK(step(P(town_a, 2), id, case_action::resolve));
  EXPECT_EQ(find_case(town_a, id)->state, protocol::case_state::resolved);
  EXPECT_EQ(state_of(police).own_.resolved, 1u);
}

// A stored record that does not fit the hierarchy (here a case held by a unit it lacks) is
// refused at recovery with the key and field at fault, and no city starts from it.
TEST_F(faults_test, a_record_naming_a_unit_the_hierarchy_lacks_is_refused_with_its_place) {
  ASSERT_TRUE(start_city());
  auto id = report(P(grid_a1_1, 2), grid_a1_1);
  ASSERT_NE(id, 0u);
  stop_city();
  auto spy = redis_.connect();
  auto c = stored_case(spy, id);
  ASSERT_TRUE(c.has_value());
  c->holder = 411599;
  const auto key = persistence::keys::case_hash(id);
  const auto field = std::to_string(id);
  auto version = persistence::version_of(*hget(spy, key, field));
  auto put = spy.command({"HSET", key, field, persistence::encode_value(*c, version)});
  ASSERT_TRUE(put && put->type == REDIS_REPLY_INTEGER);

  auto loaded = persistence::recover(*h_, store_options());
  auto* why = std::get_if<std::string>(&loaded);
  ASSERT_NE(why, nullptr) << "a case held by no unit was recovered";
  EXPECT_NE(why->find(key + " field " + field + ": "), std::string::npos) << *why;
  EXPECT_NE(why->find("names unit 411599, which the hierarchy lacks"), std::string::npos) << *why;
}

// The figures are read beside the rest, on a connection and a thread of their own: a
// corrupt count there is refused the same way, with its key and field, and no city starts.
TEST_F(faults_test, a_corrupt_figure_count_is_refused_with_its_place_though_read_apart) {
  ASSERT_TRUE(start_city());
  ASSERT_NE(report(P(grid_a1_1, 2), grid_a1_1), 0u);
  stop_city();
  auto spy = redis_.connect();
  const std::int32_t day = 20'000, month = 19'998;
  const auto key = persistence::keys::figure_day(day);
  auto put = spy.command({"HSET", key, "3", "1,x"});
  ASSERT_TRUE(put && put->type == REDIS_REPLY_INTEGER);
  auto listed = spy.command({"ZADD", persistence::keys::figure_days, std::to_string(day),
                             std::to_string(day) + ":" + std::to_string(month)});
  ASSERT_TRUE(listed && listed->type == REDIS_REPLY_INTEGER);

  auto loaded = persistence::recover(*h_, store_options());
  auto* why = std::get_if<std::string>(&loaded);
  ASSERT_NE(why, nullptr) << "a corrupt figure count was recovered";
  EXPECT_NE(why->find(key + " field 3: "), std::string::npos) << *why;
  EXPECT_NE(why->find("not a unit's figure counts"), std::string::npos) << *why;
}

} // namespace
} // namespace hub::testing
