// End to end through `hub serve --redis` with Open311 and its webhook: a hotline request posted
// over HTTP is located to its grid and township, dispatched down to the grid by the centre and
// the township, escalated back up, whistled to a county department that reports in and feeds
// back, rated and closed by the hotline; its final status, notes and update history read back
// through requests/{id} and servicerequestupdates, and received by a webhook receiver this test
// runs — down at first (the updates wait in the outbox), then up; after a restart of the hub
// nothing is sent twice and a later update still arrives.

#include "gateway/net/secret_file.hpp"
#include "gateway/net/token.hpp"
#include "protocol/hierarchy_file.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/http_receiver.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/small_city.hpp"
#include "tests/support/test_client.hpp"

#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>
#include <map>
#include <regex>

namespace hub::testing {
namespace {

namespace fs = std::filesystem;
using namespace codes;
using protocol::case_action;

constexpr std::string_view key = "hotline-e2e-key-00001";

/// update_id -> (service_request_id, status) of every update in `bodies`; `times` counts each.
std::map<std::string, std::pair<std::string, std::string>>
updates_in(const std::vector<std::string>& bodies, std::map<std::string, int>* times = nullptr) {
  static const std::regex one(
      R"re(\{"update_id":"(\d+)","service_request_id":"(\d+)","status":"(\w+)")re");
  std::map<std::string, std::pair<std::string, std::string>> out;
  for (const auto& b : bodies)
    for (std::sregex_iterator it(b.begin(), b.end(), one), end; it != end; ++it) {
      out[(*it)[1]] = {(*it)[2], (*it)[3]};
      if (times != nullptr)
        (*times)[(*it)[1]] += 1;
    }
  return out;
}

/// Waits until `r` received an update of `request` with `status`.
bool received(const http_receiver& r, const std::string& request, const std::string& status) {
  return r.wait([&](const std::vector<std::string>& bodies) {
    for (auto& [_, u] : updates_in(bodies))
      if (u.first == request && u.second == status)
        return true;
    return false;
  });
}

class open311_hub_test : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.start()) << redis_.why();
    dir_ = redis_.dir().string() + "-hub";
    fs::create_directories(dir_);
    // The small city with its grids spread out, so that coordinates pick one.
    auto h = std::make_shared<protocol::hierarchy>(*make_small_city());
    double step = 0;
    for (auto& u : h->units)
      if (u.kind == protocol::unit_kind::grid) {
        u.lat = 32.0 + step;
        u.lon = 114.0 + step;
        step += 0.01;
      }
    h->index();
    h_ = h;
    hierarchy_file_ = (fs::path(dir_) / "city.tsv").string();
    std::ofstream out(hierarchy_file_);
    protocol::write_hierarchy(out, *h_);
    out.close();
    keys_file_ = (fs::path(dir_) / "open311.keys").string();
    std::ofstream(keys_file_) << key << "\t" << person_at(city_centre, 1) << "\n";
    secret_file_ = (fs::path(dir_) / "hub.secret").string();
    std::string why;
    ASSERT_TRUE(gateway::load_or_create_secret(secret_file_, secret_, why)) << why;
    hook_port_ = static_cast<std::uint16_t>(free_port());
  }
  void TearDown() override {
    hub_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::uint16_t start_hub() {
    hub_ = std::make_unique<child_process>(std::vector<std::string>{
        HUB_BINARY, "serve", "--hierarchy", hierarchy_file_, "--port", "0", "--secret-file",
        secret_file_, "--threads", "2", "--www", dir_, "--redis", redis_.address().to_string(),
        "--open311-keys", keys_file_, "--open311-webhook",
        "http://127.0.0.1:" + std::to_string(hook_port_) + "/hotline/updates"});
    auto m = hub_->wait_for_line(std::regex(R"(listening on ws://127\.0\.0\.1:(\d+)/)"));
    if (!m) {
      ADD_FAILURE() << "the hub did not start: " << hub_->out() << hub_->err();
      return 0;
    }
    return static_cast<std::uint16_t>(std::stoi((*m)[1]));
  }

  std::unique_ptr<test_client> as(std::uint16_t port, protocol::person_id who) {
    auto token = gateway::token::issue(secret_, *h_->find_person(who), std::chrono::hours(1));
    auto c = std::make_unique<test_client>(port,
                                           test_client::connect_options{"/?token=" + token, "", 0});
    EXPECT_TRUE(c->ok()) << c->status() << " " << c->body();
    return c;
  }

  /// Acts on `id` as `who`; the reply described when it is not an ack.
  std::string act(std::uint16_t port, protocol::person_id who, protocol::case_id id,
                  protocol::case_act a) {
    a.id = id;
    auto reply = as(port, who)->request({++next_id_, a});
    return std::holds_alternative<protocol::ack>(reply) ? "" : describe(reply);
  }
  static protocol::case_act step(case_action a, std::string note = {},
                                 protocol::unit_code unit = 0) {
    protocol::case_act c;
    c.action = a;
    c.note = std::move(note);
    c.unit = unit;
    return c;
  }

  std::shared_ptr<const protocol::hierarchy> h_;
  redis_server redis_;
  std::string dir_, hierarchy_file_, keys_file_, secret_file_, secret_;
  std::uint16_t hook_port_ = 0;
  std::unique_ptr<child_process> hub_;
  std::uint64_t next_id_ = 0;
};

TEST_F(open311_hub_test, a_hotline_request_goes_the_whole_way_and_its_updates_reach_the_hotline) {
  auto port = start_hub();
  ASSERT_NE(port, 0);
  const std::string u = "/open311/v2/";

  // Posted by the hotline, located by coordinates to grid b1_1 of township b.
  auto posted = http_request(port, "POST", u + "requests.json",
                             "api_key=" + std::string(key) +
                                 "&service_code=safety.dispute&lat=32.041&long=114.041"
                                 "&description=%E5%99%AA%E9%9F%B3&attribute[ticket_id]=SR-E2E-1",
                             "application/x-www-form-urlencoded");
  ASSERT_EQ(posted.status, 200) << posted.body;
  EXPECT_NE(posted.body.find("located to grid " + std::to_string(grid_b1_1)), std::string::npos)
      << posted.body;
  EXPECT_NE(posted.body.find("township " + std::to_string(town_b)), std::string::npos);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(posted.body, m, std::regex(R"re("service_request_id":"(\d+)")re")));
  const std::string request = m[1];
  const auto id = std::stoull(request);
  // The webhook's receiver is down: the first update waits in the outbox.
  ASSERT_TRUE(hub_->wait_for("open311 webhook: POST", true)) << hub_->err();

  // Triaged and dispatched by the centre, down to the grid; escalated back up to the township;
  // whistled to the police, who report in and feed back; resolved, rated, closed by the hotline.
  const auto centre_op = person_at(city_centre, 2), town_head = person_at(town_b, 1),
             module_head = person_at(town_b, 4), secretary = person_at(village_b1, 1),
             grid_head = person_at(grid_b1_1, 1), police_head = person_at(police, 1),
             hotline = person_at(city_centre, 1);
  EXPECT_EQ(act(port, centre_op, id, step(case_action::triage)), "");
  EXPECT_EQ(act(port, centre_op, id, step(case_action::dispatch, "", town_b)), "");
  EXPECT_EQ(act(port, town_head, id, step(case_action::sign)), "");
  EXPECT_EQ(act(port, town_head, id, step(case_action::dispatch, "", village_b1)), "");
  EXPECT_EQ(act(port, secretary, id, step(case_action::sign)), "");
  EXPECT_EQ(act(port, secretary, id, step(case_action::dispatch, "", grid_b1_1)), "");
  EXPECT_EQ(act(port, grid_head, id, step(case_action::sign)), "");
  EXPECT_EQ(act(port, grid_head, id, step(case_action::escalate, "needs the village")), "");
  EXPECT_EQ(act(port, secretary, id, step(case_action::sign)), "");
  EXPECT_EQ(act(port, secretary, id, step(case_action::escalate, "needs the township")), "");
  EXPECT_EQ(act(port, module_head, id, step(case_action::sign)), "");
  auto propose = step(case_action::propose_whistle, "the police must act");
  propose.departments = {police};
  EXPECT_EQ(act(port, module_head, id, propose), "");
  EXPECT_EQ(act(port, town_head, id, step(case_action::approve_whistle)), "");
  EXPECT_EQ(act(port, police_head, id, step(case_action::report_in)), "");
  EXPECT_EQ(act(port, police_head, id, step(case_action::feedback, "talked to both")), "");
  EXPECT_EQ(act(port, module_head, id, step(case_action::resolve, "settled")), "");
  auto rate = step(case_action::rate, "", police);
  rate.score = 5;
  EXPECT_EQ(act(port, town_head, id, rate), "");
  EXPECT_EQ(act(port, hotline, id, step(case_action::close, "the caller is satisfied")), "");

  // Read back through Open311: every step, the last one closed with its note.
  // (The list is fed by a subscription: the close's event may arrive a moment after its ack.
  // Each round trip is the wait, bounded by patience.)
  http_reply history;
  for (auto until = std::chrono::steady_clock::now() + patience;
       std::chrono::steady_clock::now() < until;) {
    history = http_request(port, "GET", u + "servicerequestupdates.json");
    if (history.body.find("close: the caller is satisfied") != std::string::npos)
      break;
  }
  ASSERT_EQ(history.status, 200);
  for (std::string what :
       {"report", "triage", "dispatch", "escalate: needs the village",
        "propose_whistle: the police must act", "approve_whistle", "report_in",
        "feedback: talked to both", "resolve: settled", "rate", "close: the caller is satisfied"})
    EXPECT_NE(history.body.find("\"description\":\"" + what), std::string::npos)
        << what << " in " << history.body;
  EXPECT_NE(history.body.find("\"status\":\"closed\",\"updated_datetime\""), std::string::npos);
  // The request itself: closed, with the hotline's note, held by the township that handled it.
  auto read =
      http_request(port, "GET", u + "requests/" + request + ".xml?api_key=" + std::string(key));
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_NE(read.body.find("<status>closed</status><status_notes>the caller is satisfied"
                           "</status_notes>"),
            std::string::npos)
      << read.body;
  EXPECT_NE(read.body.find("<agency_responsible>" + h_->find_unit(town_b)->name + "<"),
            std::string::npos)
      << read.body;

  // The receiver comes up: the outbox delivers everything, the close included, once each.
  std::map<std::string, std::pair<std::string, std::string>> first_round;
  {
    http_receiver hotline_side{hook_port_};
    ASSERT_TRUE(received(hotline_side, request, "closed")) << hub_->err();
    std::map<std::string, int> times;
    first_round = updates_in(hotline_side.bodies(), &times);
    for (auto& [update, n] : times)
      EXPECT_EQ(n, 1) << "update " << update << " came " << n << " times";
    for (auto& [update, v] : first_round)
      EXPECT_EQ(v.first, request);
    // Every update servicerequestupdates lists was received.
    for (auto& [update, _] : updates_in({history.body}))
      EXPECT_EQ(first_round.count(update), 1u) << "update " << update << " not received";
  }

  // A restart: the cursor is in Redis, so nothing is sent again, and a later update arrives.
  ASSERT_EQ(hub_->kill_and_wait(SIGTERM), 0) << hub_->err();
  http_receiver hotline_side{hook_port_};
  port = start_hub();
  ASSERT_NE(port, 0);
  EXPECT_EQ(act(port, hotline, id, step(case_action::reopen, "the noise is back")), "");
  ASSERT_TRUE(received(hotline_side, request, "open")) << hub_->err();
  auto again = updates_in(hotline_side.bodies());
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(first_round.count(again.begin()->first), 0u); // a new update, not a repeat
  EXPECT_NE(hotline_side.bodies()[0].find("reopen: the noise is back"), std::string::npos);
}

} // namespace
} // namespace hub::testing
