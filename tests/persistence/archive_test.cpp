// Retention and the archive on a real redis-server (persistence/README.md, "Retention and the
// archive"): a case that ended leaves the hot keys for the archive in the batch of the step that
// ended it, and its holder's memory once the retention has passed since its last step; an open
// case never does either; the `case` query still answers it, with its whole history, from the
// archive; a reopen brings it back hot; and at the seams (a request while it is being
// archived, Redis away meanwhile, a restart) it is stored exactly once, hot or archived. What
// the archived cases count in the figures: archive_figures_test.cpp.

#include "tests/persistence/archive_fixture.hpp"

#include "actors/read_side_shard.hpp"

namespace hub::testing {
namespace {

using protocol::case_action;
using protocol::case_state;
using protocol::query;
using protocol::query_kind;
using namespace codes;
using namespace std::chrono_literals;

constexpr auto P = person_at;

TEST_F(archive_test, an_ended_case_is_archived_at_once_and_let_go_after_the_retention) {
  ASSERT_TRUE(start_city());
  auto id = closed_case();
  auto open = report(P(grid_a1_1, 2), grid_a1_1, "open");
  const auto before = case_answer(P(grid_a1_1, 1), id);
  ASSERT_NE(before.find("\"what\":\"case\""), std::string::npos) << before;
  // Stored in the archive by the close's batch, what it counts in the figures with it; its
  // holder keeps it in memory for the retention.
  auto at = stored(id);
  EXPECT_FALSE(at.hot);
  EXPECT_TRUE(at.archived);
  EXPECT_EQ(at.version, 5u); // the whole history
  EXPECT_GT(figure_fields(), 0);
  ASSERT_NE(find_case(grid_a1_1, id), nullptr);
  EXPECT_TRUE(stored(open).hot);

  advance(59min); // not yet: an hour after its last step
  ASSERT_NE(find_case(grid_a1_1, id), nullptr);

  advance(2min);
  EXPECT_EQ(find_case(grid_a1_1, id), nullptr) << "still in its holder's memory";
  at = stored(id);
  EXPECT_FALSE(at.hot);
  EXPECT_TRUE(at.archived);
  EXPECT_EQ(at.version, 5u);
  // The open case stays, however old.
  advance(24h * 40);
  ASSERT_NE(find_case(grid_a1_1, open), nullptr);
  EXPECT_TRUE(stored(open).hot);
  EXPECT_FALSE(stored(open).archived);

  // Asked for, it is answered from the archive as it was answered before (no event since).
  EXPECT_EQ(case_answer(P(grid_a1_1, 1), id), before);
  // Who may not see it still may not.
  query q;
  q.case_ref = id;
  EXPECT_REFUSED(act(P(grid_b1_1, 1), q), protocol::errc::forbidden);
  // The lists keep what is held in memory: open cases and those ended within the retention.
  query done;
  done.what = query_kind::cases;
  done.unit = grid_a1_1;
  done.status = protocol::case_status::all;
  auto list = act(P(grid_a1_1, 1), done);
  auto* r = std::get_if<protocol::result>(&list);
  ASSERT_NE(r, nullptr) << describe(list);
  ASSERT_EQ(r->cases.size(), 1u);
  EXPECT_EQ(r->cases[0].id, open);
  // A case that never existed is still unknown.
  q.case_ref = id + 1000;
  EXPECT_REFUSED(act(P(grid_a1_1, 1), q), protocol::errc::unknown_case);

  // What operators see (/metrics): one case hot, one archived, the archive's size.
  archive_->count_now();
  archive_->drain();
  auto g = city_->gauges().archive;
  EXPECT_TRUE(g.known);
  EXPECT_EQ(g.hot_cases, 1u);
  EXPECT_EQ(g.archived_cases, 1u);
  EXPECT_EQ(g.archived_directives, 0u);
  EXPECT_GT(g.bytes, 0u);
  EXPECT_GT(g.redis_used, 0u);
}

TEST_F(archive_test, a_reopen_brings_an_archived_case_back_hot_with_its_history) {
  ASSERT_TRUE(start_city());
  auto id = closed_case();
  advance(2h);
  ASSERT_TRUE(stored(id).archived);
  ASSERT_EQ(find_case(grid_a1_1, id), nullptr);

  // Someone who may not reopen it is refused, and it stays archived.
  EXPECT_REFUSED(step(P(grid_a1_1, 2), id, case_action::reopen), protocol::errc::forbidden);
  advance(1s); // the refused request brought it back to memory for a moment: let go again
  EXPECT_EQ(find_case(grid_a1_1, id), nullptr);
  EXPECT_TRUE(stored(id).archived);
  EXPECT_FALSE(stored(id).hot);

  EXPECT_ACK(step(P(grid_a1_1, 1), id, case_action::reopen));
  auto* c = find_case(grid_a1_1, id);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->state, case_state::reopened);
  EXPECT_EQ(c->history.size(), 6u);
  auto at = stored(id);
  EXPECT_TRUE(at.hot);
  EXPECT_FALSE(at.archived);
  EXPECT_EQ(at.version, 6u);
  // The read side has it whole again: six steps, reopened.
  auto answer = case_answer(P(grid_a1_1, 1), id);
  EXPECT_NE(answer.find("\"state\":\"reopened\""), std::string::npos) << answer;
  EXPECT_NE(answer.find("\"total\":6"), std::string::npos) << answer;
  EXPECT_NE(answer.find("\"action\":\"report\""), std::string::npos) << answer;
  // Open again: never archived, however long.
  advance(24h * 40);
  EXPECT_NE(find_case(grid_a1_1, id), nullptr);

  // Worked and closed again, it is archived again after the retention; a restart reads only
  // the hot keys and still answers it.
  EXPECT_ACK(step(P(grid_a1_1, 2), id, case_action::start));
  EXPECT_ACK(step(P(grid_a1_1, 2), id, case_action::resolve));
  EXPECT_ACK(step(P(grid_a1_1, 1), id, case_action::close));
  const auto steps = find_case(grid_a1_1, id)->history.size(); // with the hub's reminders
  EXPECT_GE(steps, 9u);
  advance(2h);
  at = stored(id);
  EXPECT_FALSE(at.hot);
  EXPECT_TRUE(at.archived);
  EXPECT_EQ(at.version, steps);
  stop_city();
  ASSERT_TRUE(start_city(start_wall + 24 * 41 * 3600 * 1000ll));
  EXPECT_EQ(recovered_.cases, 0u);
  EXPECT_EQ(find_case(grid_a1_1, id), nullptr);
  auto after = case_answer(P(grid_a1_1, 1), id);
  EXPECT_NE(after.find("\"total\":" + std::to_string(steps)), std::string::npos) << after;
  EXPECT_ACK(step(P(grid_a1_1, 1), id, case_action::reopen));
  EXPECT_TRUE(stored(id).hot);
  EXPECT_FALSE(stored(id).archived);
}

// A case that climbed to its township is held there; its grid (the maker) and village kept
// forwarding entries. Archived, all three let it go; a request at the maker brings it back to
// the township, which decides it.
TEST_F(archive_test, a_case_held_above_its_maker_is_let_go_everywhere_and_comes_back_there) {
  ASSERT_TRUE(start_city());
  auto id = report(P(grid_a1_1, 2), grid_a1_1, "up");
  escalate_to_township(id, grid_a1_1, village_a1, town_a);
  EXPECT_ACK(step(P(town_a, 2), id, case_action::start));
  EXPECT_ACK(step(P(town_a, 2), id, case_action::resolve));
  EXPECT_ACK(step(P(town_a, 1), id, case_action::close));
  ASSERT_TRUE(state_of(grid_a1_1).moved_.contains(id));
  advance(2h);
  EXPECT_EQ(find_case(town_a, id), nullptr);
  EXPECT_FALSE(state_of(grid_a1_1).moved_.contains(id));
  EXPECT_FALSE(state_of(village_a1).moved_.contains(id));
  EXPECT_TRUE(stored(id).archived);

  EXPECT_ACK(step(P(town_a, 1), id, case_action::reopen));
  ASSERT_NE(find_case(town_a, id), nullptr);
  EXPECT_EQ(state_of(grid_a1_1).moved_.at(id), town_a);
  EXPECT_TRUE(stored(id).hot);
  EXPECT_FALSE(stored(id).archived);
}

// A request that reaches the holder while the batch archiving the case is on its way to Redis
// (here Redis holds every write until unpaused): the close archives it, the reopen right behind
// it moves it back hot, in journal order, so after both the case is hot, once, with every
// step, and what it counted as archived left the figures again.
TEST_F(archive_test, a_step_while_the_case_is_being_archived_keeps_it_hot) {
  ASSERT_TRUE(start_city());
  auto id = report(P(grid_a1_1, 2), grid_a1_1, "closing");
  EXPECT_ACK(step(P(grid_a1_1, 2), id, case_action::sign));
  EXPECT_ACK(step(P(grid_a1_1, 2), id, case_action::start));
  EXPECT_ACK(step(P(grid_a1_1, 2), id, case_action::resolve));
  auto spy = redis_.connect();
  ASSERT_TRUE(spy.ok()) << spy.error();
  auto paused = run(spy, {"CLIENT", "PAUSE", "60000", "WRITE"});
  ASSERT_TRUE(paused && paused->type == REDIS_REPLY_STATUS);
  auto sink = std::make_shared<waiting_recorder>();
  auto submit = [&](std::uint64_t n, case_action action) {
    protocol::case_act a;
    a.id = id;
    a.action = action;
    a.note = "n";
    city_->submit(actors::principal::of(*h_->find_person(P(grid_a1_1, 1))), {n, a}, sink);
    while (sched_->try_run_once()) {}
  };
  submit(900, case_action::close); // the writer waits on Redis with the move
  ASSERT_NE(find_case(grid_a1_1, id), nullptr);
  EXPECT_TRUE(state_of(grid_a1_1).archiving_.contains(id));
  submit(901, case_action::reopen);
  auto unpaused = run(spy, {"CLIENT", "UNPAUSE"});
  ASSERT_TRUE(unpaused && unpaused->type == REDIS_REPLY_STATUS);
  for (std::uint64_t n : {900, 901}) {
    auto reply = sink->reply_to(n, wait_limit);
    ASSERT_TRUE(reply.has_value());
    EXPECT_ACK(*reply);
  }
  EXPECT_TRUE(settle());
  auto at = stored(id);
  EXPECT_TRUE(at.hot);
  EXPECT_FALSE(at.archived);
  EXPECT_EQ(at.version, 6u);
  ASSERT_NE(find_case(grid_a1_1, id), nullptr);
  EXPECT_EQ(find_case(grid_a1_1, id)->state, case_state::reopened);
  EXPECT_FALSE(state_of(grid_a1_1).archiving_.contains(id));
  EXPECT_EQ(figure_fields(), 0);
  // Open: never let go, however long.
  advance(24h * 40);
  EXPECT_NE(find_case(grid_a1_1, id), nullptr);
}

// Redis away when the retention passes: the case was stored in the archive when it closed, so
// its holder lets it go all the same; asked for meanwhile it is `try_again`, and once Redis is
// back it is answered from the archive, stored exactly once.
TEST_F(archive_test, redis_away_when_the_retention_passes_lets_the_archived_case_go) {
  ASSERT_TRUE(start_city());
  auto id = closed_case();
  const auto before = case_answer(P(grid_a1_1, 1), id);
  redis_.stop(SIGKILL);
  advance(2h);
  EXPECT_EQ(find_case(grid_a1_1, id), nullptr);
  query q;
  q.case_ref = id;
  EXPECT_REFUSED(act(P(grid_a1_1, 1), q), protocol::errc::try_again);
  ASSERT_TRUE(redis_.start()) << redis_.why();
  auto at = stored(id);
  EXPECT_FALSE(at.hot);
  EXPECT_TRUE(at.archived);
  EXPECT_EQ(at.version, 5u);
  EXPECT_EQ(case_answer(P(grid_a1_1, 1), id), before);
}

// A summoned department's task is over once the township rates it, or once the case ends
// without a rating: its stored task is deleted then (so recovery does not read it again, and
// the store does not keep every whistle's task for good), and the department lets it go.
TEST_F(archive_test, a_department_task_ends_when_rated_or_when_its_case_ends) {
  ASSERT_TRUE(start_city());
  auto id = report(P(grid_a1_1, 2), grid_a1_1, "whistle");
  escalate_to_township(id, grid_a1_1, village_a1, town_a);
  whistle_through(id, town_a, {police, housing});
  auto task_stored = [&](protocol::unit_code dept) {
    auto spy = redis_.connect();
    EXPECT_TRUE(spy.ok()) << spy.error();
    return hget(spy, persistence::keys::tasks(dept), std::to_string(id)).has_value();
  };
  EXPECT_TRUE(task_stored(police));
  EXPECT_TRUE(task_stored(housing));
  EXPECT_ACK(step(P(town_a, 2), id, case_action::resolve));
  protocol::case_act rating;
  rating.unit = police;
  rating.score = 5;
  EXPECT_ACK(step(P(town_a, 1), id, case_action::rate, rating));
  EXPECT_FALSE(task_stored(police));
  EXPECT_FALSE(state_of(police).tasks_.contains(id));
  EXPECT_TRUE(task_stored(housing));
  EXPECT_TRUE(state_of(housing).tasks_.contains(id));

  EXPECT_ACK(step(P(town_a, 1), id, case_action::close)); // housing never rated
  EXPECT_FALSE(task_stored(housing));
  EXPECT_FALSE(state_of(housing).tasks_.contains(id));
  EXPECT_EQ(state_of(housing).own_.rated, 0u);
  EXPECT_EQ(state_of(police).own_.rated, 1u);
  EXPECT_EQ(state_of(housing).own_.open, 0u);

  stop_city();
  ASSERT_TRUE(start_city(start_wall + 3600 * 1000));
  EXPECT_EQ(recovered_.tasks, 0u);
  EXPECT_EQ(state_of(housing).own_.rated, 0u);
  EXPECT_EQ(state_of(police).own_.rated, 1u);
}

// -- directives -------------------------------------------------------------------------------

class directive_archive_test : public archive_test {
protected:
  /// A directive from the county to its four villages, due in a day.
  protocol::directive_id issue_to_villages() {
    protocol::directive_issue d;
    d.channel = 2;
    d.title = "防汛检查";
    d.body = "排查辖区隐患";
    d.deadline = start_wall + 24 * 3600 * 1000;
    d.target.kind = protocol::target_kind::level;
    d.target.units = {county};
    d.target.level = protocol::unit_kind::village;
    auto r = act(P(county, 1), d);
    auto* a = std::get_if<protocol::ack>(&r);
    EXPECT_NE(a, nullptr) << describe(r);
    return a != nullptr ? a->directive_ref : 0;
  }
  struct directive_places {
    bool hot = false, receipts = false, archived = false;
  };
  directive_places stored_directive(protocol::directive_id id) {
    auto spy = redis_.connect();
    EXPECT_TRUE(spy.ok()) << spy.error();
    directive_places out;
    out.hot = hget(spy, persistence::keys::directives(county), std::to_string(id)).has_value();
    out.receipts = integer(spy, {"EXISTS", persistence::keys::receipts(id)}) == 1;
    out.archived =
        hget(spy, persistence::keys::archive_directives(id), std::to_string(id)).has_value();
    return out;
  }
  std::string directive_answer(protocol::person_id who, protocol::directive_id id) {
    query q;
    q.what = query_kind::directive;
    q.directive_ref = id;
    auto reply = act(who, q);
    if (auto* r = std::get_if<protocol::result>(&reply))
      r->id = r->seq = 0;
    return protocol::to_json(reply);
  }
  static constexpr protocol::unit_code villages[] = {village_a1, village_a2, village_b1,
                                                     village_b2};
};

TEST_F(directive_archive_test, a_directive_completed_everywhere_is_archived_then_let_go) {
  ASSERT_TRUE(start_city());
  auto id = issue_to_villages();
  ASSERT_NE(id, 0u);
  for (auto v : villages) {
    EXPECT_ACK(act(P(v, 1), protocol::directive_act{id, protocol::directive_action::sign, ""}));
    EXPECT_ACK(act(P(v, 1), protocol::directive_act{id, protocol::directive_action::complete, ""}));
  }
  advance(200ms); // the issuer's tally
  const auto before = directive_answer(P(county, 1), id);
  ASSERT_NE(before.find("\"done\":4"), std::string::npos) << before;
  // Archived whole by the issuer's commit of the last completion; still in memory.
  auto at = stored_directive(id);
  EXPECT_FALSE(at.hot);
  EXPECT_FALSE(at.receipts);
  EXPECT_TRUE(at.archived);

  advance(59min);
  EXPECT_TRUE(state_of(county).issued_.contains(id));
  advance(2min);
  EXPECT_FALSE(state_of(county).issued_.contains(id)) << "still in its issuer's memory";
  for (auto v : villages)
    EXPECT_EQ(state_of(v).received_.count(id), 0u) << "still in the memory of " << v;
  at = stored_directive(id);
  EXPECT_FALSE(at.hot);
  EXPECT_FALSE(at.receipts);
  EXPECT_TRUE(at.archived);
  // Answered from the archive as before, with every receipt.
  EXPECT_EQ(directive_answer(P(county, 1), id), before);
  // It takes no more answers or reminders.
  EXPECT_REFUSED(
      act(P(village_a1, 1), protocol::directive_act{id, protocol::directive_action::complete, ""}),
      protocol::errc::unknown_directive);
  EXPECT_REFUSED(
      act(P(county, 1), protocol::directive_act{id, protocol::directive_action::remind, ""}),
      protocol::errc::unknown_directive);
  // A restart reads the hot keys only, and still answers it.
  stop_city();
  ASSERT_TRUE(start_city(start_wall + 3600 * 1000 * 3));
  EXPECT_EQ(recovered_.directives, 0u);
  EXPECT_EQ(directive_answer(P(county, 1), id), before);
}

// The read side lets an ended directive go by the time of the events it applies, a directive's
// as well as a case's: a shard that applies directives only (here the county's: no case is
// made in it) once kept every directive it was given for good.
TEST_F(directive_archive_test, the_read_side_lets_a_directive_go_in_a_shard_without_cases) {
  ASSERT_TRUE(start_city());
  auto id = issue_to_villages();
  ASSERT_NE(id, 0u);
  for (auto v : villages)
    EXPECT_ACK(act(P(v, 1), protocol::directive_act{id, protocol::directive_action::complete, ""}));
  advance(61min);
  ASSERT_FALSE(state_of(county).issued_.contains(id));
  // The next directive's event, then a figures query (which lets nothing go itself) through
  // the same shard: once it is answered, the shard has applied that event.
  auto next = issue_to_villages();
  ASSERT_NE(next, 0u);
  query q;
  q.what = query_kind::figures;
  q.unit = county;
  q.period = protocol::figure_period::today;
  ASSERT_TRUE(std::holds_alternative<protocol::result>(act(P(county, 1), q)));
  // The shard that keeps directives issued by the county (the next one's).
  const actors::read_side::shard_state* kept = nullptr;
  for (const auto& shard : city_->reads()->shards()) {
    auto* a = caf::actor_cast<caf::abstract_actor*>(shard);
    auto* s = dynamic_cast<caf::stateful_actor<actors::read_side::shard_state>*>(a);
    ASSERT_NE(s, nullptr);
    if (s->state.directives.contains(next))
      kept = &s->state;
  }
  ASSERT_NE(kept, nullptr);
  EXPECT_FALSE(kept->directives.contains(id)) << "still in the read side's memory";
  // Still answered, from the archive.
  EXPECT_NE(directive_answer(P(county, 1), id).find("\"done\":4"), std::string::npos);
}

// Ended at its deadline with laggards: archived then (the hot field goes), its answers kept in
// its receipts' hash, where a late one goes too; the retention folds them into the archived
// value and deletes the hash.
TEST_F(directive_archive_test,
       a_directive_is_archived_at_its_deadline_and_folded_after_the_retention) {
  ASSERT_TRUE(start_city());
  auto id = issue_to_villages();
  ASSERT_NE(id, 0u);
  EXPECT_ACK(
      act(P(village_a1, 1), protocol::directive_act{id, protocol::directive_action::sign, ""}));
  EXPECT_TRUE(stored_directive(id).hot);
  advance(24h); // the deadline: the laggards are reminded, the directive archived
  EXPECT_TRUE(state_of(county).issued_.contains(id));
  auto at = stored_directive(id);
  EXPECT_FALSE(at.hot);
  EXPECT_TRUE(at.receipts);
  EXPECT_TRUE(at.archived);
  // A laggard answers late: taken, kept in the receipts' hash.
  EXPECT_ACK(
      act(P(village_b1, 1), protocol::directive_act{id, protocol::directive_action::sign, ""}));
  advance(200ms); // the issuer's tally
  const auto before = directive_answer(P(county, 1), id);
  EXPECT_NE(before.find("\"signed\":2"), std::string::npos) << before;
  advance(61min);
  EXPECT_FALSE(state_of(county).issued_.contains(id));
  EXPECT_EQ(state_of(village_a1).received_.count(id), 0u);
  at = stored_directive(id);
  EXPECT_FALSE(at.hot);
  EXPECT_FALSE(at.receipts);
  EXPECT_TRUE(at.archived);
  auto answer = directive_answer(P(county, 1), id);
  EXPECT_EQ(answer, before);
  EXPECT_NE(answer.find("\"total\":4"), std::string::npos) << answer;
}

// A restart reads what is open only: cases and directives that ended within the retention
// (still in the actors' memory before it) are not read back, yet every read-side answer about
// them is the same after it: a case's history, a unit's figures by period and rankings, a
// directive's receipts and laggards, whether it ended complete or at its deadline.
TEST_F(directive_archive_test, what_ended_within_the_retention_is_not_read_at_a_restart) {
  retain = 24h * 30;
  ASSERT_TRUE(start_city());
  auto a = closed_case("a");
  auto up = report(P(grid_b1_1, 2), grid_b1_1, "up");
  escalate_to_township(up, grid_b1_1, village_b1, town_b);
  EXPECT_ACK(step(P(town_b, 2), up, case_action::start));
  EXPECT_ACK(step(P(town_b, 2), up, case_action::resolve));
  EXPECT_ACK(step(P(town_b, 1), up, case_action::close));
  auto open = report(P(grid_a2_1, 2), grid_a2_1, "open");
  auto done = issue_to_villages();
  for (auto v : villages) {
    EXPECT_ACK(act(P(v, 1), protocol::directive_act{done, protocol::directive_action::sign, ""}));
    EXPECT_ACK(
        act(P(v, 1), protocol::directive_act{done, protocol::directive_action::complete, ""}));
  }
  auto late = issue_to_villages();
  EXPECT_ACK(
      act(P(village_a1, 1), protocol::directive_act{late, protocol::directive_action::sign, ""}));
  EXPECT_ACK(act(P(village_a2, 1),
                 protocol::directive_act{late, protocol::directive_action::complete, ""}));
  advance(24h + 1min); // past the deadline of `late`: the laggards reminded
  ASSERT_NE(find_case(grid_a1_1, a), nullptr) << "let go within the retention";
  ASSERT_TRUE(state_of(county).issued_.contains(done));
  ASSERT_TRUE(state_of(county).issued_.contains(late));
  // The hot keys hold what is open only.
  EXPECT_FALSE(stored(a).hot);
  EXPECT_FALSE(stored(up).hot);
  EXPECT_TRUE(stored(open).hot);
  EXPECT_FALSE(stored_directive(done).hot);
  EXPECT_FALSE(stored_directive(late).hot);

  auto figures = [](protocol::unit_code unit, protocol::figure_period period) {
    query q;
    q.what = query_kind::figures;
    q.unit = unit;
    q.period = period;
    return q;
  };
  auto by_days = figures(grid_a1_1, protocol::figure_period::days);
  by_days.from = start_wall - 24 * 3600 * 1000;
  by_days.to = start_wall + 2 * 24 * 3600 * 1000;
  query ranking;
  ranking.what = query_kind::ranking;
  ranking.unit = county;
  ranking.held_at = protocol::unit_kind::township;
  ranking.by = protocol::rank_by::resolution;
  ranking.period = protocol::figure_period::month;
  query history_a, history_up, receipts_done, receipts_late, laggards_b;
  history_a.case_ref = a;
  history_up.case_ref = up;
  for (auto* q : {&receipts_done, &receipts_late, &laggards_b})
    q->what = query_kind::directive;
  receipts_done.directive_ref = done;
  receipts_late.directive_ref = late;
  laggards_b.directive_ref = late;
  laggards_b.unit = town_b;
  const std::vector<std::pair<protocol::person_id, query>> questions{
      {P(grid_a1_1, 1), history_a},
      {P(town_b, 1), history_up},
      {P(grid_b1_1, 1), history_up},
      {P(city, 1), figures(city, protocol::figure_period::month)},
      {P(city, 1), figures(city, protocol::figure_period::all)},
      {P(town_b, 1), figures(town_b, protocol::figure_period::week)},
      {P(grid_a1_1, 1), by_days},
      {P(county, 1), ranking},
      {P(county, 1), receipts_done},
      {P(county, 1), receipts_late},
      {P(county, 1), laggards_b},
  };
  auto answers = [&] { return answers_to(questions); };
  const auto before = answers();
  for (const auto& answer : before)
    ASSERT_EQ(answer.find("\"error\""), std::string::npos) << answer;
  EXPECT_NE(before[9].find("\"laggards\":[{"), std::string::npos) << before[9];

  stop_city();
  ASSERT_TRUE(start_city(start_wall + (24 * 60 + 2) * 60 * 1000)); // the same day
  EXPECT_EQ(recovered_.cases, 1u);                                 // the open one
  EXPECT_EQ(recovered_.directives, 0u);
  EXPECT_EQ(recovered_.receipts, 0u);
  EXPECT_EQ(find_case(grid_a1_1, a), nullptr);
  const auto after = answers();
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < before.size(); ++i)
    EXPECT_EQ(after[i], before[i]) << "question " << i;
  // The retention of `late` runs out: its issuer, which no longer holds it, folds its answers
  // into the archived value, and the receipts' hash goes.
  EXPECT_TRUE(stored_directive(late).receipts);
  advance(24h * 30);
  auto folded = stored_directive(late);
  EXPECT_FALSE(folded.hot);
  EXPECT_FALSE(folded.receipts);
  EXPECT_TRUE(folded.archived);
  {
    auto spy = redis_.connect();
    ASSERT_TRUE(spy.ok()) << spy.error();
    EXPECT_EQ(integer(spy, {"HLEN", persistence::keys::unfolded}), 0);
  }
  auto reply = act(P(county, 1), receipts_late);
  if (auto* r = std::get_if<protocol::result>(&reply))
    r->id = r->seq = 0;
  EXPECT_EQ(protocol::to_json(reply), before[9]);
  // A reopen brings the case back hot.
  EXPECT_ACK(step(P(grid_a1_1, 1), a, case_action::reopen));
  EXPECT_TRUE(stored(a).hot);
  EXPECT_FALSE(stored(a).archived);
}

} // namespace
} // namespace hub::testing
