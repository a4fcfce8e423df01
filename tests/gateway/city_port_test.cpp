// The gateway against a recording city (tests/gateway/recording_city.hpp): what reaches the
// city, as whom, and when a connection lets go of its subscriptions; no actors run here.

#include "gateway/net/token.hpp"
#include "gateway/open311/service.hpp"
#include "gateway/server.hpp"
#include "tests/gateway/recording_city.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/limits.hpp"
#include "tests/support/small_city.hpp"
#include "tests/support/test_client.hpp"

#include <gtest/gtest.h>

namespace hub::testing {
namespace {

using namespace codes;

constexpr std::string_view secret = "the test secret of the city port's tests";

class city_port_test : public ::testing::Test {
protected:
  city_port_test() {
    gateway::config cfg;
    cfg.port = 0;
    cfg.secret = std::string(secret);
    cfg.www_dir = HUB_TEST_WWW;
    cfg.drain_timeout = std::chrono::seconds(5);
    server_ = std::make_unique<gateway::server>(city_, cfg);
    server_->start();
  }

  std::unique_ptr<test_client> connect(protocol::person_id who) {
    const auto* p = h_->find_person(who);
    EXPECT_NE(p, nullptr);
    test_client::connect_options opts;
    opts.target = "/?token=" + gateway::token::issue(secret, *p, std::chrono::hours(1));
    auto c = std::make_unique<test_client>(server_->port(), opts);
    EXPECT_TRUE(c->ok()) << c->status() << " " << c->body();
    return c;
  }

  std::shared_ptr<const protocol::hierarchy> h_ = make_small_city();
  recording_city city_{h_};
  std::unique_ptr<gateway::server> server_;
};

TEST_F(city_port_test,
       a_request_reaches_the_city_as_its_authenticated_person_and_the_reply_returns) {
  const auto worker = person_at(grid_a1_1, 2);
  auto c = connect(worker);
  protocol::case_report r;
  r.unit = grid_a1_1;
  r.category = "safety.dispute";
  r.title = "邻里噪音纠纷";
  auto reply = c->request({7, r});
  auto* ack = std::get_if<protocol::ack>(&reply);
  ASSERT_NE(ack, nullptr) << describe(reply);
  EXPECT_EQ(ack->id, 7u);
  EXPECT_EQ(ack->seq, 1u); // the fake's answer, carried back unchanged

  auto seen = city_.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].who.id, worker);
  EXPECT_EQ(seen[0].who.unit, grid_a1_1);
  EXPECT_EQ(seen[0].msg.id, 7u);
  auto* report = std::get_if<protocol::case_report>(&seen[0].msg.body);
  ASSERT_NE(report, nullptr);
  EXPECT_EQ(report->title, "邻里噪音纠纷");
}

TEST_F(city_port_test,
       a_frame_that_does_not_decode_is_answered_by_the_gateway_and_never_reaches_the_city) {
  auto c = connect(person_at(grid_a1_1, 2));
  c->send_raw("\xc1", false); // 0xc1: never used in MessagePack
  auto m = c->read();
  ASSERT_TRUE(m.has_value());
  EXPECT_NE(std::get_if<protocol::error>(&*m), nullptr) << describe(*m);
  // A request after it still works, and is the only one the city saw.
  EXPECT_ACK(c->request({8, protocol::subscribe{grid_a1_1, {}}}));
  ASSERT_EQ(city_.requests().size(), 1u);
  EXPECT_EQ(city_.requests()[0].msg.id, 8u);
}

TEST_F(city_port_test, a_closed_connection_lets_go_of_its_subscriptions_once) {
  auto c = connect(person_at(grid_a1_1, 2));
  EXPECT_ACK(c->request({1, protocol::subscribe{grid_a1_1, {}}}));
  c.reset(); // the client closes
  ASSERT_TRUE(city_.wait_disconnects(1, patience));
  server_->stop();
  EXPECT_EQ(city_.disconnects(), 1u);
}

TEST_F(city_port_test, healthz_and_metrics_read_the_city_gauges) {
  actors::city_gauges g;
  g.last_seq = 4242;
  g.topics = 17;
  city_.set_gauges(g);
  auto health = http_request(server_->port(), "GET", "/healthz");
  EXPECT_NE(health.body.find("\"bus_last_seq\":4242"), std::string::npos) << health.body;
  auto metrics = http_request(server_->port(), "GET", "/metrics");
  EXPECT_NE(metrics.body.find("hub_bus_last_seq 4242"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("hub_bus_topics 17"), std::string::npos) << metrics.body;
}

// An Open311 post still waiting for the city when the server stops: the server lets go of the
// connection, and the city's late answer is dropped rather than posted to a lane that is gone.
TEST(city_port_open311, a_post_answered_after_the_server_stopped_reaches_no_lane) {
  auto h = make_small_city();
  recording_city city{h};
  const std::string key = "hotline-test-key-0001";
  gateway::config cfg;
  cfg.port = 0;
  cfg.secret = std::string(secret);
  cfg.www_dir = HUB_TEST_WWW;
  cfg.drain_timeout = std::chrono::seconds(5);
  cfg.open311 = std::make_shared<open311::service>(
      city, open311::catalogue(*h),
      open311::key_table::parse(*h, key + "\t" + std::to_string(person_at(city_centre, 1))));
  auto server = std::make_unique<gateway::server>(city, cfg);
  auto port = server->start();
  city.hold_replies();
  http_reply reply;
  std::thread client([&] {
    reply = http_request(port, "POST", "/open311/v2/requests.json",
                         "api_key=" + key + "&service_code=safety.dispute&lat=32.1&long=114.1",
                         "application/x-www-form-urlencoded");
  });
  ASSERT_TRUE(city.wait_requests(1, patience));
  server->stop();
  client.join();
  EXPECT_EQ(reply.status, 0);        // the connection closed unanswered
  server.reset();                    // the lanes are gone
  EXPECT_EQ(city.answer_held(), 1u); // dropped: without the hold this posts to a freed lane
  cfg.open311.reset();
}

} // namespace
} // namespace hub::testing
