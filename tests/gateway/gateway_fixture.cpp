#include "tests/gateway/gateway_fixture.hpp"

#include "gateway/net/token.hpp"

#include <sstream>

namespace hub::testing {

gateway_test::gateway_test() {
  cfg_.set("scheduler.max-threads", std::size_t{2});
  cfg_.set("logger.console", caf::atom("none"));
  sys_ = std::make_unique<caf::actor_system>(cfg_);
  h_ = make_small_city();
}

gateway_test::~gateway_test() {
  stop();
  sys_.reset();
}

gateway::config gateway_test::defaults() {
  gateway::config cfg;
  cfg.port = 0;
  cfg.secret = std::string(secret);
  cfg.www_dir = HUB_TEST_WWW;
  cfg.drain_timeout = std::chrono::seconds(5);
  return cfg;
}

actors::city_options gateway_test::city_defaults() {
  actors::city_options opts;
  opts.flush_interval = std::chrono::milliseconds(100);
  return opts;
}

void gateway_test::start(gateway::config cfg, actors::city_options city) {
  stop();
  city_ = std::make_unique<actors::city>(*sys_, h_, city);
  server_ = std::make_unique<gateway::server>(*city_, std::move(cfg));
  server_->start();
}

void gateway_test::stop() {
  server_.reset(); // stops gracefully first
  city_.reset();
}

std::uint16_t gateway_test::port() {
  if (!server_)
    start();
  return server_->port();
}

std::string gateway_test::token_for(protocol::person_id who, std::chrono::seconds ttl) {
  const auto* p = h_->find_person(who);
  EXPECT_NE(p, nullptr) << "no person " << who << " in the small city";
  if (p == nullptr)
    return {};
  return gateway::token::issue(secret, *p, ttl);
}

std::unique_ptr<test_client> gateway_test::connect(protocol::person_id who, bool json) {
  test_client::connect_options opts;
  opts.target = "/?token=" + token_for(who);
  auto c = std::make_unique<test_client>(port(), opts);
  EXPECT_TRUE(c->ok()) << "upgrade refused for " << who << ": " << c->status() << " " << c->body()
                       << " (" << c->error().message() << ")";
  c->use_json(json);
  return c;
}

std::unique_ptr<test_client> gateway_test::try_connect(std::string target,
                                                       std::string authorization) {
  test_client::connect_options opts;
  opts.target = std::move(target);
  opts.authorization = std::move(authorization);
  return std::make_unique<test_client>(port(), opts);
}

protocol::case_report gateway_test::report_at(protocol::unit_code unit) {
  protocol::case_report r;
  r.unit = unit;
  r.category = "safety.dispute";
  r.title = "邻里噪音纠纷";
  return r;
}

protocol::case_act gateway_test::act(protocol::case_id id, protocol::case_action a,
                                     std::string note) {
  protocol::case_act c;
  c.id = id;
  c.action = a;
  c.note = std::move(note);
  return c;
}

std::vector<std::uint64_t> gateway_test::report_in_process(protocol::unit_code grid,
                                                           std::size_t n) {
  port(); // the city exists
  auto sink = std::make_shared<waiting_recorder>();
  const auto* p = h_->find_person(person_at(grid, 2));
  EXPECT_NE(p, nullptr);
  for (std::size_t i = 0; i < n; ++i)
    city_->submit(actors::principal::of(*p), msg(report_at(grid)), sink);
  EXPECT_TRUE(sink->wait_for(n)) << "the city did not answer " << n << " reports";
  std::vector<std::uint64_t> seqs;
  for (auto& m : sink->all()) {
    auto* a = std::get_if<protocol::ack>(&m);
    EXPECT_NE(a, nullptr) << describe(m);
    if (a != nullptr)
      seqs.push_back(a->seq);
  }
  std::sort(seqs.begin(), seqs.end());
  return seqs;
}

double gateway_test::metric(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ')
      return std::stod(line.substr(series.size() + 1));
  return -1;
}

} // namespace hub::testing
