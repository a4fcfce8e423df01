// `hub serve --redis` and the store's owner: a second hub that cannot serve (its port is busy)
// exits before it takes the store over.

#include "persistence/records.hpp"
#include "tests/persistence/hub_fixture.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/test_client.hpp"

namespace hub::testing {
namespace {

using namespace codes;

constexpr auto P = person_at;

class hub_store_test : public hub_process_test {
protected:
  /// The store's writer epoch (hub:meta writer), "" when none.
  std::string writer_epoch() {
    auto spy = redis_.connect();
    return hget(spy, persistence::keys::meta, "writer").value_or("");
  }

  static protocol::case_report report_at(protocol::unit_code unit, const std::string& title) {
    protocol::case_report r;
    r.unit = unit;
    r.category = "safety.dispute";
    r.title = title;
    return r;
  }
};

TEST_F(hub_store_test, a_second_hub_on_a_busy_port_exits_without_taking_the_store_over) {
  auto port = start_hub();
  ASSERT_NE(port, 0);
  test_client c{port, {"/?token=" + token_for(P(grid_a1_1, 2)), "", 0}};
  ASSERT_TRUE(c.ok()) << c.status() << " " << c.body();
  EXPECT_ACK(c.request({1, report_at(grid_a1_1, "before")}));
  const auto epoch = writer_epoch();
  ASSERT_FALSE(epoch.empty());

  child_process second{serve_command({"--port", std::to_string(port)})};
  EXPECT_EQ(second.finish(wait_limit), 1) << second.out() << second.err();
  EXPECT_NE(second.err().find("Address already in use"), std::string::npos) << second.err();
  EXPECT_EQ(second.err().find("store at"), std::string::npos)
      << "it read the store before it could serve: " << second.err();

  // The first hub still owns the store and takes writes.
  EXPECT_EQ(writer_epoch(), epoch);
  EXPECT_ACK(c.request({2, report_at(grid_a1_1, "after")}));
  EXPECT_EQ(stored_cases().size(), 2u);
}

} // namespace
} // namespace hub::testing
