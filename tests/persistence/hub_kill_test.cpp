// End to end: `hub serve --redis` under a load of concurrent WebSocket clients, killed with
// SIGKILL in the middle, and started again on the same Redis. Every acknowledged case is
// stored, none twice; retrying the unanswered requests after the restart applies each
// exactly once (a stored one is answered with its original reply from hub:requests).

#include "tests/persistence/hub_fixture.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/test_client.hpp"

#include <signal.h>

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace hub::testing {
namespace {

using namespace codes;

constexpr protocol::unit_code grids[] = {grid_a1_1, grid_a1_2, grid_a2_1, grid_a2_2,
                                         grid_b1_1, grid_b1_2, grid_b2_1, grid_b2_2};
constexpr int per_client = 180; // within the gateway's burst of 200: nothing is rate-limited
constexpr int window = 16;      // requests in flight per client

/// One client's requests: what it sent and what came back.
struct client_log {
  protocol::person_id person = 0;
  protocol::unit_code grid = 0;
  std::map<std::uint64_t, protocol::case_report> sent; // message id -> request
  std::map<std::uint64_t, protocol::case_id> acked;    // message id -> case
  std::map<std::uint64_t, std::string> refused;        // message id -> error
  std::string failure;                                 // could not connect
};

/// True when `c` is connected; otherwise says why in `log.failure`.
bool connected(const test_client& c, client_log& log) {
  if (c.ok())
    return true;
  log.failure = "cannot connect: " + std::to_string(c.status()) + " " + c.body();
  return false;
}

protocol::case_report report_of(const client_log& log, std::uint64_t id) {
  protocol::case_report r;
  r.unit = log.grid;
  r.category = "safety.dispute";
  r.external_id = "ext-" + std::to_string(log.person) + "-" + std::to_string(id);
  r.title = "load " + r.external_id;
  return r;
}

class hub_kill_test : public hub_process_test {};

TEST_F(hub_kill_test, sigkill_under_load_loses_no_acknowledged_case_and_doubles_none) {
  auto port = start_hub();
  ASSERT_NE(port, 0);
  ASSERT_TRUE(hub_->wait_for("store at", true)) << hub_->err();
  // The hub says where its state goes: /healthz and the store's series on /metrics.
  auto health = http_request(port, "GET", "/healthz");
  EXPECT_NE(health.body.find("\"store\":\"connected\""), std::string::npos) << health.body;
  auto metrics = http_request(port, "GET", "/metrics");
  EXPECT_NE(metrics.body.find("hub_store_durable 1"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("hub_store_connected 1"), std::string::npos) << metrics.body;

  std::vector<client_log> logs;
  for (auto g : grids)
    for (int seq = 1; seq <= 2; ++seq)
      logs.push_back({person_at(g, seq), g, {}, {}, {}, {}});
  std::mutex mutex;
  std::condition_variable progress;
  std::size_t acks = 0;
  const std::size_t kill_after = logs.size() * per_client / 4;

  std::vector<std::thread> threads;
  for (auto& log : logs)
    threads.emplace_back([&, token = token_for(log.person)] {
      test_client c{port, {"/?token=" + token, "", 0}};
      if (!connected(c, log))
        return;
      std::size_t in_flight = 0;
      auto take = [&](std::chrono::milliseconds timeout) {
        auto m = c.read(timeout);
        if (!m)
          return false; // closed (the hub was killed) or silent
        if (auto* a = std::get_if<protocol::ack>(&*m); a != nullptr && a->id != 0) {
          std::lock_guard<std::mutex> guard{mutex};
          log.acked[a->id] = a->case_ref;
          in_flight -= 1;
          acks += 1;
          progress.notify_all();
        } else if (auto* e = std::get_if<protocol::error>(&*m); e != nullptr && e->id != 0) {
          std::lock_guard<std::mutex> guard{mutex};
          log.refused[e->id] = describe(*m);
          in_flight -= 1;
        }
        return true;
      };
      for (std::uint64_t id = 1; id <= per_client && !c.closed(); ++id) {
        auto r = report_of(log, id);
        {
          std::lock_guard<std::mutex> guard{mutex};
          log.sent[id] = r;
        }
        c.send({id, r});
        in_flight += 1;
        while (in_flight >= window && take(patience)) {}
      }
      while (in_flight > 0 && take(patience)) {}
    });

  {
    std::unique_lock<std::mutex> lock{mutex};
    ASSERT_TRUE(progress.wait_for(lock, wait_limit, [&] { return acks >= kill_after; }))
        << "only " << acks << " acks; hub: " << hub_->err();
  }
  hub_->kill_and_wait(SIGKILL);
  for (auto& t : threads)
    t.join();

  std::size_t sent = 0, acked = 0, refused = 0;
  std::string first_refusal;
  std::set<std::pair<std::size_t, std::uint64_t>> unanswered;
  for (std::size_t k = 0; k < logs.size(); ++k) {
    ASSERT_TRUE(logs[k].failure.empty()) << logs[k].failure;
    sent += logs[k].sent.size();
    acked += logs[k].acked.size();
    refused += logs[k].refused.size();
    if (first_refusal.empty() && !logs[k].refused.empty())
      first_refusal = logs[k].refused.begin()->second;
    for (auto& [id, r] : logs[k].sent)
      if (!logs[k].acked.count(id))
        unanswered.emplace(k, id);
  }
  EXPECT_EQ(refused, 0u) << first_refusal;

  // Straight from Redis: every acknowledged case, with the content that was sent; no
  // external id twice; nothing that was not sent; at most the unanswered ones besides.
  auto stored = stored_cases();
  std::map<std::string, protocol::case_id> by_external;
  for (auto& [id, c] : stored)
    EXPECT_TRUE(by_external.emplace(c.external_id, id).second) << "stored twice: " << c.external_id;
  std::size_t lost = 0;
  for (auto& log : logs)
    for (auto& [msg, case_id] : log.acked) {
      auto found = stored.find(case_id);
      if (found == stored.end()) {
        lost += 1;
        continue;
      }
      EXPECT_EQ(found->second.external_id, report_of(log, msg).external_id);
    }
  EXPECT_EQ(lost, 0u) << "acknowledged cases missing from Redis";
  EXPECT_GE(stored.size(), acked);
  EXPECT_LE(stored.size(), acked + unanswered.size());
  std::printf("[ counts   ] sent %zu, acknowledged %zu, stored %zu (of which unacknowledged %zu), "
              "unanswered at the kill %zu\n",
              sent, acked, stored.size(), stored.size() - std::min(stored.size(), acked),
              unanswered.size());

  // The restarted hub recovers exactly what Redis holds.
  port = start_hub();
  ASSERT_NE(port, 0);
  ASSERT_TRUE(hub_->wait_for("recovered; ", true)) << hub_->err();
  std::smatch m;
  auto err = hub_->err();
  ASSERT_TRUE(std::regex_search(err, m, std::regex(R"(recovered; (\d+) cases)"))) << err;
  EXPECT_EQ(std::stoul(m[1]), stored.size());

  // Every client retries what went unanswered (same person, id and content): a request
  // stored before the kill gets its original reply; one not stored is applied now. After
  // that each request sent is stored exactly once.
  std::size_t answered_from_store = 0;
  for (std::size_t k = 0; k < logs.size(); ++k) {
    auto& log = logs[k];
    test_client c{port, {"/?token=" + token_for(log.person), "", 0}};
    ASSERT_TRUE(c.ok()) << c.status() << " " << c.body();
    for (auto& [kk, id] : unanswered) {
      if (kk != k)
        continue;
      auto reply = c.request({id, log.sent.at(id)});
      auto* a = std::get_if<protocol::ack>(&reply);
      ASSERT_NE(a, nullptr) << describe(reply);
      if (stored.count(a->case_ref) != 0) {
        answered_from_store += 1;
        EXPECT_EQ(stored.at(a->case_ref).external_id, log.sent.at(id).external_id);
      }
    }
    // An acknowledged one retried: the same case again.
    if (!log.acked.empty()) {
      auto [id, case_id] = *log.acked.begin();
      auto reply = c.request({id, log.sent.at(id)});
      auto* a = std::get_if<protocol::ack>(&reply);
      ASSERT_NE(a, nullptr) << describe(reply);
      EXPECT_EQ(a->case_ref, case_id);
    }
  }
  EXPECT_EQ(answered_from_store, stored.size() - acked);
  auto after = stored_cases();
  EXPECT_EQ(after.size(), sent);
  std::set<std::string> externals;
  for (auto& [id, c] : after)
    EXPECT_TRUE(externals.insert(c.external_id).second) << "stored twice: " << c.external_id;
  std::printf("[ counts   ] after the retries: stored %zu of %zu sent (%zu answered from the "
              "store)\n",
              after.size(), sent, answered_from_store);
}

// Redis killed (SIGKILL) and restarted under WebSocket load. Clients keep sending; while Redis
// is away the hub answers try_again (nothing applied), and a client that hears it holds that
// request and sends no new ones until Redis is back (the test tells it: no sleeping), then
// sends the held ones again. Requests the hub took before it noticed wait and are answered
// once Redis is back. In the end every request is acknowledged, every acknowledged case is in
// Redis with what was sent, and none is stored twice.
TEST_F(hub_kill_test, redis_restarted_mid_load_loses_nothing_and_applies_nothing_twice) {
  auto port = start_hub();
  ASSERT_NE(port, 0);
  ASSERT_TRUE(hub_->wait_for("store at", true)) << hub_->err();

  std::vector<client_log> logs;
  for (auto g : grids)
    for (int seq = 1; seq <= 2; ++seq)
      logs.push_back({person_at(g, seq), g, {}, {}, {}, {}});
  const std::size_t total = logs.size() * per_client;
  std::mutex mutex;
  std::condition_variable progress;
  std::size_t acks = 0, try_agains = 0;
  bool redis_back = false;

  std::vector<std::thread> threads;
  for (auto& log : logs)
    threads.emplace_back([&, token = token_for(log.person)] {
      test_client c{port, {"/?token=" + token, "", 0}};
      if (!connected(c, log))
        return;
      std::deque<std::uint64_t> to_send, held;
      for (std::uint64_t id = 1; id <= per_client; ++id)
        to_send.push_back(id);
      std::size_t in_flight = 0;
      auto take = [&] {
        auto m = c.read(patience);
        if (!m)
          return false;
        std::lock_guard<std::mutex> guard{mutex};
        if (auto* a = std::get_if<protocol::ack>(&*m); a != nullptr && a->id != 0) {
          log.acked[a->id] = a->case_ref;
          in_flight -= 1;
          acks += 1;
          progress.notify_all();
        } else if (auto* e = std::get_if<protocol::error>(&*m); e != nullptr && e->id != 0) {
          in_flight -= 1;
          if (e->code == protocol::errc::try_again) {
            held.push_back(e->id);
            try_agains += 1;
            progress.notify_all();
          } else {
            log.refused[e->id] = describe(*m);
          }
        }
        return true;
      };
      while (!c.closed() && (!to_send.empty() || !held.empty() || in_flight > 0)) {
        if (!held.empty() && in_flight == 0) { // wait for Redis, then send the held ones again
          std::unique_lock<std::mutex> lock{mutex};
          if (!progress.wait_for(lock, wait_limit, [&] { return redis_back; }))
            return;
          to_send.insert(to_send.begin(), held.begin(), held.end());
          held.clear();
        }
        if (held.empty() && !to_send.empty() && in_flight < window) {
          auto id = to_send.front();
          to_send.pop_front();
          auto r = report_of(log, id);
          {
            std::lock_guard<std::mutex> guard{mutex};
            log.sent[id] = r;
          }
          c.send({id, r});
          in_flight += 1;
        } else if (!take()) {
          return; // silent for the whole patience: the checks below say what is missing
        }
      }
    });

  {
    std::unique_lock<std::mutex> lock{mutex};
    ASSERT_TRUE(progress.wait_for(lock, wait_limit, [&] { return acks >= total / 4; }))
        << "only " << acks << " acks; hub: " << hub_->err();
  }
  redis_.stop(SIGKILL);
  {
    std::unique_lock<std::mutex> lock{mutex};
    EXPECT_TRUE(progress.wait_for(lock, wait_limit, [&] { return try_agains > 0; }))
        << "no client was told try_again while Redis was down";
  }
  // Meanwhile the hub says so (gateway/README.md, /healthz).
  auto health = http_request(port, "GET", "/healthz");
  EXPECT_NE(health.body.find("\"status\":\"degraded\""), std::string::npos) << health.body;
  EXPECT_NE(health.body.find("\"store\":\"unreachable\""), std::string::npos) << health.body;
  ASSERT_TRUE(redis_.start()) << redis_.why(); // same port, same directory (its AOF)
  // The clients send their held requests again once the hub has its store back (it says so
  // on stderr), as a client backing off would: sent while the hub still reconnects, each
  // would be answered try_again again at once, and the round trips would run a client past
  // the gateway's rate limit (100 a second, burst 200), which refuses rather than holds.
  EXPECT_TRUE(hub_->wait_for("store: connected to Redis again", true))
      << "the hub did not reconnect to Redis; hub: " << hub_->err();
  health = http_request(port, "GET", "/healthz");
  EXPECT_NE(health.body.find("\"store\":\"connected\""), std::string::npos) << health.body;
  {
    std::lock_guard<std::mutex> guard{mutex};
    redis_back = true;
  }
  progress.notify_all();
  for (auto& t : threads)
    t.join();

  std::size_t acked = 0;
  for (auto& log : logs) {
    ASSERT_TRUE(log.failure.empty()) << log.failure;
    EXPECT_TRUE(log.refused.empty()) << log.refused.begin()->second;
    EXPECT_EQ(log.acked.size(), static_cast<std::size_t>(per_client))
        << "person " << log.person << " got " << log.acked.size() << " acks";
    acked += log.acked.size();
  }
  auto stored = stored_cases();
  std::set<std::string> externals;
  for (auto& [id, c] : stored)
    EXPECT_TRUE(externals.insert(c.external_id).second) << "stored twice: " << c.external_id;
  for (auto& log : logs)
    for (auto& [msg, case_id] : log.acked) {
      auto found = stored.find(case_id);
      ASSERT_NE(found, stored.end()) << "acknowledged case " << case_id << " is not in Redis";
      EXPECT_EQ(found->second.external_id, report_of(log, msg).external_id);
    }
  EXPECT_EQ(stored.size(), total);
  std::printf("[ counts   ] sent %zu, try_again %zu, acknowledged %zu, stored %zu\n", total,
              try_agains, acked, stored.size());
}

} // namespace
} // namespace hub::testing
