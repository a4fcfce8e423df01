// The batch script's order guarantee (persistence/batch_script.hpp), against a real Redis:
// the journal pipelines two batches, so when Redis refuses one with an error reply the next
// may still arrive; it must then be refused whole, and both, sent again in order, must store
// the later values and both event-log entries.

#include "persistence/batch_script.hpp"
#include "persistence/records.hpp"
#include "tests/support/redis_server.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hub::testing {
namespace {

using persistence::redis_connection;
using persistence::text_of;

class batch_script_test : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.start()) << redis_.why();
    conn_.emplace(redis_.connect());
    auto sha = conn_->command({"SCRIPT", "LOAD", persistence::batch_script});
    ASSERT_TRUE(sha && sha->type == REDIS_REPLY_STRING) << (sha ? text_of(sha.get()) : "");
    sha_.assign(sha->str, sha->len);
    auto e = conn_->command({"HSET", persistence::keys::meta, "writer", "7"});
    ASSERT_TRUE(e && e->type == REDIS_REPLY_INTEGER);
  }

  /// Runs batch `number` (writer epoch 7): sets field `field` of hash "t" to `value`, and
  /// appends one event-log entry numbered `seq` holding `value`. Returns the script's answer.
  long long run(std::uint64_t number, const std::string& field, const std::string& value,
                std::uint64_t seq) {
    std::vector<std::string> args = {
        "EVALSHA", sha_, "0", "7", std::to_string(number), "1",   "t", "1", field,
        value,     "0",  "0", "0", std::to_string(seq),    value, "0", "0", ""};
    std::vector<std::string_view> argv(args.begin(), args.end());
    auto r = conn_->command(argv);
    EXPECT_TRUE(r && r->type == REDIS_REPLY_INTEGER) << (r ? text_of(r.get()) : "no reply");
    return r && r->type == REDIS_REPLY_INTEGER ? r->integer : -100;
  }

  /// One unit's packed counts added on one day (and the first day of its month).
  struct count_add {
    int day, month;
    std::string unit, packed;
  };
  /// Runs batch `number` (writer epoch 7) with nothing but figures: the day the store may fold
  /// up to, and `adds`, one group each. Returns the script's answer.
  long long figures(std::uint64_t number, int fold, const std::vector<count_add>& adds) {
    std::vector<std::string> args = {"EVALSHA",
                                     sha_,
                                     "0",
                                     "7",
                                     std::to_string(number),
                                     "0",
                                     std::to_string(fold),
                                     std::to_string(adds.size())};
    for (const auto& a : adds)
      args.insert(args.end(),
                  {std::to_string(a.day), std::to_string(a.month), "1", a.unit, a.packed});
    args.insert(args.end(), {"0", "0", "", "0", "0", ""});
    std::vector<std::string_view> argv(args.begin(), args.end());
    auto r = conn_->command(argv);
    EXPECT_TRUE(r && r->type == REDIS_REPLY_INTEGER) << (r ? text_of(r.get()) : "no reply");
    return r && r->type == REDIS_REPLY_INTEGER ? r->integer : -100;
  }

  std::string hget(const std::string& key, const std::string& name) {
    auto r = conn_->command({"HGET", key, name});
    return r && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : "";
  }

  std::string field(const std::string& name) {
    auto r = conn_->command({"HGET", "t", name});
    return r && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : "";
  }

  /// The event log's entries, oldest first: (id, payload).
  std::vector<std::pair<std::string, std::string>> log() {
    std::vector<std::pair<std::string, std::string>> out;
    auto r = conn_->command({"XRANGE", "hub:events", "-", "+"});
    if (!r || r->type != REDIS_REPLY_ARRAY)
      return out;
    for (std::size_t i = 0; i < r->elements; ++i) {
      auto* entry = r->element[i];
      auto* fields = entry->element[1];
      out.emplace_back(std::string(entry->element[0]->str, entry->element[0]->len),
                       std::string(fields->element[1]->str, fields->element[1]->len));
    }
    return out;
  }

  redis_server redis_;
  std::optional<redis_connection> conn_;
  std::string sha_;
};

TEST_F(batch_script_test, a_batch_whose_predecessor_is_not_stored_is_refused_whole) {
  ASSERT_EQ(run(1, "x", "v1", 10), 1);
  // Batch 2 was refused (an error reply); batch 3, pipelined behind it, arrives anyway.
  EXPECT_EQ(run(3, "x", "v3", 30), 2);
  EXPECT_EQ(field("x"), "v1") << "a batch applied ahead of its predecessor";
  EXPECT_EQ(log().size(), 1u);
  // The journal sends both again, in order: the later value wins, both entries are logged.
  EXPECT_EQ(run(2, "x", "v2", 20), 1);
  EXPECT_EQ(run(3, "x", "v3", 30), 1);
  EXPECT_EQ(field("x"), "v3");
  auto entries = log();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].first, "10-0");
  EXPECT_EQ(entries[1].first, "20-0");
  EXPECT_EQ(entries[2].first, "30-0");
}

TEST_F(batch_script_test, a_batch_sent_again_after_a_lost_reply_writes_nothing_twice) {
  ASSERT_EQ(run(1, "x", "v1", 10), 1);
  ASSERT_EQ(run(2, "x", "v2", 20), 1);
  // Batch 1's reply was lost with the connection: the journal sends 1 and 2 again.
  EXPECT_EQ(run(1, "x", "v1", 10), 1);
  EXPECT_EQ(field("x"), "v2") << "an old batch sent again wrote over a newer value";
  EXPECT_EQ(run(2, "x", "v2", 20), 1);
  EXPECT_EQ(log().size(), 2u);
}

TEST_F(batch_script_test, a_superseded_or_emptied_store_is_not_written) {
  auto e = conn_->command({"HSET", persistence::keys::meta, "writer", "8"}); // a newer hub
  ASSERT_TRUE(e && e->type == REDIS_REPLY_INTEGER);
  EXPECT_EQ(run(1, "x", "v1", 10), 0);
  auto d = conn_->command({"DEL", persistence::keys::meta});
  ASSERT_TRUE(d && d->type == REDIS_REPLY_INTEGER);
  EXPECT_EQ(run(1, "x", "v1", 10), -1);
  EXPECT_EQ(field("x"), "");
  EXPECT_TRUE(log().empty());
}

// The archived cases' figures (persistence/README.md, "The figures"): counts are added
// counter by counter to a unit's field in its day's hash; a batch that says the store may fold
// up to a day merges the days before it into their months' hashes and deletes them; a count
// for a day already folded goes to its month. Sent again after a lost reply, a batch that
// folded is not applied twice.
TEST_F(batch_script_test, a_fold_sent_again_after_a_lost_reply_is_not_applied_twice) {
  using persistence::keys::figure_day;
  using persistence::keys::figure_month;
  ASSERT_EQ(figures(1, 0, {{100, 90, "3", "2,1"}, {100, 90, "4", "0,0,5"}}), 1);
  EXPECT_EQ(hget(figure_day(100), "3"), "2,1");
  ASSERT_EQ(figures(2, 0, {{100, 90, "3", "1,0,0,1"}}), 1);
  EXPECT_EQ(hget(figure_day(100), "3"), "3,1,0,1");
  // Day 130 counted: the store may fold up to day 120, the first of 130's month.
  ASSERT_EQ(figures(3, 120, {{130, 120, "3", "1"}}), 1);
  EXPECT_EQ(hget(figure_day(100), "3"), "");
  EXPECT_EQ(hget(figure_month(90), "3"), "3,1,0,1");
  EXPECT_EQ(hget(figure_month(90), "4"), "0,0,5");
  EXPECT_EQ(hget(figure_day(130), "3"), "1");
  EXPECT_EQ(hget(persistence::keys::meta, "folded"), "120");
  // Batches 2 and 3 sent again (the connection was lost before their replies).
  EXPECT_EQ(figures(2, 0, {{100, 90, "3", "1,0,0,1"}}), 1);
  EXPECT_EQ(figures(3, 120, {{130, 120, "3", "1"}}), 1);
  EXPECT_EQ(hget(figure_month(90), "3"), "3,1,0,1") << "folded twice";
  EXPECT_EQ(hget(figure_day(100), "3"), "");
  EXPECT_EQ(hget(figure_day(130), "3"), "1");
  // A case of day 100 taken off (reopened) and one archived now: both land in the month.
  ASSERT_EQ(figures(4, 120, {{100, 90, "3", "-1,-1,0,-1"}, {100, 90, "4", "1"}}), 1);
  EXPECT_EQ(hget(figure_month(90), "3"), "2");
  EXPECT_EQ(hget(figure_month(90), "4"), "1,0,5");
  EXPECT_EQ(hget(figure_day(100), "3"), "");
  ASSERT_EQ(figures(5, 120, {{100, 90, "3", "-2"}}), 1);
  auto left = conn_->command({"HEXISTS", figure_month(90), "3"});
  EXPECT_TRUE(left && left->integer == 0) << "a field at all zeros kept";
  // The lists recovery reads: day 130 and month 90.
  auto days = conn_->command({"ZRANGE", persistence::keys::figure_days, "0", "-1"});
  ASSERT_TRUE(days && days->elements == 1);
  EXPECT_EQ(text_of(days->element[0]), "130:120");
  auto months = conn_->command({"ZRANGE", persistence::keys::figure_months, "0", "-1"});
  ASSERT_TRUE(months && months->elements == 1);
  EXPECT_EQ(text_of(months->element[0]), "90");
}

} // namespace
} // namespace hub::testing
