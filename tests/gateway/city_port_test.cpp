// The gateway against a recording city (tests/gateway/recording_city.hpp): what reaches the
// city, as whom, and when a connection lets go of its subscriptions; no actors run here.

#include "gateway/net/token.hpp"
#include "gateway/open311/service.hpp"
#include "gateway/server.hpp"
#include "protocol/json.hpp"
#include "tests/gateway/recording_city.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/limits.hpp"
#include "tests/support/small_city.hpp"
#include "tests/support/test_client.hpp"

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <gtest/gtest.h>

#include <sys/socket.h>

#include <sstream>

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
  // Without a store there are no archive series, and no bound is near.
  EXPECT_EQ(metrics.body.find("hub_cases_stored"), std::string::npos) << metrics.body;
  EXPECT_NE(health.body.find("\"near\":[]"), std::string::npos) << health.body;
}

TEST_F(city_port_test, metrics_count_the_store_and_healthz_names_the_bounds_near) {
  actors::city_gauges g;
  g.store.durable = true;
  g.store.pending = 80'000; // 80 % of the buffer
  g.store.buffer = 100'000;
  g.archive = {true, 12, 3400, 56, 789000, 900, 1000};
  city_.set_gauges(g);
  auto metrics = http_request(server_->port(), "GET", "/metrics");
  for (auto* series :
       {"hub_cases_stored{where=\"hot\"} 12", "hub_cases_stored{where=\"archive\"} 3400",
        "hub_directives_archived 56", "hub_archive_bytes 789000",
        "hub_redis_memory_bytes{of=\"used\"} 900", "hub_redis_memory_bytes{of=\"max\"} 1000"})
    EXPECT_NE(metrics.body.find(series), std::string::npos) << series << "\n" << metrics.body;
  auto health = http_request(server_->port(), "GET", "/healthz");
  EXPECT_NE(health.body.find("\"near\":[\"store_buffer\",\"redis_memory\"]"), std::string::npos)
      << health.body;
  g.store.pending = 79'999;
  g.archive.redis_max = 0; // no maxmemory: never near
  city_.set_gauges(g);
  health = http_request(server_->port(), "GET", "/healthz");
  EXPECT_NE(health.body.find("\"near\":[]"), std::string::npos) << health.body;
}

/// A message whose frame payload (in `json` or MessagePack) is `size` bytes, as the hub could
/// send it: a case event of grid_a1_1 with a note (up to 8 KiB), or a larger `case` result
/// whose steps carry notes (a page of a case's history). Fails the test unless it decodes
/// back to itself.
protocol::server_message message_of_size(std::uint64_t seq, std::size_t size, bool json) {
  constexpr std::size_t note_bytes = 7000; // well under the 8 KiB a note may hold
  auto bytes_of = [&](const protocol::server_message& m) {
    return json ? protocol::to_json(m).size() : protocol::encode(m).size();
  };
  protocol::server_message m;
  std::string* note = nullptr; // the note that takes up the rest
  if (size <= note_bytes) {
    protocol::case_event e;
    e.seq = seq;
    e.at = 1795568400000;
    e.id = seq;
    e.unit = grid_a1_1;
    e.category = "safety.dispute";
    m = std::move(e);
    note = &std::get<protocol::case_event>(m).note;
  } else {
    protocol::result r;
    r.id = seq;
    r.seq = seq;
    r.what = protocol::query_kind::one_case;
    r.one.summary.id = seq;
    r.one.summary.title = "邻里噪音纠纷";
    r.one.summary.category = "safety.dispute";
    r.one.summary.unit = r.one.summary.origin = grid_a1_1;
    r.one.held_by = {grid_a1_1};
    protocol::case_step step;
    step.at = 1795568400000;
    step.unit = grid_a1_1;
    step.note = std::string(note_bytes, 'n');
    while (bytes_of(r) + note_bytes + 100 < size) // the last step takes what is left
      r.one.steps.push_back(step);
    step.note.clear();
    r.one.steps.push_back(step);
    r.total = static_cast<std::uint32_t>(r.one.steps.size());
    m = std::move(r);
    note = &std::get<protocol::result>(m).one.steps.back().note;
  }
  // The note's own length prefix grows with it: a few rounds settle the size.
  for (int round = 0; round < 5 && bytes_of(m) != size; ++round)
    note->resize(note->size() + size - bytes_of(m), 'n'); // shorter when it went over
  EXPECT_EQ(bytes_of(m), size);
  auto back = json ? protocol::decode_server_json(protocol::to_json(m))
                   : protocol::decode_server(protocol::encode(m));
  auto* same = std::get_if<protocol::server_message>(&back);
  EXPECT_TRUE(same != nullptr && *same == m)
      << (same == nullptr ? std::get<protocol::decode_error>(back).message : "not the same");
  return m;
}

/// A counter's value in the hub's /metrics ("name{labels}"), or -1 when absent.
double metric_of(std::uint16_t port, const std::string& series) {
  std::istringstream in(http_request(port, "GET", "/metrics").body);
  for (std::string line; std::getline(in, line);)
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ')
      return std::stod(line.substr(series.size() + 1));
  return -1;
}

// A burst that reaches a session at once goes out in a few gather writes (at most 64 frames
// each, and about 256 KiB: a frame is never split), and a Beast client reads every frame
// whole, in order, in the form it asked for: frames of under 126 bytes (7-bit length), up to
// 65,535 (16-bit) and of 65,536 bytes, the largest the hub sends (64-bit length).
TEST_F(city_port_test, a_burst_goes_out_in_a_few_writes_and_every_frame_reads_whole_and_in_order) {
  for (bool json : {false, true}) {
    SCOPED_TRACE(json ? "JSON" : "MessagePack");
    auto c = connect(person_at(grid_a1_1, 2));
    c->use_json(json);
    EXPECT_ACK(c->request({1, protocol::subscribe{grid_a1_1, {}}})); // the form is set
    std::vector<protocol::server_message> burst;
    std::vector<std::size_t> sizes;
    for (std::uint64_t k = 1; k <= 300; ++k) {
      if (k % 100 == 0 || k % 100 == 50 || k % 10 == 0)
        burst.push_back(message_of_size(k,
                                        k % 100 == 0    ? 65'536
                                        : k % 100 == 50 ? 65'535
                                                        : 300,
                                        json));
      else
        burst.push_back(protocol::ack{1000 + k, 0, 0, k}); // a frame of under 126 bytes
      sizes.push_back(json ? protocol::to_json(burst.back()).size()
                           : protocol::encode(burst.back()).size());
    }
    ASSERT_LT(sizes[0], 126u);
    const auto port = server_->port();
    const auto writes = metric_of(port, "hub_ws_writes_total");
    auto frames_out = [&] {
      return metric_of(port, "hub_messages_out_total{type=\"case.event\"}") +
             metric_of(port, "hub_messages_out_total{type=\"result\"}") +
             metric_of(port, "hub_messages_out_total{type=\"ack\"}");
    };
    const auto frames = frames_out();
    city_.precede_next_reply(burst);
    c->send({2, protocol::subscribe{grid_a1_1, {}}});
    for (std::uint64_t k = 1; k <= 300; ++k) {
      auto m = c->read();
      ASSERT_TRUE(m.has_value()) << "frame " << k;
      EXPECT_EQ(c->last_was_text(), json);
      ASSERT_EQ(*m, burst[k - 1]) << "frame " << k << ": " << describe(*m);
      auto again = json ? protocol::to_json(*m) : protocol::encode(*m);
      EXPECT_EQ(again.size(), sizes[k - 1]);
    }
    auto ack = c->read();
    ASSERT_TRUE(ack.has_value());
    EXPECT_ACK(*ack);
    // 301 frames, handed to the session in one go: gathered from the first.
    EXPECT_EQ(frames_out() - frames, 301); // and the subscribe's ack
    const auto used = metric_of(port, "hub_ws_writes_total") - writes;
    EXPECT_GE(used, 1 + 300 / 64) << "at most 64 frames a write";
    EXPECT_LE(used, 12) << "one write per frame would be 301";
  }
}

// What the city hands a session in one go, a request's ack with the event the request
// caused, leaves in one write, not one write per frame: with many small requests in flight
// each write is a system call on both ends.
TEST_F(city_port_test, a_reply_and_the_event_handed_over_with_it_leave_in_one_write) {
  auto c = connect(person_at(grid_a1_1, 2));
  EXPECT_ACK(c->request({1, protocol::subscribe{grid_a1_1, {}}}));
  const auto port = server_->port();
  for (std::uint64_t round = 0; round < 3; ++round) {
    const auto writes = metric_of(port, "hub_ws_writes_total");
    const protocol::server_message event = message_of_size(10 + round, 300, false);
    city_.precede_next_reply({event});
    c->send({2 + round, protocol::subscribe{grid_a1_1, {}}});
    auto first = c->read();
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(*first, event) << describe(*first);
    auto ack = c->read();
    ASSERT_TRUE(ack.has_value());
    EXPECT_ACK(*ack);
    EXPECT_EQ(metric_of(port, "hub_ws_writes_total") - writes, 1) << "round " << round;
  }
}

// The hub never negotiates permessage-deflate (its frames are made once, uncompressed, for
// every session): a client that offers it gets no extension back, and reads plain frames.
TEST_F(city_port_test, a_client_offering_permessage_deflate_gets_plain_frames) {
  namespace websocket = beast::websocket;
  net::io_context ioc;
  net::ip::tcp::socket socket(ioc);
  socket.connect({net::ip::make_address("127.0.0.1"), server_->port()});
  timeval bound{patience.count() / 1000, 0}; // a blocking read fails rather than hangs
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
  websocket::stream<net::ip::tcp::socket&> ws(socket);
  websocket::permessage_deflate offer;
  offer.client_enable = true;
  ws.set_option(offer);
  websocket::response_type res;
  const auto* p = h_->find_person(person_at(grid_a1_1, 2));
  ASSERT_NE(p, nullptr);
  ws.handshake(res, "127.0.0.1",
               "/?token=" + gateway::token::issue(secret, *p, std::chrono::hours(1)));
  EXPECT_TRUE(res[beast::http::field::sec_websocket_extensions].empty())
      << res[beast::http::field::sec_websocket_extensions];
  const std::vector<protocol::server_message> events{message_of_size(1, 300, false),
                                                     message_of_size(2, 65'536, false)};
  city_.precede_next_reply(events);
  ws.binary(true);
  ws.write(net::buffer(
      protocol::encode(protocol::client_message{3, protocol::subscribe{grid_a1_1, {}}})));
  for (const auto& expected : events) {
    beast::flat_buffer b;
    ws.read(b);
    EXPECT_TRUE(ws.got_binary());
    auto got = protocol::decode_server(beast::buffers_to_string(b.data()));
    auto* m = std::get_if<protocol::server_message>(&got);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(*m, expected);
  }
  beast::flat_buffer b;
  ws.read(b);
  auto got = protocol::decode_server(beast::buffers_to_string(b.data()));
  ASSERT_NE(std::get_if<protocol::server_message>(&got), nullptr);
  EXPECT_ACK(std::get<protocol::server_message>(got));
  ws.close(websocket::close_code::normal);
}

// Beast's own frames take their turn between the session's gathered writes, never inside one:
// pings sent while a 2 MB burst is being written (the client not reading, so the writes wait
// on the socket) are answered with pongs that arrive whole among whole frames.
TEST_F(city_port_test, pongs_answered_during_a_gathered_write_never_land_inside_it) {
  namespace websocket = beast::websocket;
  net::io_context ioc;
  net::ip::tcp::socket socket(ioc);
  socket.connect({net::ip::make_address("127.0.0.1"), server_->port()});
  timeval bound{patience.count() / 1000, 0}; // a blocking read fails rather than hangs
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
  websocket::stream<net::ip::tcp::socket&> ws(socket);
  const auto* p = h_->find_person(person_at(grid_a1_1, 2));
  ASSERT_NE(p, nullptr);
  ws.handshake("127.0.0.1", "/?token=" + gateway::token::issue(secret, *p, std::chrono::hours(1)));
  std::vector<protocol::server_message> burst;
  for (std::uint64_t k = 1; k <= 32; ++k)
    burst.push_back(message_of_size(k, 65'536, false));
  city_.precede_next_reply(burst);
  ws.binary(true);
  ws.write(net::buffer(
      protocol::encode(protocol::client_message{3, protocol::subscribe{grid_a1_1, {}}})));
  constexpr int pings = 5;
  for (int i = 0; i < pings; ++i)
    ws.ping(websocket::ping_data(std::to_string(i)));
  int pongs = 0;
  std::string order;
  ws.control_callback([&](websocket::frame_type kind, beast::string_view payload) {
    if (kind == websocket::frame_type::pong) {
      order += std::string(payload);
      ++pongs;
    }
  });
  for (const auto& expected : burst) {
    beast::flat_buffer b;
    ws.read(b); // a pong inside a frame would make this fail (a bad frame header)
    auto got = protocol::decode_server(beast::buffers_to_string(b.data()));
    auto* m = std::get_if<protocol::server_message>(&got);
    ASSERT_NE(m, nullptr);
    ASSERT_EQ(*m, expected);
  }
  beast::flat_buffer b;
  ws.read(b); // the subscribe's ack
  // A request sent now is read after the pings, so its reply is written after their pongs.
  ws.write(
      net::buffer(protocol::encode(protocol::client_message{4, protocol::unsubscribe{grid_a1_1}})));
  b.clear();
  ws.read(b);
  auto reply = protocol::decode_server(beast::buffers_to_string(b.data()));
  ASSERT_NE(std::get_if<protocol::server_message>(&reply), nullptr);
  EXPECT_ACK(std::get<protocol::server_message>(reply));
  EXPECT_EQ(pongs, pings);
  EXPECT_EQ(order, "01234");
  ws.close(websocket::close_code::normal);
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
