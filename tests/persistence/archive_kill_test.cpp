// End to end: `hub serve --redis --retain-seconds 0` (every case archived as soon as it ends)
// under WebSocket clients that report cases and reject them at once, killed with SIGKILL while
// it archives, and started again on the same Redis. Straight from Redis after the kill: every
// case is stored exactly once, hot or archived, never both, every archived one with its whole
// history, every acknowledged step kept; the restarted hub recovers the hot ones only and
// answers an archived one's `case` query from the archive.

#include "tests/persistence/hub_fixture.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/test_client.hpp"

#include <signal.h>

#include <condition_variable>
#include <mutex>
#include <regex>
#include <thread>

namespace hub::testing {
namespace {

using namespace codes;
using protocol::case_action;
using protocol::case_state;

constexpr protocol::unit_code grids[] = {grid_a1_1, grid_a1_2, grid_a2_1, grid_a2_2,
                                         grid_b1_1, grid_b1_2, grid_b2_1, grid_b2_2};
constexpr int per_client = 60; // cases; two requests each, within the gateway's burst

class archive_kill_test : public hub_process_test {};

TEST_F(archive_kill_test, sigkill_while_archiving_leaves_each_case_once_hot_or_archived) {
  serve_extra_ = {"--retain-seconds", "0"};
  auto port = start_hub();
  ASSERT_NE(port, 0);
  ASSERT_TRUE(hub_->wait_for("store at", true)) << hub_->err();

  std::mutex mutex;
  std::condition_variable progress;
  std::size_t rejected = 0;
  std::map<protocol::case_id, std::size_t> acked_steps; // case -> steps acknowledged
  std::string failure;
  const std::size_t kill_after = std::size(grids) * per_client / 3;
  std::vector<std::thread> threads;
  for (auto g : grids)
    threads.emplace_back([&, g, token = token_for(person_at(g, 1))] {
      test_client c{port, {"/?token=" + token, "", 0}};
      if (!c.ok()) {
        std::lock_guard<std::mutex> guard{mutex};
        failure = "cannot connect: " + std::to_string(c.status());
        return;
      }
      std::uint64_t id = 1;
      for (int k = 0; k < per_client && !c.closed(); ++k) {
        protocol::case_report r;
        r.unit = g;
        r.category = "safety.dispute";
        r.title = "archived soon " + std::to_string(k);
        c.send({id, r});
        auto reply = c.read(patience);
        auto* a = reply ? std::get_if<protocol::ack>(&*reply) : nullptr;
        if (a == nullptr || a->id != id)
          return; // killed
        const auto case_id = a->case_ref;
        {
          std::lock_guard<std::mutex> guard{mutex};
          acked_steps[case_id] = 1;
        }
        protocol::case_act reject;
        reject.id = case_id;
        reject.action = case_action::reject;
        reject.note = "not ours";
        c.send({++id, reject});
        reply = c.read(patience);
        a = reply ? std::get_if<protocol::ack>(&*reply) : nullptr;
        if (a == nullptr || a->id != id)
          return;
        ++id;
        std::lock_guard<std::mutex> guard{mutex};
        acked_steps[case_id] = 2;
        rejected += 1;
        progress.notify_all();
      }
    });
  {
    std::unique_lock<std::mutex> lock{mutex};
    ASSERT_TRUE(progress.wait_for(lock, wait_limit, [&] { return rejected >= kill_after; }))
        << "only " << rejected << " rejected; hub: " << hub_->err();
  }
  hub_->kill_and_wait(SIGKILL);
  for (auto& t : threads)
    t.join();
  ASSERT_TRUE(failure.empty()) << failure;

  auto hot = stored_cases();
  auto archived = stored_cases(true);
  for (auto& [id, c] : archived) {
    EXPECT_EQ(hot.count(id), 0u) << "case " << id << " stored hot and archived";
    EXPECT_EQ(c.state, case_state::rejected) << "an open case archived: " << id;
    EXPECT_EQ(c.history.size(), 2u) << "case " << id << " archived without its whole history";
  }
  for (auto& [id, steps] : acked_steps) {
    const auto* c = hot.count(id) ? &hot.at(id) : archived.count(id) ? &archived.at(id) : nullptr;
    ASSERT_NE(c, nullptr) << "acknowledged case " << id << " lost";
    EXPECT_GE(c->history.size(), steps) << "an acknowledged step of case " << id << " lost";
  }
  EXPECT_GT(archived.size(), 0u) << "nothing was archived before the kill";
  std::printf("[ counts   ] acknowledged %zu cases (%zu rejected); stored %zu hot, %zu archived\n",
              acked_steps.size(), rejected, hot.size(), archived.size());

  // The restarted hub reads the hot cases only, and answers an archived one from the archive.
  port = start_hub();
  ASSERT_NE(port, 0);
  ASSERT_TRUE(hub_->wait_for("recovered; ", true)) << hub_->err();
  std::smatch m;
  auto err = hub_->err();
  ASSERT_TRUE(std::regex_search(err, m, std::regex(R"(recovered; (\d+) cases)"))) << err;
  EXPECT_EQ(std::stoul(m[1]), hot.size());
  const auto& [some, record] = *archived.begin();
  test_client c{port, {"/?token=" + token_for(person_at(record.origin, 1)), "", 0}};
  ASSERT_TRUE(c.ok()) << c.status() << " " << c.body();
  protocol::query q;
  q.case_ref = some;
  auto reply = c.request({1, q});
  auto* r = std::get_if<protocol::result>(&reply);
  ASSERT_NE(r, nullptr) << describe(reply);
  EXPECT_EQ(r->one.summary.id, some);
  EXPECT_EQ(r->one.summary.state, case_state::rejected);
  EXPECT_EQ(r->total, 2u);
  ASSERT_EQ(r->one.steps.size(), 2u);
  EXPECT_EQ(r->one.steps[1].action, case_action::reject);
}

} // namespace
} // namespace hub::testing
