// Queries over real WebSocket connections, in both wire forms: the result comes back in the
// form the query went in, carrying its id and the seq it is current to; a refusal is an error
// frame, and the connection goes on.

#include "tests/gateway/gateway_fixture.hpp"

namespace hub::testing {
namespace {

using protocol::case_action;
using protocol::errc;
using namespace codes;

constexpr auto P = person_at;

TEST_F(gateway_test, a_query_is_answered_with_a_result_in_either_wire_form) {
  auto worker = connect(P(grid_a1_1, 2));
  auto reply = worker->request(msg(report_at(grid_a1_1)));
  auto* a = std::get_if<protocol::ack>(&reply);
  ASSERT_NE(a, nullptr) << describe(reply);
  const auto id = a->case_ref;
  auto signed_ = worker->request(msg(act(id, case_action::sign)));
  auto* s = std::get_if<protocol::ack>(&signed_);
  ASSERT_NE(s, nullptr) << describe(signed_);

  // MessagePack: the case, current to the sign's event.
  protocol::query one;
  one.case_ref = id;
  auto answer = worker->request(msg(one));
  auto* r = std::get_if<protocol::result>(&answer);
  ASSERT_NE(r, nullptr) << describe(answer);
  EXPECT_FALSE(worker->last_was_text());
  EXPECT_EQ(r->seq, s->seq);
  EXPECT_EQ(r->one.summary.state, protocol::case_state::signed_for);
  ASSERT_EQ(r->one.steps.size(), 2u);
  EXPECT_EQ(r->one.steps[1].by, P(grid_a1_1, 2));

  // JSON, written by hand as a browser's console would: the grid's open cases.
  worker->send_raw(R"({"t":"query","id":901,"what":"cases","unit":411502001001001})", true);
  auto list = worker->reply_to(901);
  ASSERT_TRUE(list.has_value());
  EXPECT_TRUE(worker->last_was_text());
  auto* l = std::get_if<protocol::result>(&*list);
  ASSERT_NE(l, nullptr) << describe(*list);
  ASSERT_EQ(l->cases.size(), 1u);
  EXPECT_EQ(l->cases[0].id, id);
  EXPECT_EQ(l->total, 1u);

  // A neighbour may not look; a query with a field of the other kind is refused by the codec.
  auto neighbour = connect(P(grid_a1_2, 2), /*json=*/true);
  EXPECT_REFUSED(neighbour->request(msg(one)), errc::forbidden);
  neighbour->send_raw(R"({"t":"query","id":902,"what":"case","case":1,"unit":411502})", true);
  auto bad = neighbour->reply_to(902);
  ASSERT_TRUE(bad.has_value());
  EXPECT_REFUSED(*bad, errc::unknown_field);
  // And the connection goes on.
  protocol::query own;
  own.what = protocol::query_kind::cases;
  own.unit = grid_a1_2;
  auto mine = neighbour->request(msg(own));
  auto* m = std::get_if<protocol::result>(&mine);
  ASSERT_NE(m, nullptr) << describe(mine);
  EXPECT_TRUE(m->cases.empty());

  // Counted like every request: by type, and in the latency of replies (a result ends one).
  auto metrics = http_request(port(), "GET", "/metrics").body;
  EXPECT_EQ(metric(metrics, "hub_messages_in_total{type=\"query\"}"), 4); // and one undecodable
  EXPECT_EQ(metric(metrics, "hub_messages_out_total{type=\"result\"}"), 3);
  EXPECT_EQ(metric(metrics, "hub_request_latency_seconds_count"), 6); // 2 acks, 3 results, 1 error
}

} // namespace
} // namespace hub::testing
