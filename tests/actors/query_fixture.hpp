#pragma once

// The fixture of the read side's tests on CAF's testing scheduler: the small city (or a wider
// one) and the queries asked of it as a person (protocol/README.md, "query").

#include "tests/actors/city_fixture.hpp"

#include <variant>

namespace hub::testing {

class query_test_base : public city_test {
protected:
  using city_test::city_test;

  /// The result of `q` asked by `who`; fails the test when the answer is not one.
  protocol::result ask(protocol::person_id who, protocol::query q) {
    auto reply = act(who, q);
    auto* r = std::get_if<protocol::result>(&reply);
    EXPECT_NE(r, nullptr) << describe(reply);
    return r != nullptr ? *r : protocol::result{};
  }

  /// Issues, as `who`, a directive to every grid under `under`; its id (0, and the test
  /// fails, unless acked).
  protocol::directive_id to_grids(protocol::person_id who, protocol::unit_code under) {
    protocol::directive_issue d;
    d.channel = 2;
    d.title = "防汛检查";
    d.target.kind = protocol::target_kind::level;
    d.target.units = {under};
    d.target.level = protocol::unit_kind::grid;
    auto reply = act(who, d);
    auto* a = std::get_if<protocol::ack>(&reply);
    EXPECT_NE(a, nullptr) << describe(reply);
    return a != nullptr ? a->directive_ref : 0;
  }
};

} // namespace hub::testing
