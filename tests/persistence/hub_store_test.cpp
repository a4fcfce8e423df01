// `hub serve --redis` and the store's owner: a second hub that cannot serve (its port is busy)
// exits before it takes the store over; a hub whose store another hub took over refuses every
// write with conflict and says so on /healthz, /metrics and once in its log; and at SIGTERM
// a request still waiting for the store is answered try_again before the connection closes.

#include "persistence/records.hpp"
#include "tests/persistence/hub_fixture.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/test_client.hpp"

#include <signal.h>

namespace hub::testing {
namespace {

using namespace codes;
using protocol::errc;

constexpr auto P = person_at;

class hub_store_test : public hub_process_test {
protected:
  /// The store's writer epoch (hub:meta writer), "" when none.
  std::string writer_epoch() {
    auto spy = redis_.connect();
    return hget(spy, persistence::keys::meta, "writer").value_or("");
  }

  static protocol::case_report report_at(protocol::unit_code unit, const std::string& title) {
    protocol::case_report r;
    r.unit = unit;
    r.category = "safety.dispute";
    r.title = title;
    return r;
  }

  /// How many times `what` occurs in `text`.
  static std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
      ++n;
    return n;
  }
};

TEST_F(hub_store_test, a_second_hub_on_a_busy_port_exits_without_taking_the_store_over) {
  auto port = start_hub();
  ASSERT_NE(port, 0);
  test_client c{port, {"/?token=" + token_for(P(grid_a1_1, 2)), "", 0}};
  ASSERT_TRUE(c.ok()) << c.status() << " " << c.body();
  EXPECT_ACK(c.request({1, report_at(grid_a1_1, "before")}));
  const auto epoch = writer_epoch();
  ASSERT_FALSE(epoch.empty());

  child_process second{serve_command({"--port", std::to_string(port)})};
  EXPECT_EQ(second.finish(wait_limit), 1) << second.out() << second.err();
  EXPECT_NE(second.err().find("Address already in use"), std::string::npos) << second.err();
  EXPECT_EQ(second.err().find("store at"), std::string::npos)
      << "it read the store before it could serve: " << second.err();

  // The first hub still owns the store and takes writes.
  EXPECT_EQ(writer_epoch(), epoch);
  EXPECT_ACK(c.request({2, report_at(grid_a1_1, "after")}));
  EXPECT_EQ(stored_cases().size(), 2u);
}

TEST_F(hub_store_test, a_superseded_hub_refuses_every_write_with_conflict_and_says_so) {
  auto port = start_hub();
  ASSERT_NE(port, 0);
  test_client c{port, {"/?token=" + token_for(P(grid_a1_1, 2)), "", 0}};
  ASSERT_TRUE(c.ok()) << c.status() << " " << c.body();
  EXPECT_ACK(c.request({1, report_at(grid_a1_1, "before")}));
  auto metrics = http_request(port, "GET", "/metrics").body;
  EXPECT_NE(metrics.find("hub_store_fenced{reason=\"superseded\"} 0"), std::string::npos);

  // Another hub takes the store over.
  child_process newer{serve_command()};
  auto newer_port = port_of(newer);
  ASSERT_NE(newer_port, 0) << newer.err();

  // Every later write to the old hub: conflict, never try_again.
  for (std::uint64_t id = 2; id <= 5; ++id) {
    auto reply = c.request({id, report_at(grid_a1_1, "on the stale hub")});
    EXPECT_REFUSED(reply, errc::conflict);
    if (auto* e = std::get_if<protocol::error>(&reply)) {
      EXPECT_NE(e->message.find("another hub process took over the store"), std::string::npos)
          << e->message;
    }
  }
  auto health = http_request(port, "GET", "/healthz");
  EXPECT_EQ(health.status, 503);
  EXPECT_NE(health.body.find("\"status\":\"fenced\""), std::string::npos) << health.body;
  EXPECT_NE(health.body.find("\"store\":\"superseded\""), std::string::npos) << health.body;
  metrics = http_request(port, "GET", "/metrics").body;
  EXPECT_NE(metrics.find("hub_store_fenced{reason=\"superseded\"} 1"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("hub_store_accepting 0"), std::string::npos);
  EXPECT_NE(metrics.find("hub_errors_total{code=\"conflict\"} 4"), std::string::npos) << metrics;
  // New connections are turned away with the reason; the log says it once.
  test_client late{port, {"/?token=" + token_for(P(grid_a1_1, 2)), "", 0}};
  EXPECT_EQ(late.status(), 503);
  EXPECT_NE(late.body().find("another hub process took over the store"), std::string::npos);
  EXPECT_EQ(count(hub_->err(), "store: fenced:"), 1u) << hub_->err();

  // The newer hub serves, with what the old one stored before.
  test_client d{newer_port, {"/?token=" + token_for(P(grid_a1_1, 2)), "", 0}};
  ASSERT_TRUE(d.ok()) << d.status() << " " << d.body();
  EXPECT_ACK(d.request({6, report_at(grid_a1_1, "on the newer hub")}));
  EXPECT_EQ(http_request(newer_port, "GET", "/healthz").status, 200);
  EXPECT_EQ(stored_cases().size(), 2u);
  d.close();
  newer.signal(SIGTERM);
  EXPECT_EQ(newer.finish(wait_limit), 0) << newer.err();
}

// Redis hangs (SIGSTOP: connections stay open, nothing answers), a report waits for it, and
// the hub is told to stop: the client hears try_again for that report, then the 1001 close.
// Sent again with the same id to the hub restarted on the same store, it is stored once.
TEST_F(hub_store_test, at_sigterm_a_request_in_flight_is_answered_try_again_before_the_close) {
  auto port = start_hub();
  ASSERT_NE(port, 0);
  test_client c{port, {"/?token=" + token_for(P(grid_a1_1, 2)), "", 0}};
  ASSERT_TRUE(c.ok()) << c.status() << " " << c.body();
  EXPECT_ACK(c.request({1, report_at(grid_a1_1, "stored")}));

  redis_.signal(SIGSTOP);
  const auto waiting = report_at(grid_a1_1, "in flight");
  c.send({2, waiting});
  // Nothing else writes: the round trip that fails is the one carrying the report, which the
  // unit has applied and committed; its reply waits for the store.
  ASSERT_TRUE(hub_->wait_for("store: ", true)) << hub_->err();
  hub_->signal(SIGTERM);
  auto reply = c.reply_to(2);
  ASSERT_TRUE(reply.has_value()) << "no reply before the close: " << hub_->err();
  EXPECT_REFUSED(*reply, errc::try_again);
  if (auto* e = std::get_if<protocol::error>(&*reply)) {
    EXPECT_NE(e->message.find("same id"), std::string::npos) << e->message;
  }
  ASSERT_TRUE(c.wait_closed());
  EXPECT_EQ(c.close_reason().code, beast::websocket::close_code::going_away);
  redis_.signal(SIGCONT);
  EXPECT_EQ(hub_->finish(wait_limit), 0) << hub_->err();

  // Whether or not the store got it on the way out, the retry applies it exactly once.
  port = start_hub();
  ASSERT_NE(port, 0);
  test_client again{port, {"/?token=" + token_for(P(grid_a1_1, 2)), "", 0}};
  ASSERT_TRUE(again.ok());
  EXPECT_ACK(again.request({2, waiting}));
  std::size_t in_flight = 0;
  for (auto& [id, stored] : stored_cases())
    in_flight += stored.title == "in flight" ? 1 : 0;
  EXPECT_EQ(in_flight, 1u);
}

} // namespace
} // namespace hub::testing
