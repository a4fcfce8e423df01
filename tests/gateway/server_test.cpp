#include "gateway/server.hpp"

#include "tests/gateway/gateway_fixture.hpp"

#include <thread>

namespace hub::testing {
namespace {

using namespace codes;
namespace websocket = beast::websocket;

constexpr auto P = person_at;

class server_test : public gateway_test {};

TEST_F(server_test, stopping_closes_every_session_with_going_away_and_stops_accepting) {
  auto leader = connect(P(county, 1));
  auto worker = connect(P(grid_a1_1, 2), /*json=*/true);
  EXPECT_ACK(leader->request(msg(protocol::subscribe{county})));
  EXPECT_ACK(worker->request(msg(report_at(grid_a1_1))));
  EXPECT_EQ(server_->sessions(), 2u);
  auto p = port();

  // stop() blocks until the sessions closed; the clients answer the close meanwhile.
  auto t0 = std::chrono::steady_clock::now();
  std::thread stopper{[&] { server_->stop(); }};
  for (auto* c : {leader.get(), worker.get()}) {
    EXPECT_TRUE(c->wait_closed());
    EXPECT_EQ(c->close_reason().code, websocket::close_code::going_away);
    EXPECT_EQ(c->close_text(), "the hub is shutting down");
  }
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, defaults().drain_timeout)
      << "sessions that answer should close well within the drain time";
  EXPECT_EQ(server_->sessions(), 0u);
  EXPECT_EQ(city_->events().topic_count(), 0u) << "every session unsubscribed";
  EXPECT_FALSE(test_client(p, {"/?token=" + token_for(P(county, 1)), "", 0}).ok());
}

TEST_F(server_test, stopping_is_bounded_even_when_a_client_never_reads) {
  auto cfg = defaults();
  cfg.queue_limit = 1 << 20; // nothing is shed: the queue just grows
  cfg.drain_timeout = std::chrono::milliseconds(500);
  auto opts = city_defaults();
  opts.flush_interval = std::chrono::hours(1);
  start(cfg, opts);
  test_client::connect_options slow_opts;
  slow_opts.target = "/?token=" + token_for(P(county, 1));
  slow_opts.receive_buffer = 4096;
  test_client slow{port(), slow_opts};
  ASSERT_TRUE(slow.ok());
  EXPECT_ACK(slow.request(msg(protocol::subscribe{county})));
  report_in_process(grid_a1_1, 3000); // far more than the socket buffers hold
  auto t0 = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  EXPECT_EQ(city_->events().topic_count(), 0u);
}

TEST_F(server_test, a_second_server_on_a_taken_port_fails_to_start) {
  auto cfg = defaults();
  cfg.port = port();
  gateway::server other{*city_, cfg};
  EXPECT_THROW(other.start(), std::system_error);
}

} // namespace
} // namespace hub::testing
