// The examples of protocol/README.md against the generated city (`hub-gen --seed 20261125`,
// what `./dev.sh run` serves): every unit, category and person they name exists there with the
// kind or post the message needs, and every case or directive id names a unit that could have
// made it. And the page's JavaScript for ids beyond 2^53, run on what the hub writes.

#include "sim/gen/xinyang.hpp"

#include "protocol/json.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/spec_examples.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace hub::testing {
namespace {

using namespace protocol;

const hierarchy& city() {
  static const hierarchy h = sim::generate_xinyang(20261125);
  return h;
}

/// Checks that the examples name only what the city has. Adds a failure per missing thing.
class example_check {
public:
  explicit example_check(std::string example)
    : example_(std::move(example)) {}

  void unit(unit_code code, std::set<unit_kind> kinds = {}) {
    auto* u = city().find_unit(code);
    if (u == nullptr)
      ADD_FAILURE() << "no unit " << code << " in: " << example_;
    else if (!kinds.empty() && kinds.count(u->kind) == 0)
      ADD_FAILURE() << "unit " << code << " is a " << to_string(u->kind) << " in: " << example_;
  }
  void person(person_id id, std::set<post> posts = {}) {
    auto* p = city().find_person(id);
    if (p == nullptr)
      ADD_FAILURE() << "no person " << id << " in: " << example_;
    else if (!posts.empty() && posts.count(p->holds) == 0)
      ADD_FAILURE() << "person " << id << " is a " << to_string(p->holds) << " in: " << example_;
  }
  void category(const std::string& code) {
    if (city().find_category(code) == nullptr)
      ADD_FAILURE() << "no category '" << code << "' in: " << example_;
  }
  /// A case or directive id carries the index of the unit that made it in its top 24 bits
  /// (actors/unit_actor.hpp, make_id); the rest counts from 1.
  void made_by(std::uint64_t id, std::set<unit_kind> kinds) {
    const auto index = id >> 40;
    if (index >= city().units.size() || (id & ((1ull << 40) - 1)) == 0) {
      ADD_FAILURE() << "id " << id << " names no maker in: " << example_;
      return;
    }
    unit(city().units[index].code, std::move(kinds));
  }

private:
  std::string example_;
};

TEST(spec_examples, name_only_what_the_generated_city_has) {
  using K = unit_kind;
  const std::set<K> case_makers = {K::grid, K::village, K::township, K::centre};
  const std::set<K> issuers = {K::city, K::county, K::township};
  const auto examples = json_examples();
  ASSERT_GE(examples.size(), 25u) << "protocol/README.md was not read";
  for (const auto& example : examples) {
    example_check check(example);
    auto client = decode_client_json(example);
    if (auto* m = std::get_if<client_message>(&client)) {
      std::visit(
          [&](const auto& b) {
            using T = std::decay_t<decltype(b)>;
            if constexpr (std::is_same_v<T, case_report>) {
              check.unit(b.unit, case_makers);
              check.category(b.category);
            } else if constexpr (std::is_same_v<T, case_act>) {
              check.made_by(b.id, case_makers);
              for (auto d : b.departments)
                check.unit(d, {K::department});
              if (b.action == case_action::dispatch)
                check.unit(b.unit, {K::township, K::village, K::grid, K::department});
              if (b.action == case_action::rate)
                check.unit(b.unit, {K::department});
              if (b.duplicate_of != 0)
                check.made_by(b.duplicate_of, case_makers);
            } else if constexpr (std::is_same_v<T, directive_issue>) {
              for (auto u : b.target.units)
                check.unit(u);
              for (auto p : b.target.people)
                check.person(p);
            } else if constexpr (std::is_same_v<T, directive_act>) {
              check.made_by(b.id, issuers);
            } else if constexpr (std::is_same_v<T, query>) {
              if (b.case_ref != 0)
                check.made_by(b.case_ref, case_makers);
              if (b.directive_ref != 0)
                check.made_by(b.directive_ref, issuers);
              if (b.unit != 0)
                check.unit(b.unit);
              if (!b.category.empty())
                check.category(b.category);
            } else {
              check.unit(b.unit); // subscribe, unsubscribe
            }
          },
          m->body);
      continue;
    }
    auto server = decode_server_json(example);
    auto* m = std::get_if<server_message>(&server);
    ASSERT_NE(m, nullptr) << "neither a client nor a hub message: " << example;
    std::visit(
        [&](const auto& b) {
          using T = std::decay_t<decltype(b)>;
          if constexpr (std::is_same_v<T, ack>) {
            if (b.case_ref != 0)
              check.made_by(b.case_ref, case_makers);
          } else if constexpr (std::is_same_v<T, case_event>) {
            check.made_by(b.id, case_makers);
            check.unit(b.unit);
            if (b.from_unit != 0)
              check.unit(b.from_unit);
            if (b.by != 0)
              check.person(b.by);
            check.category(b.category);
            for (auto d : b.departments)
              check.unit(d, {K::department});
            if (b.duplicate_of != 0)
              check.made_by(b.duplicate_of, case_makers);
          } else if constexpr (std::is_same_v<T, directive_event>) {
            check.made_by(b.id, issuers);
            check.unit(b.unit);
            if (b.by != 0)
              check.person(b.by);
            if (b.recipient != 0)
              check.unit(b.recipient);
          } else if constexpr (std::is_same_v<T, result>) {
            auto row = [&](const case_summary& c) {
              check.made_by(c.id, case_makers);
              check.unit(c.unit);
              check.unit(c.origin, case_makers);
              check.category(c.category);
            };
            for (const auto& c : b.cases)
              row(c);
            if (b.what == query_kind::directive) {
              const auto& d = b.directive;
              check.made_by(d.id, issuers);
              check.unit(d.unit, issuers);
              check.unit(d.scope.unit);
              if (d.by != 0)
                check.person(d.by);
              for (const auto& c : d.children)
                check.unit(c.unit);
              for (const auto& l : d.laggards) {
                check.unit(l.unit);
                if (l.person != 0)
                  check.person(l.person, {post::village_security});
              }
            }
            for (const auto& d : b.directives) {
              check.made_by(d.id, issuers);
              check.unit(d.unit, issuers);
              if (d.by != 0)
                check.person(d.by);
              if (d.person != 0)
                check.person(d.person, {post::village_security});
            }
            if (b.what == query_kind::figures) {
              check.unit(b.figures.unit.unit);
              for (const auto& c : b.figures.children)
                check.unit(c.unit);
            }
            if (b.what == query_kind::ranking) {
              check.unit(b.ranking.unit, {K::city, K::county});
              for (const auto& r : b.ranking.rows)
                check.unit(r.unit, {b.ranking.level});
            }
            if (b.what == query_kind::one_case) {
              row(b.one.summary);
              for (auto u : b.one.held_by)
                check.unit(u);
              for (const auto& s : b.one.steps) {
                check.unit(s.unit);
                if (s.from_unit != 0)
                  check.unit(s.from_unit);
                if (s.by != 0)
                  check.person(s.by);
                for (auto d : s.departments)
                  check.unit(d, {K::department});
              }
            }
          } else if constexpr (std::is_same_v<T, aggregate> || std::is_same_v<T, gap>) {
            check.unit(b.unit);
          }
        },
        *m);
  }
}

// The people the examples say send them hold posts that may: a grid's staff reports at its
// grid, a module head proposes the whistle, a county leader issues, a village's 综治主任 (a
// recipient of the post-targeted directive) completes it.
TEST(spec_examples, their_senders_hold_the_posts_that_may_send_them) {
  auto holds = [](person_id id) {
    auto* p = city().find_person(id);
    return p != nullptr ? std::optional{std::pair{p->holds, p->unit}} : std::nullopt;
  };
  EXPECT_EQ(holds(41150200100100102), std::pair(post::grid_fulltime, unit_code{411502001001001}));
  EXPECT_EQ(holds(41150299901), std::pair(post::centre_operator, unit_code{411502999}));
  EXPECT_EQ(holds(41150200106), std::pair(post::township_module_head, unit_code{411502001}));
  EXPECT_EQ(city().find_person(41150200106)->module, city().find_category("enforce.noise")->module);
  EXPECT_EQ(holds(41150201), std::pair(post::county_leader, unit_code{411502}));
  EXPECT_EQ(holds(41150200100104), std::pair(post::village_security, unit_code{411502001001}));
  EXPECT_EQ(holds(41150200100100101), std::pair(post::grid_head, unit_code{411502001001001}));
  // The ids of the first case of grid 411502001001001 and of centre 411502999, and of the
  // first directive of county 411502.
  auto first_id_of = [](unit_code u) {
    return (static_cast<std::uint64_t>(city().index_of(u)) << 40) | 1;
  };
  EXPECT_EQ(first_id_of(411502001001001), 42880953483265u);
  EXPECT_EQ(first_id_of(411502999), 3298534883329u);
  EXPECT_EQ(first_id_of(411502), 2199023255553u);
  std::size_t villages = 0;
  for (const auto& u : city().units)
    villages += u.kind == unit_kind::village && city().within(u.code, 411502);
  EXPECT_EQ(villages, 239u); // the post-targeted example's total
}

/// The `node` executable on PATH, or empty.
std::string find_node() {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (auto candidate = dir + "/node"; ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
  return {};
}

// The page's JavaScript keeps ids beyond 2^53 exact: it parses what the hub wrote into BigInts
// with the right digits, and what it writes back the hub reads as the same ids.
TEST(spec_examples, the_javascript_for_large_ids_keeps_them_exact) {
  const auto node = find_node();
  ASSERT_FALSE(node.empty()) << "node is not installed (./dev.sh installs Debian's nodejs)";
  const auto js = code_blocks(protocol_readme(), "js");
  ASSERT_EQ(js.size(), 1u) << "protocol/README.md should have one JavaScript block";

  case_event e;
  e.seq = 12010, e.at = 1795569000000, e.id = (12000ull << 40) | 7, e.unit = 411502001001001;
  e.action = case_action::mark_duplicate, e.state = case_state::duplicate;
  e.by = 41150200100100101ull, e.duplicate_of = (12000ull << 40) | 3;
  const auto hub_wrote = to_json(server_message{e});

  const auto dir =
      std::filesystem::temp_directory_path() / ("hub-spec-js-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto script = (dir / "large_ids.js").string();
  {
    std::ofstream out(script);
    out << js[0] << "\n"
        << "const e = parse(process.argv[2]);\n"
        << "console.log(typeof e.case, String(e.case), String(e.by), String(e.duplicate_of),\n"
        << "            typeof e.seq, String(e.seq));\n"
        << "console.log(stringify({t: 'case.act', id: 1, case: e.case, action: "
           "'mark_duplicate', duplicate_of: e.duplicate_of}));\n";
  }
  // Node 22 has JSON.parse's source access by default; Node 20 behind this flag.
  child_process run({node, "--harmony-json-parse-with-source", script, hub_wrote});
  const int status = run.finish(wait_limit);
  std::filesystem::remove_all(dir);
  ASSERT_EQ(status, 0) << run.err();
  std::istringstream lines(run.out());
  std::string parsed, written;
  std::getline(lines, parsed);
  std::getline(lines, written);
  EXPECT_EQ(parsed, "bigint " + std::to_string(e.id) + " " + std::to_string(e.by) + " " +
                        std::to_string(e.duplicate_of) + " number 12010");
  auto back = decode_client_json(written);
  auto* m = std::get_if<client_message>(&back);
  ASSERT_NE(m, nullptr) << written;
  const auto& act = std::get<case_act>(m->body);
  EXPECT_EQ(act.id, e.id);
  EXPECT_EQ(act.duplicate_of, e.duplicate_of);
}

} // namespace
} // namespace hub::testing
