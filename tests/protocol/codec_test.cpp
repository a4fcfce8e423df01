// The MessagePack codec: round trips, the wire form of each message, the hub's own messages,
// size_bound.

#include "protocol/codec.hpp"
#include "protocol/detail/writer.hpp"
#include "protocol/frame.hpp"
#include "protocol/json.hpp"
#include "protocol/size_bound.hpp"

#include "frame_edits.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <msgpack.hpp>

#include <map>
#include <random>
#include <set>

namespace hub::protocol {
namespace {

using namespace frame_edits;
using checks::accepted;
using checks::Refused;

// -- round trips --------------------------------------------------------------------------------

TEST(codec, every_client_message_survives_a_round_trip) {
  for (const auto& [name, msg] : samples::client_samples()) {
    SCOPED_TRACE(name);
    EXPECT_EQ(accepted(decode_client(encode(msg))), msg);
  }
}

TEST(codec, every_server_message_survives_a_round_trip) {
  for (const auto& [name, msg] : samples::server_samples()) {
    SCOPED_TRACE(name);
    EXPECT_EQ(accepted(decode_server(encode(msg))), msg);
  }
}

TEST(codec, a_ready_made_frame_is_the_websocket_header_then_the_encoding) {
  auto samples_and_a_long_one = samples::server_samples();
  error long_one{7, errc::malformed, std::string(70'000, 'x')}; // a 64-bit length
  samples_and_a_long_one.push_back({"error of 70,000 bytes", long_one});
  std::set<std::size_t> header_sizes;
  for (const auto& [name, msg] : samples_and_a_long_one) {
    SCOPED_TRACE(name);
    for (bool text : {false, true}) {
      const auto body = text ? to_json(msg) : encode(msg);
      const auto frame = encode_frame(msg, text);
      char header[10];
      const auto n = frame_header(text, body.size(), header);
      header_sizes.insert(n);
      ASSERT_EQ(frame.size(), n + body.size());
      EXPECT_EQ(frame.substr(0, n), std::string(header, n));
      EXPECT_EQ(frame.substr(n), body);
    }
  }
  EXPECT_EQ(header_sizes, (std::set<std::size_t>{2, 4, 10})) << "every length form was seen";
}

TEST(codec, a_map_of_16_entries_or_more_has_a_longer_header) {
  for (std::uint32_t entries : {15u, 16u, 65'535u, 65'536u}) {
    SCOPED_TRACE(entries);
    detail::map_writer w;
    for (std::uint32_t i = 0; i < entries; ++i)
      w.put("k" + std::to_string(i), std::uint64_t{i});
    const auto bytes = w.finish();
    const auto first = static_cast<unsigned char>(bytes[0]);
    EXPECT_EQ(first, entries < 16 ? 0x80 + entries : entries <= 0xffff ? 0xde : 0xdf);
    auto handle = msgpack::unpack(bytes.data(), bytes.size());
    ASSERT_EQ(handle.get().type, msgpack::type::MAP);
    EXPECT_EQ(handle.get().via.map.size, entries);
    EXPECT_EQ(handle.get().via.map.ptr[entries - 1].val.as<std::uint64_t>(), entries - 1);
  }
}

TEST(codec, client_and_server_frames_are_not_confused) {
  EXPECT_THAT(decode_server(report_frame), Refused(errc::unknown_type, "t"));
  EXPECT_THAT(decode_client(encode(server_message{ack{1, 0, 0, 0}})),
              Refused(errc::unknown_type, "t"));
}

// -- the wire form ------------------------------------------------------------------------------

TEST(codec, a_minimal_message_is_exactly_its_required_fields) {
  const std::string expected = packed([](packer& pk) {
    pk.pack_map(3);
    pk.pack("t"), pk.pack("subscribe");
    pk.pack("id"), pk.pack(10);
    pk.pack("unit"), pk.pack(411502);
  });
  EXPECT_EQ(encode(message(10, subscribe{411502})), expected);
}

// A subscribe's `figures` is 1 unless it says 0; only 0 is written, and nothing else than 0 or
// 1 is read.
TEST(codec, a_subscribe_says_figures_0_to_get_events_only) {
  subscribe events_only{411502};
  events_only.figures = false;
  EXPECT_THAT(keys_of(encode(message(1, events_only))),
              testing::ElementsAre("t", "id", "unit", "figures"));
  EXPECT_EQ(accepted(decode_client(encode(message(1, events_only)))), message(1, events_only));
  EXPECT_TRUE(std::get<subscribe>(
                  accepted(decode_client_json(R"({"t":"subscribe","id":1,"unit":411502})")).body)
                  .figures);
  EXPECT_TRUE(
      std::get<subscribe>(
          accepted(decode_client_json(R"({"t":"subscribe","id":1,"unit":411502,"figures":1})"))
              .body)
          .figures);
  EXPECT_FALSE(
      std::get<subscribe>(
          accepted(decode_client_json(R"({"t":"subscribe","id":1,"unit":411502,"figures":0})"))
              .body)
          .figures);
  EXPECT_THAT(decode_client_json(R"({"t":"subscribe","id":1,"unit":411502,"figures":2})"),
              Refused(errc::out_of_range, "figures"));
  EXPECT_THAT(decode_client_json(R"({"t":"subscribe","id":1,"unit":411502,"figures":true})"),
              Refused(errc::wrong_type, "figures"));
}

TEST(codec, fields_equal_to_their_default_are_left_out) {
  EXPECT_THAT(keys_of(report_frame),
              testing::ElementsAre("t", "id", "unit", "category", "title", "lat", "lon"));
  EXPECT_THAT(keys_of(act_frame),
              testing::ElementsAre("t", "id", "case", "action", "unit", "score"));
  EXPECT_THAT(keys_of(encode(server_message{ack{5, 0, 0, 9}})),
              testing::ElementsAre("t", "id", "seq"));
}

TEST(codec, a_required_field_is_written_even_when_it_equals_its_default) {
  // module 0 and post village_security are the defaults, but their target kinds need them
  const auto module_target = samples::target_of(target_kind::module);
  const auto frame = encode(message(1, directive_issue{0, "t", "", 0, module_target}));
  EXPECT_THAT(keys_of(frame), testing::ElementsAre("t", "id", "channel", "title", "target"));
  EXPECT_EQ(accepted(decode_client(frame)).body,
            client_body(directive_issue{0, "t", "", 0, module_target}));
  EXPECT_THAT(keys_of(encode(server_message{error{0, errc::malformed, ""}})),
              testing::ElementsAre("t", "id", "code"));
}

TEST(codec, renamed_fields_use_their_wire_names) {
  const auto full = samples::client_samples().front().msg; // case.report full
  EXPECT_THAT(keys_of(encode(full)),
              testing::ElementsAre("t", "id", "unit", "category", "urgency", "title", "description",
                                   "lat", "lon", "address", "external_id"));
  directive_event event{1, 2, 3, directive_action::sign, 4, 5, 6, "x", 7, 8, 9};
  EXPECT_THAT(keys_of(encode(server_message{event})),
              testing::ElementsAre("t", "seq", "at", "directive", "action", "unit", "by", "channel",
                                   "title", "total", "signed", "done"));
}

TEST(codec, enumerations_travel_as_names_and_numbers_in_the_smallest_form) {
  const msgpack::object_handle h = msgpack::unpack(act_frame.data(), act_frame.size());
  const auto fields = h.get().as<std::map<std::string, msgpack::object>>();
  EXPECT_EQ(fields.at("action").as<std::string>(), "rate");
  EXPECT_EQ(fields.at("score").type, msgpack::type::POSITIVE_INTEGER);
  EXPECT_EQ(act_frame.size(), 53u); // fixmap, fixstr keys, uint32 unit: no padding anywhere
}

// -- hub messages -------------------------------------------------------------------------------

TEST(codec, hub_messages_are_held_to_the_same_rules) {
  const std::string err = encode(server_message{error{3, errc::forbidden, "no"}});
  EXPECT_THAT(decode_server(with(err, "code", 77)), Refused(errc::out_of_range, "code"));
  EXPECT_THAT(decode_server(with(err, "code", 70000)), Refused(errc::out_of_range, "code"));
  EXPECT_THAT(decode_server(without(err, "id")), Refused(errc::missing_field, "id"));
  const std::string event = encode(samples::server_samples()[5].msg); // case.event full
  EXPECT_THAT(decode_server(with(event, "score", 6)), Refused(errc::out_of_range, "score"));
  EXPECT_THAT(decode_server(with(event, "state", "lost")), Refused(errc::out_of_range, "state"));
  EXPECT_THAT(decode_server(without(event, "seq")), Refused(errc::missing_field, "seq"));
  EXPECT_THAT(decode_server(with(event, "seq", 0)), Refused(errc::out_of_range, "seq"));
  const std::string agg = encode(server_message{aggregate{1, 2, {}}});
  EXPECT_THAT(decode_server(with(agg, "figures.closed_at", std::vector<int>{1, 2, 3})),
              Refused(errc::out_of_range, "figures.closed_at"));
  EXPECT_THAT(decode_server(with(agg, "figures.open", 1ull << 32)),
              Refused(errc::out_of_range, "figures.open"));
  EXPECT_THAT(decode_server(without(agg, "figures")), Refused(errc::missing_field, "figures"));
  const std::string g = encode(server_message{gap{1, 2, 3}});
  EXPECT_THAT(decode_server(without(g, "next")), Refused(errc::missing_field, "next"));
}

TEST(codec, every_error_code_has_a_name) {
  for (int i = 0; i < 100; ++i) {
    const auto name = to_string(static_cast<errc>(i));
    const bool known =
        (i >= 1 && i <= 8) || (i >= 20 && i <= 26) || (i >= 30 && i <= 33) || i == 99;
    EXPECT_EQ(name != "?", known) << i << " " << name;
  }
  EXPECT_EQ(to_string(errc::unknown_field), "unknown_field");
  EXPECT_EQ(to_string(errc::try_again), "try_again");
  EXPECT_EQ(to_string(errc::conflict), "conflict");
}

// -- size_bound ---------------------------------------------------------------------------------

/// The larger of a message's two encodings.
std::size_t encoded_size(const server_message& m) {
  return std::max(encode(m).size(), to_json(m).size());
}

TEST(codec, size_bound_counts_both_forms_without_encoding) {
  for (const auto& [name, msg] : samples::server_samples()) {
    SCOPED_TRACE(name);
    const auto exact = encoded_size(msg);
    const auto bound = size_bound(msg);
    EXPECT_GE(bound, exact);
    // Exact, but for a case's coordinates: each counted at its longest (24 characters).
    auto* r = std::get_if<result>(&msg);
    const bool floats = r != nullptr && (r->one.lat != 0 || r->one.lon != 0);
    if (floats) {
      EXPECT_LE(bound, exact + 2 * 24);
    } else {
      EXPECT_EQ(bound, exact);
    }
    if (r != nullptr) {
      EXPECT_EQ(size_bound(*r), bound);
    }
  }
}

TEST(codec, size_bound_is_exact_at_every_width_of_numbers_strings_and_lists) {
  // Each edge of MessagePack's forms and of the decimal digits, strings at each edge of the
  // str headers and with what JSON escapes (or replaces: bytes that are not UTF-8), lists
  // at each edge of the array headers.
  const std::uint64_t numbers[] = {0,     9,           10,          127,        128,
                                   255,   256,         999,         65535,      65536,
                                   99999, 4294967295u, 4294967296u, 9999999999, UINT64_MAX};
  const std::int64_t times[] = {0,
                                1,
                                127,
                                128,
                                -1,
                                -32,
                                -33,
                                -128,
                                -129,
                                -32768,
                                -32769,
                                INT32_MIN,
                                std::int64_t{INT32_MIN} - 1,
                                INT64_MIN,
                                INT64_MAX,
                                1'700'000'000'000};
  std::vector<std::string> texts = {"",
                                    "a",
                                    "引号\"与\\反斜杠",
                                    "tab\t nl\n cr\r bell\x07 nul" + std::string(1, '\0'),
                                    "\xff\xfe not UTF-8 \xe4\xb8",
                                    "😀 emoji"};
  for (std::size_t n : {31, 32, 255, 256, 1000, 65535, 65536})
    texts.emplace_back(n, 'x');
  std::mt19937_64 rng(20261206);
  auto any = [&](const auto& from) { return from[rng() % std::size(from)]; };
  auto summary = [&] {
    case_summary s;
    s.id = any(numbers);
    s.title = any(texts);
    s.category = any(texts);
    s.level = static_cast<urgency>(rng() % 2);
    s.state = static_cast<case_state>(rng() % 5);
    s.colour = static_cast<deadline_colour>(rng() % 3);
    s.deadline = any(times);
    s.unit = any(numbers);
    s.origin = any(numbers);
    s.hotline = rng() % 2 == 0;
    s.reported_at = any(times);
    s.changed_at = any(times);
    return s;
  };
  for (std::size_t rows : {0, 1, 15, 16, 17, 40}) {
    result r;
    r.id = any(numbers);
    r.seq = any(numbers);
    r.what = query_kind::cases;
    for (std::size_t i = 0; i < rows; ++i)
      r.cases.push_back(summary());
    r.total = static_cast<std::uint32_t>(any(numbers));
    r.cursor = any(texts);
    SCOPED_TRACE(rows);
    EXPECT_EQ(size_bound(r), encoded_size(server_message{r}));
  }
  // A case's history: held_by and its steps, without coordinates.
  for (std::size_t steps : {0, 1, 16, 65536}) {
    result r;
    r.id = 1;
    r.what = query_kind::one_case;
    r.one.summary = summary();
    r.one.description = any(texts);
    r.one.held_by.assign(steps % 70, any(numbers));
    for (std::size_t i = 0; i < steps; ++i)
      r.one.steps.push_back({any(times), case_action::remind, case_state::signed_for, any(numbers),
                             i % 3 == 0 ? any(numbers) : 0, any(numbers), i < 20 ? any(texts) : "",
                             std::vector<unit_code>(i % 4, any(numbers)),
                             static_cast<std::uint8_t>(i % 6), i % 5 == 0 ? any(numbers) : 0});
    SCOPED_TRACE(steps);
    EXPECT_EQ(size_bound(r), encoded_size(server_message{r}));
  }
}

} // namespace
} // namespace hub::protocol
