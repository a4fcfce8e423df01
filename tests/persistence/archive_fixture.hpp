#pragma once

// The fixture of the archive's tests on a real redis-server (archive_test.cpp,
// archive_figures_test.cpp): retention of an hour, a closed case made in five steps, and where
// the store keeps a case and the archived cases' figure counts.

#include "tests/persistence/store_fixture.hpp"

#include "protocol/json.hpp"

#include <string>
#include <vector>

namespace hub::testing {

constexpr protocol::timestamp_ms day_ms = 24 * 3600 * 1000;

/// A `figures` query of `unit` over `period` (from and to left to the caller).
inline protocol::query figures_query(protocol::unit_code unit, protocol::figure_period period) {
  protocol::query q;
  q.what = protocol::query_kind::figures;
  q.unit = unit;
  q.period = period;
  return q;
}

class archive_test : public store_test {
protected:
  archive_test() { retain = std::chrono::hours(1); }

  /// Reports a case at codes::grid_a1_1 and closes it there: five steps.
  protocol::case_id closed_case(const std::string& title = "closed") {
    auto id = report(person_at(codes::grid_a1_1, 2), codes::grid_a1_1, title);
    EXPECT_ACK(step(person_at(codes::grid_a1_1, 2), id, protocol::case_action::sign));
    EXPECT_ACK(step(person_at(codes::grid_a1_1, 2), id, protocol::case_action::start));
    EXPECT_ACK(step(person_at(codes::grid_a1_1, 2), id, protocol::case_action::resolve));
    EXPECT_ACK(step(person_at(codes::grid_a1_1, 1), id, protocol::case_action::close));
    return id;
  }

  /// Where Redis keeps case `id`: hot, archived, both or neither.
  struct places {
    bool hot = false, archived = false;
    std::uint64_t version = 0; // of the copy found (the history's length)
  };
  places stored(protocol::case_id id) {
    auto spy = redis_.connect();
    EXPECT_TRUE(spy.ok()) << spy.error();
    places out;
    auto hot = hget(spy, persistence::keys::case_hash(id), std::to_string(id));
    auto cold = hget(spy, persistence::keys::archive_hash(id), std::to_string(id));
    out.hot = hot.has_value();
    out.archived = cold.has_value();
    if (hot || cold)
      out.version = persistence::version_of(hot ? *hot : *cold);
    return out;
  }

  /// How many unit fields the store keeps for the archived cases' figures (in the day and
  /// month hashes its two sorted sets list).
  long long figure_fields() {
    long long n = 0;
    for (const auto& key : figure_hashes())
      n += hlen(key);
    return n;
  }
  /// The figures' day and month hashes the store lists, days first.
  std::vector<std::string> figure_hashes() {
    auto spy = redis_.connect();
    EXPECT_TRUE(spy.ok()) << spy.error();
    std::vector<std::string> out;
    for (const auto* index : {&persistence::keys::figure_days, &persistence::keys::figure_months})
      if (auto r = run(spy, {"ZRANGE", *index, "0", "-1"}))
        for (std::size_t i = 0; i < r->elements; ++i) {
          auto member = std::string(persistence::text_of(r->element[i]));
          auto day = static_cast<std::int32_t>(std::stol(member.substr(0, member.find(':'))));
          out.push_back(index == &persistence::keys::figure_days
                            ? persistence::keys::figure_day(day)
                            : persistence::keys::figure_month(day));
        }
    return out;
  }
  long long hlen(const std::string& key) {
    auto spy = redis_.connect();
    EXPECT_TRUE(spy.ok()) << spy.error();
    auto r = run(spy, {"HLEN", key});
    return r ? r->integer : -1;
  }
  /// The counters the store keeps for `unit` in figures hash `key` (all 0 when none).
  persistence::figure_counts stored_counts(const std::string& key, protocol::unit_code unit) {
    auto spy = redis_.connect();
    EXPECT_TRUE(spy.ok()) << spy.error();
    persistence::figure_counts out{};
    if (auto v = hget(spy, key, std::to_string(h_->index_of(unit)))) {
      EXPECT_TRUE(persistence::add_counts(*v, out)) << *v;
    }
    return out;
  }

  /// The `case` query's answer as JSON, its message id and seq cleared.
  std::string case_answer(protocol::person_id who, protocol::case_id id) {
    protocol::query q;
    q.case_ref = id;
    auto reply = act(who, q);
    if (auto* r = std::get_if<protocol::result>(&reply))
      r->id = r->seq = 0;
    return protocol::to_json(reply);
  }
};

} // namespace hub::testing
