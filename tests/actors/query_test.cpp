// Queries (protocol/README.md, "query"): one case with its history, the cases of a subtree,
// who may ask what, pages and filters, and how a result's seq fits the event stream. The
// directive queries are in directive_query_test.cpp.

#include "tests/actors/query_fixture.hpp"

#include "protocol/codec.hpp"
#include "protocol/json.hpp"

#include <map>
#include <set>

namespace hub::testing {
namespace {

using protocol::case_action;
using protocol::case_state;
using protocol::errc;
using protocol::query;
using protocol::query_kind;
using namespace codes;

constexpr auto P = person_at;

class query_test : public query_test_base {
protected:
  static query one(protocol::case_id id) {
    query q;
    q.what = query_kind::one_case;
    q.case_ref = id;
    return q;
  }

  static query cases_of(protocol::unit_code unit) {
    query q;
    q.what = query_kind::cases;
    q.unit = unit;
    return q;
  }

  static std::set<protocol::case_id> ids(const protocol::result& r) {
    std::set<protocol::case_id> out;
    for (auto& c : r.cases)
      out.insert(c.id);
    return out;
  }

  /// Walks a case from grid_a1_1 up to a whistle to police and housing, rated and closed.
  protocol::case_id whistled_case() {
    auto id = report(P(grid_a1_1, 2), grid_a1_1);
    EXPECT_ACK(step(P(grid_a1_1, 2), id, case_action::sign));
    EXPECT_ACK(step(P(grid_a1_1, 1), id, case_action::escalate));
    EXPECT_ACK(step(P(village_a1, 2), id, case_action::sign));
    EXPECT_ACK(step(P(village_a1, 1), id, case_action::escalate));
    EXPECT_ACK(step(P(town_a, 2), id, case_action::sign));
    protocol::case_act whistle;
    whistle.departments = {police, housing};
    EXPECT_ACK(step(P(town_a, 4), id, case_action::propose_whistle, whistle));
    EXPECT_ACK(step(P(town_a, 1), id, case_action::approve_whistle));
    for (auto dept : {police, housing}) {
      EXPECT_ACK(step(P(dept, 2), id, case_action::report_in));
      EXPECT_ACK(step(P(dept, 1), id, case_action::feedback));
    }
    EXPECT_ACK(step(P(town_a, 4), id, case_action::resolve));
    protocol::case_act rating;
    rating.unit = police;
    rating.score = 5;
    EXPECT_ACK(step(P(town_a, 1), id, case_action::rate, rating));
    return id;
  }
};

TEST_F(query_test, one_case_answers_its_whole_history_as_its_events_told_it) {
  auto watcher = std::make_shared<recorder>();
  EXPECT_ACK(act(P(county, 1), protocol::subscribe{county, {}}, watcher));
  auto id = whistled_case();
  auto r = ask(P(town_a, 1), one(id));
  EXPECT_EQ(r.what, query_kind::one_case);
  EXPECT_EQ(r.seq, city_->events().last_seq());
  const auto& c = r.one;
  EXPECT_EQ(c.summary.id, id);
  EXPECT_EQ(c.summary.title, "邻里噪音纠纷");
  EXPECT_EQ(c.summary.category, "safety.dispute");
  EXPECT_EQ(c.summary.state, case_state::resolved);
  EXPECT_EQ(c.summary.unit, town_a);
  EXPECT_EQ(c.summary.origin, grid_a1_1);
  EXPECT_EQ(c.summary.reached, protocol::case_level::department);
  EXPECT_EQ(c.summary.deadline, find_case(town_a, id)->deadline);
  EXPECT_EQ(c.held_by, (std::vector<protocol::unit_code>{grid_a1_1, village_a1, town_a}));
  // Every step is there, in order, with the fields of the event it produced.
  auto events = watcher->all<protocol::case_event>();
  ASSERT_EQ(c.steps.size(), events.size());
  EXPECT_EQ(r.total, events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& s = c.steps[i];
    const auto& e = events[i];
    EXPECT_EQ(s.at, e.at);
    EXPECT_EQ(s.action, e.action) << i;
    EXPECT_EQ(s.state, e.state) << i;
    EXPECT_EQ(s.unit, e.unit) << i;
    EXPECT_EQ(s.from_unit, e.from_unit) << i;
    EXPECT_EQ(s.by, e.by) << i;
    EXPECT_EQ(s.note, e.note) << i;
    EXPECT_EQ(s.departments, e.departments) << i;
    EXPECT_EQ(s.score, e.score) << i;
  }
  EXPECT_EQ(c.steps.back().action, case_action::rate);
  EXPECT_EQ(c.steps.back().score, 5);
  EXPECT_TRUE(r.cursor.empty());
}

TEST_F(query_test, a_long_history_comes_in_pages_of_steps) {
  auto id = whistled_case(); // 16 steps
  auto q = one(id);
  q.limit = 5;
  std::vector<protocol::case_step> all;
  for (int page = 0; page < 10; ++page) {
    auto r = ask(P(town_a, 1), q);
    EXPECT_EQ(r.one.first, all.size());
    all.insert(all.end(), r.one.steps.begin(), r.one.steps.end());
    if (r.cursor.empty())
      break;
    q.cursor = r.cursor;
  }
  EXPECT_EQ(all.size(), find_case(town_a, id)->history.size());
  EXPECT_EQ(all.front().action, case_action::report);
  q.cursor = "s999";
  EXPECT_REFUSED(act(P(town_a, 1), q), errc::invalid_argument);
  q.cursor = "garbage";
  EXPECT_REFUSED(act(P(town_a, 1), q), errc::invalid_argument);
}

TEST_F(query_test, a_query_after_an_ack_sees_the_change_and_its_seq_covers_it) {
  auto id = report(P(grid_a1_1, 2), grid_a1_1);
  auto reply = step(P(grid_a1_1, 2), id, case_action::sign);
  auto* a = std::get_if<protocol::ack>(&reply);
  ASSERT_NE(a, nullptr);
  auto r = ask(P(grid_a1_1, 2), one(id));
  EXPECT_EQ(r.one.summary.state, case_state::signed_for);
  EXPECT_EQ(r.seq, a->seq);
  auto list = ask(P(grid_a1_1, 2), cases_of(grid_a1_1));
  EXPECT_EQ(list.seq, a->seq);
  ASSERT_EQ(list.cases.size(), 1u);
  EXPECT_EQ(list.cases[0].state, case_state::signed_for);
}

// The read side keeps no history: a `case` query is checked and summarised at its cut in
// the shard, and its steps come from the holder, which may have taken later steps already, or
// passed the case on (the question follows it, as a step would).
TEST_F(query_test, a_case_asked_as_it_moves_on_answers_as_it_was_at_the_cut) {
  auto id = report(P(grid_a1_1, 2), grid_a1_1);
  EXPECT_ACK(step(P(grid_a1_1, 2), id, case_action::sign));
  const auto cut = city_->events().last_seq();
  auto head = actors::principal::of(*h_->find_person(P(grid_a1_1, 1)));
  auto sink = std::make_shared<recorder>();
  protocol::case_act escalate;
  escalate.id = id;
  escalate.action = case_action::escalate;
  // The query first, the escalation right behind it, before either is run: the grid escalates
  // before the shard's question reaches it.
  city_->submit(head, {9001, one(id)}, sink);
  city_->submit(head, {9002, escalate}, sink);
  drain();
  EXPECT_ACK(sink->reply_to(9002).value_or(protocol::error{}));
  auto reply = sink->reply_to(9001);
  ASSERT_TRUE(reply.has_value());
  auto* r = std::get_if<protocol::result>(&*reply);
  ASSERT_NE(r, nullptr) << describe(*reply);
  ASSERT_NE(find_case(village_a1, id), nullptr);
  EXPECT_EQ(find_case(village_a1, id)->history.size(), 3u);
  EXPECT_EQ(r->seq, cut);
  EXPECT_EQ(r->total, 2u);
  ASSERT_EQ(r->one.steps.size(), 2u);
  EXPECT_EQ(r->one.steps.back().action, case_action::sign);
  EXPECT_EQ(r->one.summary.unit, grid_a1_1);
  EXPECT_EQ(r->one.summary.state, case_state::signed_for);
  EXPECT_EQ(r->one.held_by, (std::vector<protocol::unit_code>{grid_a1_1}));
  EXPECT_TRUE(r->cursor.empty());
  // Asked again, it is at the village with its third step.
  auto again = ask(P(grid_a1_1, 1), one(id));
  EXPECT_EQ(again.total, 3u);
  ASSERT_EQ(again.one.steps.size(), 3u);
  EXPECT_EQ(again.one.steps.back().action, case_action::escalate);
  EXPECT_EQ(again.one.summary.unit, village_a1);
}

// The benchmark's baseline: a city without its read side takes every step and refuses every
// query (`internal`), never leaving one unanswered.
TEST_F(query_test, a_city_without_its_read_side_acts_and_answers_queries_internal) {
  actors::city_options opts;
  opts.wall_now = start_wall;
  opts.read_side = false;
  actors::city bare(*sys_, h_, opts);
  auto worker = actors::principal::of(*h_->find_person(P(grid_a1_1, 2)));
  auto sink = std::make_shared<recorder>();
  protocol::case_report r;
  r.unit = grid_a1_1;
  r.category = "safety.dispute";
  r.title = "t";
  bare.submit(worker, {1, r}, sink);
  drain();
  auto made = sink->reply_to(1);
  ASSERT_TRUE(made.has_value());
  auto* a = std::get_if<protocol::ack>(&*made);
  ASSERT_NE(a, nullptr) << describe(*made);
  bare.submit(worker, {2, one(a->case_ref)}, sink);
  bare.submit(worker, {3, cases_of(grid_a1_1)}, sink);
  drain();
  EXPECT_REFUSED(sink->reply_to(2).value_or(protocol::ack{}), errc::internal);
  EXPECT_REFUSED(sink->reply_to(3).value_or(protocol::ack{}), errc::internal);
}

TEST_F(query_test, subscribing_from_a_results_seq_gives_every_later_change_once) {
  auto first = report(P(grid_a1_1, 2), grid_a1_1);
  auto list = ask(P(town_a, 1), cases_of(town_a));
  ASSERT_EQ(ids(list), std::set<protocol::case_id>{first});
  // Changes after the result: a step on the listed case and a new case.
  EXPECT_ACK(step(P(grid_a1_1, 2), first, case_action::sign));
  auto second = report(P(grid_a2_1, 2), grid_a2_1);
  auto watcher = std::make_shared<recorder>();
  EXPECT_ACK(act(P(town_a, 1), protocol::subscribe{town_a, list.seq}, watcher));
  auto events = watcher->all<protocol::case_event>();
  ASSERT_EQ(events.size(), 2u) << "the replay is exactly what came after the result";
  EXPECT_EQ(events[0].seq, list.seq + 1);
  EXPECT_EQ(events[0].id, first);
  EXPECT_EQ(events[0].action, case_action::sign);
  EXPECT_EQ(events[1].id, second);
  // And the result taken now is current to the last of them.
  EXPECT_EQ(ask(P(town_a, 1), cases_of(town_a)).seq, events[1].seq);
}

TEST_F(query_test, a_list_is_sorted_filtered_and_paged_to_its_last_page) {
  std::vector<protocol::case_id> made;
  for (int i = 0; i < 7; ++i) {
    made.push_back(report(P(grid_a1_1, 2), grid_a1_1,
                          i % 2 == 0 ? protocol::urgency::normal : protocol::urgency::urgent));
    advance(std::chrono::minutes(1));
  }
  auto q = cases_of(town_a);
  q.limit = 3;
  std::vector<protocol::case_summary> seen;
  int pages = 0;
  for (;;) {
    auto r = ask(P(town_a, 1), q);
    ++pages;
    EXPECT_EQ(r.total, 7u);
    seen.insert(seen.end(), r.cases.begin(), r.cases.end());
    if (r.cursor.empty())
      break;
    q.cursor = r.cursor;
  }
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 7u);
  for (std::size_t i = 1; i < seen.size(); ++i)
    EXPECT_LE(seen[i - 1].deadline, seen[i].deadline) << "sorted by deadline";
  // Urgent ones (a quarter of the time) come first.
  EXPECT_EQ(seen[0].level, protocol::urgency::urgent);

  auto urgent = cases_of(town_a);
  urgent.level = protocol::urgency::urgent;
  EXPECT_EQ(ask(P(town_a, 1), urgent).total, 3u);
  auto changed = cases_of(town_a);
  changed.order = protocol::case_order::changed;
  EXPECT_EQ(ask(P(town_a, 1), changed).cases.front().id, made.back());

  // Colours as of now: the sign limit is 2 h (30 min when urgent).
  advance(std::chrono::minutes(20));
  auto yellow = cases_of(town_a);
  yellow.colour = protocol::deadline_colour::yellow;
  auto red = cases_of(town_a);
  red.colour = protocol::deadline_colour::red;
  EXPECT_GT(ask(P(town_a, 1), yellow).total + ask(P(town_a, 1), red).total, 0u);
  advance(std::chrono::hours(3));
  EXPECT_EQ(ask(P(town_a, 1), red).total, 7u);

  // Closed cases leave the open list and show among the done.
  EXPECT_ACK(step(P(grid_a1_1, 1), made[0], case_action::reject));
  EXPECT_EQ(ask(P(town_a, 1), cases_of(town_a)).total, 6u);
  auto done = cases_of(town_a);
  done.status = protocol::case_status::done;
  auto r = ask(P(town_a, 1), done);
  ASSERT_EQ(r.cases.size(), 1u);
  EXPECT_EQ(r.cases[0].state, case_state::rejected);
  auto every = cases_of(town_a);
  every.status = protocol::case_status::all;
  every.limit = 4;
  auto both = ask(P(town_a, 1), every);
  EXPECT_EQ(both.total, 7u);
  ASSERT_EQ(both.cases.size(), 4u);
  EXPECT_FALSE(both.cursor.empty());
  for (std::size_t i = 1; i < both.cases.size(); ++i)
    EXPECT_LE(both.cases[i - 1].deadline, both.cases[i].deadline);

  auto held_at_village = cases_of(town_a);
  held_at_village.held_at = protocol::unit_kind::village;
  EXPECT_EQ(ask(P(town_a, 1), held_at_village).total, 0u);
  auto unknown = cases_of(town_a);
  unknown.category = "no.such";
  EXPECT_REFUSED(act(P(town_a, 1), unknown), errc::invalid_argument);
  auto bad = cases_of(town_a);
  bad.cursor = "1-2";
  EXPECT_REFUSED(act(P(town_a, 1), bad), errc::invalid_argument);
}

TEST_F(query_test, a_page_ends_before_its_result_passes_60_kib_in_either_form) {
  // Titles of 248 bytes whose quotes JSON escapes (310 characters): 200 of them are about
  // 100 KB, so the page of 200 asked for is cut, and the next pages carry on from its cursor.
  std::string title;
  while (title.size() + 8 <= 256)
    title += "\"噪音\"";
  std::set<protocol::case_id> made;
  for (int i = 0; i < 200; ++i) {
    protocol::case_report r;
    r.unit = grid_a1_1;
    r.category = "safety.dispute";
    r.title = title;
    auto reply = act(P(grid_a1_1, 2), r);
    auto* a = std::get_if<protocol::ack>(&reply);
    ASSERT_NE(a, nullptr) << describe(reply);
    made.insert(a->case_ref);
  }
  auto q = cases_of(town_a);
  q.limit = 200;
  std::set<protocol::case_id> seen;
  int pages = 0;
  for (;;) {
    auto reply = act(P(town_a, 1), q);
    auto* r = std::get_if<protocol::result>(&reply);
    ASSERT_NE(r, nullptr) << describe(reply);
    ++pages;
    const auto msgpack = protocol::encode(reply).size(), json = protocol::to_json(reply).size();
    EXPECT_LE(std::max(msgpack, json), protocol::limits::result_bytes);
    EXPECT_GT(json, msgpack); // the escaped quotes: JSON is the form that sets the cut
    EXPECT_EQ(r->total, 200u);
    for (const auto& c : r->cases)
      EXPECT_TRUE(seen.insert(c.id).second) << "case " << c.id << " twice";
    if (r->cursor.empty())
      break;
    // Cut near the limit, not far before it: another row (about 530 characters) would pass.
    EXPECT_GT(json + 2 * 530, protocol::limits::result_bytes);
    q.cursor = r->cursor;
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(seen, made);

  // A history whose notes pass the limit comes in pages of steps the same way.
  const auto id = *made.begin();
  protocol::case_act remind;
  remind.note = std::string(4000, 'n');
  for (int i = 0; i < 30; ++i)
    ASSERT_TRUE(
        std::holds_alternative<protocol::ack>(step(P(county, 1), id, case_action::remind, remind)));
  auto history = one(id);
  std::uint32_t steps = 0;
  for (pages = 0;;) {
    auto reply = act(P(town_a, 1), history);
    auto* r = std::get_if<protocol::result>(&reply);
    ASSERT_NE(r, nullptr) << describe(reply);
    ++pages;
    EXPECT_LE(protocol::to_json(reply).size(), protocol::limits::result_bytes);
    EXPECT_EQ(r->one.first, steps);
    steps += static_cast<std::uint32_t>(r->one.steps.size());
    if (r->cursor.empty())
      break;
    history.cursor = r->cursor;
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(steps, 31u);
  EXPECT_GE(pages, 3); // at most 14 steps of about 4.1 KB a page
}

TEST_F(query_test, each_role_sees_its_own_and_nothing_else) {
  auto whistled = whistled_case();
  auto plain = report(P(grid_b1_1, 2), grid_b1_1);
  protocol::case_report hot;
  hot.unit = city_centre;
  hot.category = "safety.dispute";
  hot.title = "12345";
  hot.external_id = "SR-1";
  auto reply = act(P(city_centre, 1), hot);
  auto* a = std::get_if<protocol::ack>(&reply);
  ASSERT_NE(a, nullptr) << describe(reply);
  auto hotline_case = a->case_ref;

  // Grid staff: their grid's cases, and a case that passed their grid.
  EXPECT_EQ(ids(ask(P(grid_a1_1, 3), cases_of(grid_a1_1))), std::set<protocol::case_id>{});
  ask(P(grid_a1_1, 3), one(whistled));
  EXPECT_REFUSED(act(P(grid_a1_1, 3), cases_of(village_a1)), errc::forbidden);
  EXPECT_REFUSED(act(P(grid_a1_1, 3), one(plain)), errc::forbidden);
  // Village and township: their subtree.
  EXPECT_REFUSED(act(P(village_a1, 1), cases_of(town_a)), errc::forbidden);
  EXPECT_EQ(ids(ask(P(town_b, 1), cases_of(town_b))), std::set<protocol::case_id>{plain});
  EXPECT_REFUSED(act(P(town_b, 1), one(whistled)), errc::forbidden);
  // A department: the cases it was summoned to, nothing else.
  EXPECT_EQ(ids(ask(P(police, 2), cases_of(police))), std::set<protocol::case_id>{whistled});
  ask(P(police, 2), one(whistled));
  EXPECT_REFUSED(act(P(environment, 2), one(whistled)), errc::forbidden);
  EXPECT_REFUSED(act(P(police, 2), cases_of(town_a)), errc::forbidden);
  EXPECT_REFUSED(act(P(police, 2), one(plain)), errc::forbidden);
  // The county centre and leader: the county; not another county.
  EXPECT_EQ(ids(ask(P(centre, 1), cases_of(county))),
            (std::set<protocol::case_id>{whistled, plain}));
  EXPECT_REFUSED(act(P(county, 1), cases_of(other_county)), errc::forbidden);
  EXPECT_REFUSED(act(P(county, 1), one(hotline_case)), errc::forbidden);
  // The city: everything.
  EXPECT_EQ(ids(ask(P(city, 1), cases_of(city))),
            (std::set<protocol::case_id>{whistled, plain, hotline_case}));
  ask(P(city_centre, 2), one(plain));
  // The hotline: its own cases only, wherever they are.
  EXPECT_EQ(ids(ask(P(city_centre, 1), cases_of(city))), std::set<protocol::case_id>{hotline_case});
  ask(P(city_centre, 1), one(hotline_case));
  EXPECT_REFUSED(act(P(city_centre, 1), one(plain)), errc::forbidden);
  auto others = cases_of(city);
  others.hotline = false;
  EXPECT_REFUSED(act(P(city_centre, 1), others), errc::forbidden);
  // Unknown things, for everyone.
  EXPECT_REFUSED(act(P(city, 1), cases_of(411599)), errc::unknown_unit);
  EXPECT_REFUSED(act(P(city, 1), one(plain + 1000)), errc::unknown_case);
}

TEST_F(query_test, a_hotline_case_dispatched_into_a_county_is_in_that_countys_lists) {
  protocol::case_report hot;
  hot.unit = city_centre;
  hot.category = "safety.dispute";
  hot.title = "12345";
  auto reply = act(P(city_centre, 1), hot);
  auto* a = std::get_if<protocol::ack>(&reply);
  ASSERT_NE(a, nullptr) << describe(reply);
  auto id = a->case_ref;
  EXPECT_ACK(step(P(city_centre, 2), id, case_action::triage));
  protocol::case_act to_town;
  to_town.unit = town_a;
  EXPECT_ACK(step(P(city_centre, 2), id, case_action::dispatch, to_town));
  auto hotline_only = cases_of(town_a);
  hotline_only.hotline = true;
  auto r = ask(P(town_a, 1), hotline_only);
  ASSERT_EQ(ids(r), std::set<protocol::case_id>{id});
  EXPECT_TRUE(r.cases[0].hotline);
  EXPECT_EQ(r.cases[0].unit, town_a);
  EXPECT_EQ(r.cases[0].origin, city_centre);
  EXPECT_EQ(ask(P(town_a, 1), one(id)).one.held_by,
            (std::vector<protocol::unit_code>{city_centre, town_a}));
}

} // namespace
} // namespace hub::testing

namespace hub::testing {
namespace {

// On the real scheduler, with reports committed on two threads while queries are asked: every
// result counts exactly the reports whose events are numbered up to its seq, never one more or
// one less.
TEST(query_threads, every_result_is_exactly_its_cut_while_writes_go_on) {
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  cfg.set("logger.console", caf::atom("none"));
  caf::actor_system sys{cfg};
  auto h = make_small_city();
  actors::city c(sys, h);
  auto leader = actors::principal::of(*h->find_person(person_at(codes::county, 1)));
  auto watcher = std::make_shared<waiting_recorder>();
  c.submit(leader, {1, protocol::subscribe{codes::county, {}}}, watcher);
  ASSERT_TRUE(watcher->reply_to(1, patience).has_value());

  const std::vector<protocol::unit_code> grids{codes::grid_a1_1, codes::grid_a2_2, codes::grid_b1_1,
                                               codes::grid_b2_2};
  constexpr int reports = 400;
  auto writes = std::make_shared<waiting_recorder>();
  auto reads = std::make_shared<waiting_recorder>();
  protocol::query q;
  q.what = protocol::query_kind::cases;
  q.unit = codes::county;
  q.limit = 1;
  // The reports go out at once; the queries one after another while they are committed.
  for (int i = 1; i <= reports; ++i) {
    auto grid = grids[static_cast<std::size_t>(i) % grids.size()];
    protocol::case_report r;
    r.unit = grid;
    r.category = "safety.dispute";
    r.title = "t" + std::to_string(i);
    c.submit(actors::principal::of(*h->find_person(person_at(grid, 2))),
             {static_cast<std::uint64_t>(i), r}, writes);
  }
  std::uint64_t asked = 0;
  while (writes->all().size() < static_cast<std::size_t>(reports) && asked < 10 * reports) {
    c.submit(leader, {++asked, q}, reads);
    ASSERT_TRUE(reads->reply_to(asked, patience).has_value());
  }
  c.submit(leader, {++asked, q}, reads);
  ASSERT_TRUE(reads->reply_to(asked, patience).has_value());
  ASSERT_TRUE(writes->wait_for(reports));
  ASSERT_TRUE(watcher->wait_until([&](const auto& m) { return m.size() >= reports + 1; }));
  auto events = watcher->all<protocol::case_event>();
  ASSERT_EQ(events.size(), static_cast<std::size_t>(reports));
  std::set<std::uint64_t> cuts;
  for (const auto& r : reads->all<protocol::result>()) {
    auto upto = std::count_if(events.begin(), events.end(),
                              [&](const protocol::case_event& e) { return e.seq <= r.seq; });
    EXPECT_EQ(r.total, static_cast<std::uint32_t>(upto)) << "result current to " << r.seq;
    cuts.insert(r.seq);
  }
  EXPECT_EQ(*cuts.rbegin(), events.back().seq) << "the last query came after every ack";
}

} // namespace
} // namespace hub::testing
