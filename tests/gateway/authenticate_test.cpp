#include "gateway/authenticate.hpp"

#include "gateway/net/token.hpp"
#include "tests/gateway/gateway_fixture.hpp"

namespace hub::testing {
namespace {

using namespace codes;

TEST(token_of, a_bearer_header_wins_over_the_query) {
  EXPECT_EQ(gateway::token_of("/?token=q", "Bearer  h "), "h");
  EXPECT_EQ(gateway::token_of("/?token=q", "bearer h"), "h");
  EXPECT_EQ(gateway::token_of("/?a=1&token=q%2Ex&b=2", ""), "q.x");
  EXPECT_EQ(gateway::token_of("/?token=q", "Basic abc"), "q");
  EXPECT_EQ(gateway::token_of("/?tokens=q", ""), "");
  EXPECT_EQ(gateway::token_of("/", ""), "");
}

class authenticate_test : public gateway_test {
protected:
  /// Attempts an upgrade and expects 401 with `reason` in the body.
  void expect_refused(const std::string& target, const std::string& reason,
                      const std::string& authorization = {}) {
    auto c = try_connect(target, authorization);
    EXPECT_FALSE(c->ok());
    EXPECT_EQ(c->status(), 401) << target;
    EXPECT_NE(c->body().find(reason), std::string::npos)
        << "body '" << c->body() << "' does not say '" << reason << "'";
  }
};

TEST_F(authenticate_test, an_upgrade_without_a_token_is_refused_with_401) {
  expect_refused("/", "no token");
  expect_refused("/?other=1", "no token");
}

TEST_F(authenticate_test, a_token_signed_with_another_secret_is_refused) {
  const auto* p = h_->find_person(person_at(grid_a1_1, 2));
  auto forged = gateway::token::issue("not the hub's secret", *p, std::chrono::hours(1));
  expect_refused("/?token=" + forged, "bad signature");
  expect_refused("/", "bad signature", "Bearer " + forged);
}

TEST_F(authenticate_test, an_expired_token_is_refused) {
  const auto* p = h_->find_person(person_at(grid_a1_1, 2));
  auto old = gateway::token::issue(secret, *p, std::chrono::seconds(60),
                                   gateway::token::unix_now() - 3600);
  expect_refused("/?token=" + old, "expired");
}

TEST_F(authenticate_test, a_token_for_a_person_not_in_the_hierarchy_is_refused) {
  protocol::person ghost;
  ghost.id = 999;
  ghost.holds = protocol::post::county_leader;
  ghost.unit = county;
  expect_refused("/?token=" + gateway::token::issue(secret, ghost, std::chrono::hours(1)),
                 "unknown person 999");
}

TEST_F(authenticate_test, a_token_whose_post_or_unit_changed_is_refused) {
  auto p = *h_->find_person(person_at(grid_a1_1, 2));
  p.holds = protocol::post::grid_head; // promoted in the token only
  expect_refused("/?token=" + gateway::token::issue(secret, p, std::chrono::hours(1)),
                 "get a new token");
  p = *h_->find_person(person_at(grid_a1_1, 2));
  p.unit = grid_b1_1;
  expect_refused("/?token=" + gateway::token::issue(secret, p, std::chrono::hours(1)),
                 "get a new token");
}

TEST_F(authenticate_test, a_malformed_token_is_refused) {
  expect_refused("/?token=abc", "malformed");
  expect_refused("/?token=a.b.c", "malformed");
}

TEST_F(authenticate_test, a_valid_token_in_the_query_or_the_header_opens_a_session) {
  auto t = token_for(person_at(grid_a1_1, 2));
  auto by_query = try_connect("/?token=" + t);
  EXPECT_TRUE(by_query->ok()) << by_query->body();
  auto by_header = try_connect("/ws", "Bearer " + t);
  EXPECT_TRUE(by_header->ok()) << by_header->body();
  EXPECT_ACK(by_header->request(msg(protocol::subscribe{grid_a1_1})));
}

TEST_F(authenticate_test, refusals_are_counted_by_reason) {
  expect_refused("/", "no token");
  expect_refused("/?token=x", "malformed");
  auto text = http_request(port(), "GET", "/metrics").body;
  EXPECT_EQ(metric(text, "hub_auth_refused_total{reason=\"no_token\"}"), 1);
  EXPECT_EQ(metric(text, "hub_auth_refused_total{reason=\"malformed\"}"), 1);
  EXPECT_EQ(metric(text, "hub_auth_refused_total{reason=\"expired\"}"), 0);
}

// Guessing tokens (or the secret behind them) costs failed upgrades: past 20 of them an
// address waits, and meanwhile even a valid token from it is answered 429 without a look.
TEST_F(authenticate_test, an_address_that_failed_too_many_upgrades_is_answered_429) {
  auto cfg = defaults();
  cfg.failed_upgrade_rate = 0.001; // no refill within the test
  start(cfg);
  EXPECT_EQ(cfg.failed_upgrade_burst, 20) << "the documented number";
  for (int i = 0; i < 20; ++i)
    expect_refused("/?token=guess" + std::to_string(i), "malformed");
  auto valid = token_for(person_at(grid_a1_1, 2));
  for (auto target : {std::string("/?token=guess"), "/?token=" + valid}) {
    auto c = try_connect(target);
    EXPECT_FALSE(c->ok());
    EXPECT_EQ(c->status(), 429) << c->body();
    EXPECT_NE(c->body().find("too many failed upgrades"), std::string::npos) << c->body();
  }
  // Plain HTTP is not held up.
  EXPECT_EQ(http_request(port(), "GET", "/healthz").status, 200);
  auto text = http_request(port(), "GET", "/metrics").body;
  EXPECT_EQ(metric(text, "hub_auth_refused_total{reason=\"malformed\"}"), 20);
  EXPECT_EQ(metric(text, "hub_upgrades_throttled_total"), 2);
}

TEST_F(authenticate_test, successful_upgrades_cost_an_address_nothing) {
  auto cfg = defaults();
  cfg.failed_upgrade_rate = 0.001;
  cfg.failed_upgrade_burst = 2;
  start(cfg);
  auto valid = token_for(person_at(grid_a1_1, 2));
  for (int i = 0; i < 10; ++i)
    EXPECT_TRUE(try_connect("/?token=" + valid)->ok());
  expect_refused("/?token=guess", "malformed");
  EXPECT_TRUE(try_connect("/?token=" + valid)->ok()); // one failure left
  expect_refused("/?token=guess", "malformed");
  EXPECT_EQ(try_connect("/?token=" + valid)->status(), 429);
}

} // namespace
} // namespace hub::testing
