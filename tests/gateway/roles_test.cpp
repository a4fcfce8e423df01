// The city's roles over real WebSocket connections: each person connects with their own
// token and takes their typical steps; the city's refusals arrive as error frames.

#include "gateway/net/token.hpp"
#include "tests/gateway/gateway_fixture.hpp"

namespace hub::testing {
namespace {

using protocol::case_action;
using protocol::directive_action;
using protocol::errc;
using namespace codes;

constexpr auto P = person_at;

class roles_test : public gateway_test {
protected:
  /// Takes `a` on case `id` over `c`; returns the reply.
  protocol::server_message step(test_client& c, protocol::case_id id, case_action a,
                                protocol::case_act extra = {}) {
    extra.id = id;
    extra.action = a;
    if (extra.note.empty())
      extra.note = "note";
    return c.request(msg(extra));
  }

  static protocol::case_id case_of(const protocol::server_message& m) {
    auto* a = std::get_if<protocol::ack>(&m);
    EXPECT_NE(a, nullptr) << describe(m);
    return a != nullptr ? a->case_ref : 0;
  }
};

TEST_F(roles_test, a_grid_worker_reports_and_signs_and_another_grid_is_forbidden) {
  auto worker = connect(P(grid_a1_1, 2));
  auto neighbour = connect(P(grid_a1_2, 2));
  auto id = case_of(worker->request(msg(report_at(grid_a1_1))));
  ASSERT_NE(id, 0u);
  EXPECT_REFUSED(step(*neighbour, id, case_action::sign), errc::forbidden);
  EXPECT_REFUSED(neighbour->request(msg(report_at(grid_a1_1))), errc::forbidden);
  EXPECT_ACK(step(*worker, id, case_action::sign));
  EXPECT_ACK(step(*worker, id, case_action::start));
  EXPECT_REFUSED(step(*worker, id, case_action::sign), errc::invalid_transition);
}

TEST_F(roles_test, a_case_climbs_to_a_whistle_the_module_head_proposes_and_the_head_approves) {
  auto worker = connect(P(grid_a1_1, 2));
  auto grid_head = connect(P(grid_a1_1, 1));
  auto village_staff = connect(P(village_a1, 2));
  auto secretary = connect(P(village_a1, 1));
  auto operator_ = connect(P(town_a, 2));
  auto module_head = connect(P(town_a, 4)); // module 1, the category's module
  auto head = connect(P(town_a, 1));
  auto police_staff = connect(P(police, 2));
  auto police_head = connect(P(police, 1));
  auto housing_staff = connect(P(housing, 2));

  auto id = case_of(worker->request(msg(report_at(grid_a1_1))));
  ASSERT_NE(id, 0u);
  EXPECT_ACK(step(*worker, id, case_action::sign));
  EXPECT_REFUSED(step(*worker, id, case_action::escalate), errc::forbidden);
  EXPECT_ACK(step(*grid_head, id, case_action::escalate));
  EXPECT_ACK(step(*village_staff, id, case_action::sign));
  EXPECT_ACK(step(*secretary, id, case_action::escalate));
  EXPECT_ACK(step(*operator_, id, case_action::sign));

  protocol::case_act whistle;
  whistle.departments = {police, housing};
  EXPECT_REFUSED(step(*head, id, case_action::propose_whistle, whistle), errc::forbidden);
  EXPECT_ACK(step(*module_head, id, case_action::propose_whistle, whistle));
  EXPECT_REFUSED(step(*module_head, id, case_action::approve_whistle), errc::forbidden);
  EXPECT_ACK(step(*head, id, case_action::approve_whistle));

  // The summoned departments report in (报到) and feed back, each step acknowledged with the
  // seq of its event; a department that was not summoned is refused.
  for (auto* c : {police_staff.get(), police_head.get(), housing_staff.get()}) {
    auto reply =
        step(*c, id, c == police_head.get() ? case_action::feedback : case_action::report_in);
    auto* a = std::get_if<protocol::ack>(&reply);
    ASSERT_NE(a, nullptr) << describe(reply);
    EXPECT_EQ(a->case_ref, id);
    EXPECT_NE(a->seq, 0u);
  }
  auto environment_staff = connect(P(environment, 2));
  EXPECT_REFUSED(step(*environment_staff, id, case_action::report_in), errc::forbidden);
  EXPECT_REFUSED(step(*module_head, id, case_action::resolve), errc::invalid_transition);
  EXPECT_ACK(step(*housing_staff, id, case_action::feedback));

  // The township confirms the result, rates each department (评哨), and closes.
  EXPECT_ACK(step(*module_head, id, case_action::resolve));
  for (auto dept : {police, housing}) {
    protocol::case_act rating;
    rating.unit = dept;
    rating.score = 4;
    EXPECT_ACK(step(*head, id, case_action::rate, rating));
  }
  EXPECT_ACK(step(*head, id, case_action::close));
}

TEST_F(roles_test, a_summoned_department_gets_its_summons_live_and_the_county_does_not) {
  auto worker = connect(P(grid_a1_1, 2));
  auto grid_head = connect(P(grid_a1_1, 1));
  auto secretary = connect(P(village_a1, 1));
  auto module_head = connect(P(town_a, 4));
  auto head = connect(P(town_a, 1));
  auto police_console = connect(P(police, 1));
  auto environment_console = connect(P(environment, 1));
  auto county_console = connect(P(county, 1));
  for (auto [c, unit] :
       {std::pair{police_console.get(), police}, std::pair{environment_console.get(), environment},
        std::pair{county_console.get(), county}})
    EXPECT_ACK(c->request(msg(protocol::subscribe{unit, {}})));

  auto id = case_of(worker->request(msg(report_at(grid_a1_1))));
  ASSERT_NE(id, 0u);
  EXPECT_ACK(step(*worker, id, case_action::sign));
  EXPECT_ACK(step(*grid_head, id, case_action::escalate));
  EXPECT_ACK(step(*secretary, id, case_action::sign));
  EXPECT_ACK(step(*secretary, id, case_action::escalate));
  EXPECT_ACK(step(*head, id, case_action::sign));
  protocol::case_act whistle;
  whistle.departments = {police};
  EXPECT_ACK(step(*module_head, id, case_action::propose_whistle, whistle));
  auto approved = head->request(msg(act(id, case_action::approve_whistle)));
  EXPECT_ACK(approved);

  // The department's console: its summons, at the department, with its report-in deadline
  // (1 day for the category) and the case's title.
  auto summons = police_console->next_event();
  ASSERT_TRUE(summons.has_value());
  auto* e = std::get_if<protocol::case_event>(&*summons);
  ASSERT_NE(e, nullptr) << describe(*summons);
  EXPECT_EQ(e->id, id);
  EXPECT_EQ(e->action, case_action::approve_whistle);
  EXPECT_EQ(e->state, protocol::case_state::whistle_blown);
  EXPECT_EQ(e->unit, police);
  EXPECT_EQ(e->from_unit, town_a);
  EXPECT_EQ(e->departments, std::vector<protocol::unit_code>{police});
  EXPECT_EQ(e->note, report_at(grid_a1_1).title);
  EXPECT_EQ(e->deadline, e->at + 24 * 3600 * 1000);
  EXPECT_GT(e->seq, std::get<protocol::ack>(approved).seq);

  // The county sees the township's approve_whistle, then the report-in: no copy of the
  // summons in between. A department not summoned sees nothing.
  EXPECT_ACK(step(*police_console, id, case_action::report_in));
  std::vector<case_action> seen;
  while (seen.size() < 2 || seen.back() != case_action::report_in) {
    auto ev = county_console->next_event();
    ASSERT_TRUE(ev.has_value()) << "the county did not see the report-in";
    if (auto* c = std::get_if<protocol::case_event>(&*ev)) {
      if (c->action == case_action::approve_whistle) {
        EXPECT_EQ(c->unit, town_a);
      }
      seen.push_back(c->action);
    }
  }
  EXPECT_EQ(seen.end()[-2], case_action::approve_whistle);
  auto other = environment_console->next_event(std::chrono::milliseconds(0));
  EXPECT_FALSE(other.has_value()) << describe(*other);
}

TEST_F(roles_test, a_county_leader_issues_a_directive_and_a_grid_signs_it) {
  auto leader = connect(P(county, 1));
  auto grid = connect(P(grid_a1_1, 3));
  auto village = connect(P(village_a1, 1));
  auto worker = connect(P(grid_a1_1, 2));
  // The grid's app watches its grid: that is how it learns a directive arrived.
  EXPECT_ACK(grid->request(msg(protocol::subscribe{grid_a1_1})));

  protocol::directive_issue d;
  d.channel = 2;
  d.title = "防汛检查";
  d.deadline = (gateway::token::unix_now() + 86400) * 1000;
  d.target.kind = protocol::target_kind::level;
  d.target.units = {county};
  d.target.level = protocol::unit_kind::grid;
  EXPECT_REFUSED(worker->request(msg(d)), errc::forbidden);
  auto reply = leader->request(msg(d));
  auto* a = std::get_if<protocol::ack>(&reply);
  ASSERT_NE(a, nullptr) << describe(reply);
  auto id = a->directive_ref;
  ASSERT_NE(id, 0u);

  // The fan-out reaches the grid after the issuer's ack: wait for its arrival there.
  auto arrived = grid->next_event();
  ASSERT_TRUE(arrived.has_value());
  auto* e = std::get_if<protocol::directive_event>(&*arrived);
  ASSERT_NE(e, nullptr) << describe(*arrived);
  EXPECT_EQ(e->id, id);
  EXPECT_EQ(e->action, directive_action::issue);
  EXPECT_EQ(e->unit, county);         // the issuer's ...
  EXPECT_EQ(e->recipient, grid_a1_1); // ... arrived here

  EXPECT_ACK(grid->request(msg(protocol::directive_act{id, directive_action::sign, ""})));
  EXPECT_REFUSED(grid->request(msg(protocol::directive_act{id, directive_action::sign, ""})),
                 errc::invalid_transition);
  EXPECT_ACK(
      grid->request(msg(protocol::directive_act{id, directive_action::complete, "全部到岗"})));
  EXPECT_REFUSED(village->request(msg(protocol::directive_act{id, directive_action::sign, ""})),
                 errc::unknown_directive);
}

TEST_F(roles_test, json_text_frames_work_like_binary_ones_and_are_answered_in_json) {
  auto worker = connect(P(grid_a1_1, 2), /*json=*/true);
  auto neighbour = connect(P(grid_a1_2, 2), /*json=*/true);
  auto id = case_of(worker->request(msg(report_at(grid_a1_1))));
  ASSERT_NE(id, 0u);
  EXPECT_TRUE(worker->last_was_text());
  EXPECT_REFUSED(step(*neighbour, id, case_action::sign), errc::forbidden);
  EXPECT_TRUE(neighbour->last_was_text());
  EXPECT_ACK(step(*worker, id, case_action::sign));
  EXPECT_TRUE(worker->last_was_text());
  // The client switches to binary: so does the hub.
  worker->use_json(false);
  EXPECT_ACK(step(*worker, id, case_action::start));
  EXPECT_FALSE(worker->last_was_text());
  // A hand-written JSON request, as wscat would send it.
  worker->send_raw(R"({"t":"case.act","id":900,"case":)" + std::to_string(id) +
                       R"(,"action":"resolve","note":"已调解"})",
                   true);
  auto r = worker->reply_to(900);
  ASSERT_TRUE(r.has_value());
  EXPECT_ACK(*r);
  EXPECT_TRUE(worker->last_was_text());
}

} // namespace
} // namespace hub::testing
