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

/// How many times `what` occurs in `text`.
std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

// A request the hub cannot read whole is answered once, with its status, and the connection
// is closed in an orderly way (the answer is not lost to a reset while the client still
// sends).
TEST_F(http_session_test, unreadable_requests_are_answered_once_431_413_or_400) {
  auto with_header = [](std::size_t bytes) {
    return "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + std::string(bytes, 'a') +
           "\r\n\r\n";
  };
  auto big = raw_exchange(port(), with_header(16 * 1024));
  EXPECT_EQ(big.rfind("HTTP/1.1 431 ", 0), 0u) << big.substr(0, 200);
  EXPECT_EQ(count(big, "HTTP/1.1 "), 1u) << big;
  EXPECT_NE(big.find("Connection: close"), std::string::npos) << big;
  EXPECT_NE(big.find("over 8192 bytes"), std::string::npos) << big;
  // Far over (more than the socket buffers hold at once): still answered.
  auto huge = raw_exchange(port(), with_header(256 * 1024));
  EXPECT_EQ(huge.rfind("HTTP/1.1 431 ", 0), 0u) << huge.substr(0, 200);
  // Just under the limit is an ordinary request.
  auto fits = raw_exchange(port(), with_header(7 * 1024) + "GET /x HTTP/1.1\r\nHost: h\r\n"
                                                           "Connection: close\r\n\r\n");
  EXPECT_EQ(fits.rfind("HTTP/1.1 200 ", 0), 0u) << fits.substr(0, 200);
  auto garbage = raw_exchange(port(), "NOT HTTP AT ALL\r\n\r\n");
  EXPECT_EQ(garbage.rfind("HTTP/1.1 400 ", 0), 0u) << garbage;
  EXPECT_EQ(count(garbage, "HTTP/1.1 "), 1u) << garbage;
  // A body over 16 KiB is refused from its Content-Length.
  auto body =
      raw_exchange(port(), "GET /healthz HTTP/1.1\r\nHost: h\r\nContent-Length: 20000\r\n\r\n" +
                               std::string(20000, 'b'));
  EXPECT_EQ(body.rfind("HTTP/1.1 413 ", 0), 0u) << body.substr(0, 200);
  EXPECT_EQ(count(body, "HTTP/1.1 "), 1u) << body.substr(0, 200);
  EXPECT_NE(body.find("over 16384 bytes"), std::string::npos) << body;

  auto text = http_request(port(), "GET", "/metrics").body;
  EXPECT_EQ(metric(text, "hub_http_refused_total{status=\"431\"}"), 2);
  EXPECT_EQ(metric(text, "hub_http_refused_total{status=\"400\"}"), 1);
  EXPECT_EQ(metric(text, "hub_http_refused_total{status=\"413\"}"), 1);
}

TEST_F(http_session_test, anything_but_get_is_405) {
  for (auto method : {"POST", "PUT", "DELETE"}) {
    auto r = http_request(port(), method, "/healthz");
    EXPECT_EQ(r.status, 405) << method;
  }
}

} // namespace
} // namespace hub::testing
