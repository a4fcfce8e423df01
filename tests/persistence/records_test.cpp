// The stored form of every record kind: encode_value then decode_* gives back every field;
// the version heads the value; and damaged values are refused with corrupt_record.

#include "actors/ids.hpp"
#include "persistence/records.hpp"
#include "tests/persistence/compare.hpp"
#include "tests/support/small_city.hpp"

#include <msgpack.hpp>

namespace hub::testing {
namespace {

using namespace codes;
using persistence::corrupt_record;
using protocol::case_action;
using protocol::case_state;

actors::case_record full_case() {
  actors::case_record c;
  c.id = actors::make_id(17, 123456789);
  c.origin = grid_a1_1;
  c.holder = town_a;
  c.sender = village_a1;
  c.state = case_state::whistle_blown;
  c.level = actors::case_level::department;
  c.category = 3;
  c.urgency = protocol::urgency::urgent;
  c.hotline = true;
  c.reopened = false;
  c.responded = true;
  c.supervised = true;
  c.colour = protocol::deadline_colour::yellow;
  c.clock_start = 1795564800123;
  c.deadline = 1795564800123 + 86400000;
  c.next_check = 1795564800999;
  c.proposed = {environment};
  c.whistle = {{police, actors::whistle_task::stage::fed_back, 5},
               {housing, actors::whistle_task::stage::reported_in, 0}};
  c.title = "工地夜间施工噪音";
  c.description = std::string("two\nlines and a NUL \0 inside", 27);
  c.address = "浉河区 1 号";
  c.external_id = "12345-2026-000017";
  c.lat = 32.123456789;
  c.lon = -114.5;
  c.history = {
      {1795564800123,
       case_action::report,
       case_state::reported,
       grid_a1_1,
       4115020010010012,
       "",
       0,
       {},
       0,
       0},
      {1795564900000,
       case_action::escalate,
       case_state::dispatched,
       village_a1,
       1,
       "上报",
       grid_a1_1,
       {},
       0,
       0},
      {1795565000000,
       case_action::approve_whistle,
       case_state::whistle_blown,
       town_a,
       0,
       "吹哨",
       0,
       {police, housing},
       0,
       0},
      {1795565100000, case_action::rate, case_state::resolved, town_a, 7, "", 0, {police}, 5, 0},
      {1795565200000,
       case_action::mark_duplicate,
       case_state::duplicate,
       town_a,
       7,
       "",
       0,
       {},
       0,
       (1ull << 40) | 3},
  };
  return c;
}

// Every field of a case — flags, whistle tasks, proposals, history, UTF-8 and binary text —
// survives the stored form, and the stored version is the one given (read by version_of).
TEST(records, a_case_with_history_and_whistle_tasks_round_trips) {
  auto c = full_case();
  auto value = persistence::encode_value(c, 3);
  EXPECT_EQ(persistence::version_of(value), 3u);
  EXPECT_EQ(value.substr(0, 16), "0000000000000003");
  auto back = persistence::decode_case(value);
  expect_same(c, back);
  EXPECT_EQ(back.next_check, c.next_check);

  // Each flag on its own, so that no two share a bit.
  for (int bit = 0; bit < 4; ++bit) {
    actors::case_record f;
    f.hotline = bit == 0, f.reopened = bit == 1, f.responded = bit == 2, f.supervised = bit == 3;
    expect_same(f, persistence::decode_case(persistence::encode_value(f, 1)));
  }
  // A history entry stored before entries kept their event's fields (6 fields, not 10) still
  // reads, with those fields empty.
  {
    auto stored = persistence::encode_value(c, 3);
    auto handle = msgpack::unpack(stored.data() + 16, stored.size() - 16);
    auto obj = handle.get();
    auto& history = obj.via.array.ptr[20];
    for (std::uint32_t i = 0; i < history.via.array.size; ++i)
      history.via.array.ptr[i].via.array.size = 6;
    msgpack::sbuffer older;
    msgpack::pack(older, obj);
    auto read =
        persistence::decode_case(stored.substr(0, 16) + std::string(older.data(), older.size()));
    ASSERT_EQ(read.history.size(), c.history.size());
    for (std::size_t i = 0; i < c.history.size(); ++i) {
      auto expected = c.history[i];
      expected.from_unit = 0, expected.departments = {}, expected.score = 0;
      expected.duplicate_of = 0;
      EXPECT_EQ(read.history[i], expected) << i;
    }
  }
  // An empty case round-trips too.
  expect_same(actors::case_record{},
              persistence::decode_case(persistence::encode_value(actors::case_record{}, 0)));
}

// Department tasks, directives (with their whole directive.issue), receipts and a unit's own
// counters round-trip field by field.
TEST(records, tasks_directives_receipts_and_units_round_trip) {
  actors::task_record t;
  t.id = actors::make_id(20, 99);
  t.department = housing;
  t.task = {town_b,
            {housing, actors::whistle_task::stage::reported_in, 4},
            7,
            protocol::urgency::urgent,
            1795564800000,
            3,
            1795568400000};
  auto tb = persistence::decode_task(persistence::encode_value(t, 9));
  EXPECT_EQ(tb.id, t.id);
  EXPECT_EQ(tb.department, t.department);
  expect_same(t.task, tb.task);

  auto info = actors::make_directive();
  info->id = actors::make_id(2, 5);
  info->issuer_unit = county;
  info->issuer = person_at(county, 1);
  info->issued_at = 1795564800000;
  info->what.channel = 13;
  info->what.title = "防汛检查";
  info->what.body = "排查辖区隐患";
  info->what.deadline = 1795651200000;
  info->what.target.kind = protocol::target_kind::people; // people only (the protocol's rule)
  info->what.target.people = {person_at(grid_b2_2, 1), person_at(police, 2)};
  auto by_level = actors::make_directive();
  *by_level = *info;
  by_level->what.target = {};
  by_level->what.target.kind = protocol::target_kind::level;
  by_level->what.target.units = {county, town_a};
  by_level->what.target.level = protocol::unit_kind::village;
  by_level->what.deadline = 0; // no deadline
  for (const auto& d : {info, by_level})
    for (bool reminded : {false, true}) {
      auto db = persistence::decode_directive(
          persistence::encode_value(actors::directive_record{d, reminded}, 2));
      ASSERT_NE(db.info, nullptr);
      expect_same(*d, *db.info);
      EXPECT_EQ(db.reminded, reminded);
    }

  actors::receipt_record r{
      info->id, {grid_b2_2, person_at(grid_b2_2, 1)}, protocol::directive_action::complete};
  auto rb = persistence::decode_receipt(persistence::encode_value(r, 2));
  EXPECT_EQ(rb.id, r.id);
  EXPECT_EQ(rb.who, r.who);
  EXPECT_EQ(rb.action, r.action);

  actors::unit_record u;
  u.unit = police;
  u.version = 1ull << 40;
  u.next_id = 77;
  u.score_sum = 123;
  u.counters = {1, 2, 3, 4, 5, 6, 7, 8, {9, 10, 11, 12}, 13, 14, 15};
  auto ub = persistence::decode_unit(persistence::encode_value(u, u.version));
  EXPECT_EQ(persistence::version_of(persistence::encode_value(u, u.version)), u.version);
  EXPECT_EQ(ub.unit, u.unit);
  EXPECT_EQ(ub.version, u.version);
  EXPECT_EQ(ub.next_id, u.next_id);
  EXPECT_EQ(ub.score_sum, u.score_sum);
  EXPECT_TRUE(ub.counters == u.counters);
}

// Versions compare as the Lua check compares them (as strings): the 16 hex digits order like
// the numbers, which is what makes the stale-write check right.
TEST(records, stored_versions_order_as_strings_like_numbers) {
  actors::unit_record u;
  std::uint64_t versions[] = {0, 1, 9, 10, 15, 16, 255, 256, 65535, 1ull << 32, ~0ull};
  for (std::size_t i = 0; i + 1 < std::size(versions); ++i) {
    auto a = persistence::encode_value(u, versions[i]).substr(0, 16);
    auto b = persistence::encode_value(u, versions[i + 1]).substr(0, 16);
    EXPECT_LT(a, b) << versions[i] << " vs " << versions[i + 1];
    EXPECT_EQ(persistence::version_of(a), versions[i]);
  }
}

// Damaged values are refused with corrupt_record, never read as something else: a value
// too short for its version, a version that is not hex, a truncated body, the wrong record
// kind, a field of the wrong type, an enumeration out of range, trailing garbage types.
TEST(records, corrupt_values_throw_corrupt_record) {
  auto good = persistence::encode_value(full_case(), 3);
  EXPECT_THROW(persistence::version_of(""), corrupt_record);
  EXPECT_THROW(persistence::version_of("000000000000003"), corrupt_record);
  EXPECT_THROW(persistence::version_of("00000000000000x3"), corrupt_record);
  EXPECT_THROW(persistence::version_of("000000000000000A"), corrupt_record); // upper case
  EXPECT_THROW(persistence::decode_case(good.substr(0, 10)), corrupt_record);
  EXPECT_THROW(persistence::decode_case(good.substr(0, 16)), corrupt_record);
  for (std::size_t cut : {17ul, 40ul, good.size() / 2, good.size() - 1})
    EXPECT_THROW(persistence::decode_case(good.substr(0, cut)), corrupt_record) << cut;
  auto bad_version = good;
  bad_version[3] = 'g';
  EXPECT_THROW(persistence::decode_case(bad_version), corrupt_record);

  // Another kind of record where a case is expected, and the other way round.
  actors::unit_record u;
  u.unit = police;
  auto unit_value = persistence::encode_value(u, 1);
  EXPECT_THROW(persistence::decode_case(unit_value), corrupt_record);
  EXPECT_THROW(persistence::decode_task(good), corrupt_record);
  EXPECT_THROW(persistence::decode_directive(good), corrupt_record);
  EXPECT_THROW(persistence::decode_receipt(good), corrupt_record);
  EXPECT_THROW(persistence::decode_unit(good), corrupt_record);

  // Hand-made bodies: a map instead of an array, a string where a number goes, an
  // enumeration out of range (a receipt's action 9).
  auto with_body = [](auto&& pack) {
    msgpack::sbuffer buf;
    buf.write("0000000000000001", 16);
    msgpack::packer<msgpack::sbuffer> p{buf};
    pack(p);
    return std::string(buf.data(), buf.size());
  };
  EXPECT_THROW(persistence::decode_receipt(with_body([](auto& p) { p.pack_map(0); })),
               corrupt_record);
  EXPECT_THROW(persistence::decode_receipt(with_body(
                   [](auto& p) { p.pack_array(4), p.pack("x"), p.pack(1), p.pack(2), p.pack(1); })),
               corrupt_record);
  EXPECT_THROW(persistence::decode_receipt(with_body(
                   [](auto& p) { p.pack_array(4), p.pack(1), p.pack(2), p.pack(3), p.pack(9); })),
               corrupt_record);
  EXPECT_NO_THROW(persistence::decode_receipt(
      with_body([](auto& p) { p.pack_array(4), p.pack(1), p.pack(2), p.pack(3), p.pack(2); })));
  EXPECT_THROW(persistence::decode_unit(with_body([](auto& p) {
                 p.pack_array(5), p.pack(1), p.pack(2), p.pack(3), p.pack(4);
                 p.pack_array(14);
                 for (int i = 0; i < 14; ++i)
                   p.pack(i);
               })),
               corrupt_record);
  // A directive whose content is not a directive.issue.
  EXPECT_THROW(persistence::decode_directive(with_body([](auto& p) {
                 p.pack_array(6), p.pack(1), p.pack(2), p.pack(3), p.pack(4);
                 p.pack_bin(3), p.pack_bin_body("abc", 3);
                 p.pack(false);
               })),
               corrupt_record);
}

// Each record lands in the hash and field the key layout names, with the version that must
// not go backwards (the case's history length; a task's stage, then reminders, then rating).
TEST(records, records_are_placed_by_the_key_layout_and_versioned_by_progress) {
  auto h = make_small_city();
  auto grid_index = static_cast<std::uint32_t>(h->find_unit(grid_a1_1) - h->units.data());
  auto c = full_case();
  c.id = actors::make_id(grid_index, 4);
  auto p = persistence::place_of(c);
  EXPECT_EQ(p.key, "hub:cases:" + std::to_string(c.id % persistence::keys::case_buckets));
  EXPECT_EQ(p.key, persistence::keys::case_hash(c.id));
  EXPECT_EQ(p.field, std::to_string(c.id));
  EXPECT_EQ(p.version, c.history.size());

  actors::task_record t{c.id, police, {}};
  t.task.task = {police, actors::whistle_task::stage::summoned, 0};
  auto summoned = persistence::place_of(t).version;
  t.task.reminders = 2;
  auto reminded = persistence::place_of(t).version;
  t.task.task.at = actors::whistle_task::stage::fed_back;
  auto fed_back = persistence::place_of(t).version;
  t.task.task.score = 1;
  auto rated = persistence::place_of(t);
  EXPECT_EQ(rated.key, "hub:tasks:" + std::to_string(police));
  EXPECT_LT(summoned, reminded);
  EXPECT_LT(reminded, fed_back);
  EXPECT_LT(fed_back, rated.version);

  actors::receipt_record r{c.id, {village_a1, 0}, protocol::directive_action::sign};
  auto signed_ = persistence::place_of(r);
  EXPECT_EQ(signed_.key, "hub:receipts:" + std::to_string(c.id));
  EXPECT_EQ(signed_.field, std::to_string(village_a1) + ":0");
  r.action = protocol::directive_action::complete;
  EXPECT_LT(signed_.version, persistence::place_of(r).version);
}

// The archived cases' figures (persistence/README.md, "The figures"): a unit's 11 counters on
// a day pack to a comma list without its trailing zeros, which adds back into the counters;
// anything else is refused (recovery then names the field).
TEST(records, figure_counts_pack_to_a_comma_list_and_add_back) {
  persistence::figure_counts c{3, 3, 0, 1, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(persistence::pack_counts(c), "3,3,0,1");
  EXPECT_EQ(persistence::pack_counts(persistence::figure_counts{}), "");
  persistence::figure_counts taken{-1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  EXPECT_EQ(persistence::pack_counts(taken), "-1,0,0,0,0,0,0,0,0,0,2");
  persistence::figure_counts sum{};
  ASSERT_TRUE(persistence::add_counts("3,3,0,1", sum));
  ASSERT_TRUE(persistence::add_counts("-1,0,0,0,0,0,0,0,0,0,2", sum));
  ASSERT_TRUE(persistence::add_counts("", sum));
  EXPECT_EQ(sum, (persistence::figure_counts{2, 3, 0, 1, 0, 0, 0, 0, 0, 0, 2}));
  for (const char* bad : {"1,,2", "1,", ",1", "x", "1;2", "1,2,3,4,5,6,7,8,9,10,11,12", "1 ",
                          "99999999999999999999"}) {
    persistence::figure_counts into{};
    EXPECT_FALSE(persistence::add_counts(bad, into)) << bad;
  }
}

} // namespace
} // namespace hub::testing
