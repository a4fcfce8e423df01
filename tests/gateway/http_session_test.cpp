#include "gateway/http_session.hpp"

#include "tests/gateway/gateway_fixture.hpp"

namespace hub::testing {
namespace {

using namespace codes;

class http_session_test : public gateway_test {};

TEST_F(http_session_test, healthz_says_ok_with_uptime_and_connections) {
  auto c = connect(person_at(county, 1));
  ASSERT_TRUE(c->ok());
  // The session registers once its handshake is done, on the server's thread: a reply on
  // the socket proves it is.
  EXPECT_ACK(c->request(msg(protocol::subscribe{county})));
  auto r = http_request(port(), "GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_NE(r.body.find("\"status\":\"ok\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"uptime_seconds\":"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"connections\":1"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"store\":\"memory\""), std::string::npos) << r.body; // no Redis here
}

TEST_F(http_session_test, metrics_are_prometheus_text_and_move_with_traffic) {
  auto before = http_request(port(), "GET", "/metrics");
  EXPECT_EQ(before.status, 200);
  EXPECT_EQ(before.content_type, "text/plain; version=0.0.4; charset=utf-8");
  for (auto series :
       {"hub_connections", "hub_messages_in_total{type=\"case.report\"}",
        "hub_messages_out_total{type=\"ack\"}", "hub_errors_total{code=\"forbidden\"}",
        "hub_queue_drops_total", "hub_request_latency_seconds_count",
        "hub_request_latency_seconds_bucket{le=\"+Inf\"}", "hub_bus_last_seq"})
    EXPECT_EQ(metric(before.body, series), 0) << series;
  EXPECT_NE(before.body.find("# TYPE hub_request_latency_seconds histogram"), std::string::npos);

  auto c = connect(person_at(grid_a1_1, 2));
  EXPECT_ACK(c->request(msg(report_at(grid_a1_1))));
  EXPECT_REFUSED(c->request(msg(report_at(grid_b1_1))), protocol::errc::forbidden);
  EXPECT_REFUSED(c->request(msg(protocol::subscribe{city})), protocol::errc::forbidden);

  auto after = http_request(port(), "GET", "/metrics").body;
  EXPECT_EQ(metric(after, "hub_connections"), 1);
  EXPECT_EQ(metric(after, "hub_messages_in_total{type=\"case.report\"}"), 2);
  EXPECT_EQ(metric(after, "hub_messages_in_total{type=\"subscribe\"}"), 1);
  EXPECT_EQ(metric(after, "hub_messages_out_total{type=\"ack\"}"), 1);
  EXPECT_EQ(metric(after, "hub_messages_out_total{type=\"error\"}"), 2);
  EXPECT_EQ(metric(after, "hub_errors_total{code=\"forbidden\"}"), 2);
  EXPECT_EQ(metric(after, "hub_request_latency_seconds_count"), 3);
  EXPECT_EQ(metric(after, "hub_request_latency_seconds_bucket{le=\"+Inf\"}"), 3);
  EXPECT_GT(metric(after, "hub_request_latency_seconds_sum"), 0);
  EXPECT_EQ(metric(after, "hub_bus_last_seq"), 1);
  EXPECT_GE(metric(after, "hub_http_requests_total"), 1);
}

TEST_F(http_session_test, static_files_are_served_from_the_www_directory) {
  auto index = http_request(port(), "GET", "/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_NE(index.body.find("/healthz"), std::string::npos);
  EXPECT_EQ(http_request(port(), "GET", "/index.html").body, index.body);
  EXPECT_EQ(http_request(port(), "GET", "/nothing-here.js").status, 404);
}

TEST_F(http_session_test, dot_dot_is_refused) {
  EXPECT_EQ(http_request(port(), "GET", "/../CMakeLists.txt").status, 400);
  EXPECT_EQ(http_request(port(), "GET", "/%2e%2e/CMakeLists.txt").status, 400);
  EXPECT_EQ(http_request(port(), "GET", "/www/../../README.md").status, 400);
}

TEST_F(http_session_test, anything_but_get_is_405) {
  for (auto method : {"POST", "PUT", "DELETE"}) {
    auto r = http_request(port(), method, "/healthz");
    EXPECT_EQ(r.status, 405) << method;
  }
}

} // namespace
} // namespace hub::testing
