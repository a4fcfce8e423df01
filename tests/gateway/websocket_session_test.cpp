#include "gateway/websocket_session.hpp"

#include "tests/gateway/gateway_fixture.hpp"

#include <msgpack.hpp>

namespace hub::testing {
namespace {

using protocol::errc;
using namespace codes;
namespace websocket = beast::websocket;

constexpr auto P = person_at;

class websocket_session_test : public gateway_test {
protected:
  /// Sends `bytes` and expects an error frame with `code` for message `id` (0: unreadable).
  void expect_error(test_client& c, std::string_view bytes, bool text, errc code,
                    std::uint64_t id) {
    SCOPED_TRACE(std::string(text ? "text " : "binary ") + std::to_string(id));
    c.send_raw(bytes, text);
    auto r = id != 0 ? c.reply_to(id) : c.next_event();
    ASSERT_TRUE(r.has_value()) << "no answer";
    auto* e = std::get_if<protocol::error>(&*r);
    ASSERT_NE(e, nullptr) << describe(*r);
    EXPECT_EQ(e->code, code) << e->message;
    EXPECT_EQ(e->id, id) << e->message;
    EXPECT_FALSE(e->message.empty());
    EXPECT_EQ(c.last_was_text(), text) << "answered in the client's last form";
  }

  /// Proves the connection still works.
  void expect_usable(test_client& c) { EXPECT_ACK(c.request(msg(protocol::subscribe{grid_a1_1}))); }

  /// {"t": "subscribe", "id": id, "unit": <a string>} in MessagePack.
  static std::string msgpack_wrong_type(std::uint64_t id) {
    msgpack::sbuffer buf;
    msgpack::packer<msgpack::sbuffer> pk(buf);
    pk.pack_map(3);
    pk.pack(std::string("t"));
    pk.pack(std::string("subscribe"));
    pk.pack(std::string("id"));
    pk.pack(id);
    pk.pack(std::string("unit"));
    pk.pack(std::string("411502"));
    return {buf.data(), buf.size()};
  }
};

TEST_F(websocket_session_test, malformed_input_of_every_kind_is_answered_and_the_connection_stays) {
  auto c = connect(P(grid_a1_1, 2));
  ASSERT_TRUE(c->ok());
  expect_error(*c, "\xc1\xc1\xc1", false, errc::malformed, 0);
  expect_usable(*c);
  expect_error(*c, std::string("\x93\x01\x02\x03", 4), false, errc::not_a_map, 0);
  expect_error(*c, msgpack_wrong_type(31), false, errc::wrong_type, 31);
  expect_usable(*c);
  expect_error(*c, R"({"t":"subscribe","id":)", true, errc::malformed, 0);
  expect_usable(*c);
  expect_error(
      *c,
      R"({"t":"case.report","id":32,"unit":"411502001001001","category":"safety.dispute","title":"x"})",
      true, errc::wrong_type, 32);
  expect_error(*c, R"({"t":"case.delete","id":33})", true, errc::unknown_type, 33);
  expect_error(*c, R"({"t":"subscribe","id":34,"unit":411502001001001,"colour":"red"})", true,
               errc::unknown_field, 34);
  expect_error(*c,
               R"({"t":"case.act","id":35,"case":1,"action":"rate","unit":411502901,"score":9})",
               true, errc::out_of_range, 35);
  expect_error(*c, R"({"t":"case.report","id":36,"unit":411502001001001,"title":"x"})", true,
               errc::missing_field, 36);
  expect_error(*c, R"([1,2,3])", true, errc::not_a_map, 0);
  expect_usable(*c);
  c->use_json(true);
  expect_usable(*c);
  EXPECT_TRUE(c->last_was_text());

  auto text = http_request(port(), "GET", "/metrics").body;
  EXPECT_EQ(metric(text, "hub_messages_in_total{type=\"invalid\"}"), 10);
  EXPECT_EQ(metric(text, "hub_errors_total{code=\"malformed\"}"), 2);
  EXPECT_EQ(metric(text, "hub_errors_total{code=\"wrong_type\"}"), 2);
}

// RFC 6455 makes a text frame UTF-8: one that is not is closed with 1007 by the WebSocket
// layer before the hub reads it (protocol/README.md, Transport). A JSON string escape that
// makes no character (a lone surrogate) is valid UTF-8 on the wire and is the codec's:
// malformed, on an open connection.
TEST_F(websocket_session_test, a_text_frame_that_is_not_utf8_closes_with_1007) {
  auto c = connect(P(grid_a1_1, 2));
  expect_error(*c, R"({"t":"subscribe","id":5,"unit":1,"x":"\ud800"})", true, errc::malformed, 0);
  expect_usable(*c);
  c->send_raw("{\"t\":\"subscribe\",\"id\":6,\"unit\":\"\xff\"}", true);
  ASSERT_TRUE(c->wait_closed());
  EXPECT_EQ(c->close_reason().code, websocket::close_code::bad_payload);
}

TEST_F(websocket_session_test, an_oversized_message_closes_the_connection_with_a_reason) {
  auto c = connect(P(grid_a1_1, 2));
  expect_usable(*c);
  c->send_raw(std::string(protocol::limits::frame_bytes + 1, 'x'), false);
  ASSERT_TRUE(c->wait_closed());
  EXPECT_EQ(c->close_reason().code, websocket::close_code::too_big);
  EXPECT_NE(c->close_text().find("65536"), std::string::npos) << c->close_text();
  auto abuse_closes = [&] {
    return metric(http_request(port(), "GET", "/metrics").body, "hub_abuse_closes_total");
  };
  EXPECT_EQ(abuse_closes(), 1);
  // Far over the limit, Beast refuses it at the frame header, with the same code (the session
  // never reads it, so it is not counted as an abuse close).
  auto d = connect(P(grid_a1_1, 2));
  d->send_raw(std::string(8 * protocol::limits::frame_bytes, 'x'), false);
  ASSERT_TRUE(d->wait_closed());
  EXPECT_EQ(d->close_reason().code, websocket::close_code::too_big);
  // A message of exactly the limit is read (and refused by the codec, not the gateway).
  auto e = connect(P(grid_a1_1, 2));
  expect_error(*e, std::string(protocol::limits::frame_bytes, '\xc1'), false, errc::malformed, 0);
  expect_usable(*e);
}

TEST_F(websocket_session_test, too_many_undecodable_messages_in_a_row_close_the_connection) {
  auto c = connect(P(grid_a1_1, 2));
  // Twenty in a row are tolerated; a good one resets the count.
  for (int i = 0; i < 20; ++i)
    expect_error(*c, "\xc1", false, errc::malformed, 0);
  expect_usable(*c);
  for (int i = 0; i < 20; ++i)
    expect_error(*c, "\xc1", false, errc::malformed, 0);
  expect_usable(*c);
  // The twenty-first is answered, then the hub closes.
  for (int i = 0; i < 21; ++i)
    expect_error(*c, "\xc1", false, errc::malformed, 0);
  ASSERT_TRUE(c->wait_closed());
  EXPECT_EQ(c->close_reason().code, websocket::close_code::policy_error);
  EXPECT_NE(c->close_text().find("undecodable"), std::string::npos) << c->close_text();
  EXPECT_EQ(metric(http_request(port(), "GET", "/metrics").body, "hub_abuse_closes_total"), 1);
}

TEST_F(websocket_session_test, a_client_over_its_rate_is_refused_with_rate_limited) {
  auto cfg = defaults();
  cfg.rate = 0.001; // no refill within the test
  cfg.burst = 5;
  start(cfg);
  auto c = connect(P(grid_a1_1, 2));
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 20; ++i) {
    ids.push_back(next_id());
    c->send({ids.back(), protocol::subscribe{grid_a1_1}});
  }
  int acked = 0, limited = 0;
  for (auto id : ids) {
    auto r = c->reply_to(id);
    ASSERT_TRUE(r.has_value()) << "no reply to " << id;
    if (std::holds_alternative<protocol::ack>(*r)) {
      ++acked;
    } else {
      auto* e = std::get_if<protocol::error>(&*r);
      ASSERT_NE(e, nullptr);
      EXPECT_EQ(e->code, errc::rate_limited);
      ++limited;
    }
  }
  EXPECT_EQ(acked, 5);
  EXPECT_EQ(limited, 15);
  // Refused requests were not applied: a report now is refused too, and nothing was made.
  EXPECT_REFUSED(c->request(msg(report_at(grid_a1_1))), errc::rate_limited);
  EXPECT_EQ(city_->events().last_seq(), 0u);
  auto text = http_request(port(), "GET", "/metrics").body;
  EXPECT_EQ(metric(text, "hub_errors_total{code=\"rate_limited\"}"), 16);
  EXPECT_EQ(metric(text, "hub_rate_limited_total{scope=\"connection\"}"), 16);
}

// One person with several connections shares one budget: more connections do not buy a
// faster rate. Another person is not held back by it.
TEST_F(websocket_session_test, a_person_over_their_rate_across_connections_is_refused) {
  auto cfg = defaults();
  cfg.rate = 0.001; // no refill within the test
  cfg.burst = 100;  // each connection alone could send all of its frames
  cfg.person_rate = 0.001;
  cfg.person_burst = 10;
  start(cfg);
  std::vector<std::unique_ptr<test_client>> same;
  for (int i = 0; i < 3; ++i)
    same.push_back(connect(P(grid_a1_1, 2)));
  auto other = connect(P(grid_a1_2, 2));
  std::vector<std::pair<test_client*, std::uint64_t>> sent;
  for (int round = 0; round < 8; ++round)
    for (auto& c : same) {
      sent.emplace_back(c.get(), next_id());
      c->send({sent.back().second, protocol::subscribe{grid_a1_1}});
    }
  int acked = 0, limited = 0;
  for (auto [c, id] : sent) {
    auto r = c->reply_to(id);
    ASSERT_TRUE(r.has_value()) << "no reply to " << id;
    if (std::holds_alternative<protocol::ack>(*r)) {
      ++acked;
      continue;
    }
    auto* e = std::get_if<protocol::error>(&*r);
    ASSERT_NE(e, nullptr) << describe(*r);
    EXPECT_EQ(e->code, errc::rate_limited);
    EXPECT_NE(e->message.find("across all your connections"), std::string::npos) << e->message;
    ++limited;
  }
  EXPECT_EQ(acked, 10);
  EXPECT_EQ(limited, 14);
  for (int i = 0; i < 10; ++i)
    EXPECT_ACK(other->request(msg(protocol::subscribe{grid_a1_2})));
  auto text = http_request(port(), "GET", "/metrics").body;
  EXPECT_EQ(metric(text, "hub_rate_limited_total{scope=\"person\"}"), 14);
  EXPECT_EQ(metric(text, "hub_rate_limited_total{scope=\"connection\"}"), 0);
  EXPECT_EQ(metric(text, "hub_errors_total{code=\"rate_limited\"}"), 14);
}

TEST_F(websocket_session_test, a_silent_client_is_dropped_after_the_idle_timeout) {
  auto cfg = defaults();
  cfg.idle_timeout = std::chrono::milliseconds(600);
  start(cfg);
  auto c = connect(P(grid_a1_1, 2));
  expect_usable(*c);
  // It never answers the hub's ping: the hub gives up on it.
  EXPECT_TRUE(c->wait_dropped_without_answering());
  auto text = http_request(port(), "GET", "/metrics").body;
  EXPECT_EQ(metric(text, "hub_connections"), 0);
}

} // namespace
} // namespace hub::testing
