#include "protocol/json.hpp"

#include "decode_checks.hpp"
#include "samples.hpp"
#include "tests/support/spec_examples.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hub::protocol {
namespace {

using checks::accepted;
using checks::Refused;

/// A subscribe frame with `value` as the text of its "since" field.
std::string subscribe_since(const std::string& value) {
  return R"({"t":"subscribe","id":1,"unit":411502,"since":)" + value + "}";
}

/// A case.report frame with `value` as the JSON text of its "title" field.
std::string report_titled(const std::string& value) {
  return R"({"t":"case.report","id":7,"unit":411502001001001,"category":"c","title":)" + value +
         "}";
}

std::string title_of(const std::string& frame) {
  return std::get<case_report>(accepted(decode_client_json(frame)).body).title;
}

// -- round trips and the examples of the specification ------------------------------------------

TEST(json, every_client_message_survives_a_round_trip) {
  for (const auto& [name, msg] : samples::client_samples()) {
    SCOPED_TRACE(name + ": " + to_json(msg));
    EXPECT_EQ(accepted(decode_client_json(to_json(msg))), msg);
  }
}

TEST(json, every_server_message_survives_a_round_trip) {
  for (const auto& [name, msg] : samples::server_samples()) {
    SCOPED_TRACE(name + ": " + to_json(msg));
    EXPECT_EQ(accepted(decode_server_json(to_json(msg))), msg);
  }
}

// The examples of protocol/README.md, read from the page: each must decode, as a client or a
// hub message by its "t", and encoding the result must give back the same text (the examples
// are in the encoder's key order, without defaults).
TEST(json, the_examples_of_the_specification_are_canonical) {
  const auto examples = hub::testing::json_examples();
  ASSERT_GE(examples.size(), 25u) << "protocol/README.md was not read";
  std::size_t clients = 0, servers = 0;
  for (const auto& example : examples) {
    SCOPED_TRACE(example);
    auto as_client = decode_client_json(example);
    if (auto* m = std::get_if<client_message>(&as_client)) {
      EXPECT_EQ(to_json(*m), example);
      ++clients;
      continue;
    }
    EXPECT_THAT(as_client, Refused(errc::unknown_type, "t")); // not a client message at all
    EXPECT_EQ(to_json(accepted(decode_server_json(example))), example);
    ++servers;
  }
  EXPECT_GE(clients, 15u);
  EXPECT_GE(servers, 10u);
}

TEST(json, an_example_decodes_to_the_expected_values) {
  const auto msg = accepted(decode_client_json(hub::testing::json_examples().at(0)));
  EXPECT_EQ(msg.id, 1u);
  const case_report expected{411502001001001,
                             "enforce.noise",
                             urgency::urgent,
                             "工地夜间施工噪音",
                             "Construction noise after 22:00 every night.",
                             32.0851,
                             114.0653,
                             "浉河区 北京路 12号",
                             ""};
  EXPECT_EQ(msg.body, client_body(expected));
}

// Ids beyond 2^53 (17-digit person ids, 64-bit case ids) are written and read as exact JSON
// integers, which a JavaScript client keeps as BigInt (protocol/README.md, "Ids beyond 2^53").
TEST(json, ids_beyond_2_to_the_53_are_exact_integers_both_ways) {
  case_event e;
  e.seq = 1, e.id = 0xFFFF'FFFF'FFFF'FFFEull, e.unit = 411502001001001;
  e.by = 41150200100100102ull, e.duplicate_of = (1ull << 53) + 1;
  const auto text = to_json(server_message{e});
  EXPECT_NE(text.find(R"("case":18446744073709551614)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("by":41150200100100102)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("duplicate_of":9007199254740993)"), std::string::npos) << text;
  EXPECT_EQ(accepted(decode_server_json(text)), server_message{e});
  const auto act = accepted(decode_client_json(
      R"({"t":"case.act","id":1,"case":9007199254740993,"action":"mark_duplicate","duplicate_of":18446744073709551615})"));
  const auto& body = std::get<case_act>(act.body);
  EXPECT_EQ(body.id, 9007199254740993ull);
  EXPECT_EQ(body.duplicate_of, 18446744073709551615ull);
}

TEST(json, json_and_messagepack_agree) {
  for (const auto& [name, msg] : samples::client_samples()) {
    SCOPED_TRACE(name);
    EXPECT_EQ(accepted(decode_client_json(to_json(msg))), accepted(decode_client(encode(msg))));
  }
}

TEST(json, whitespace_between_tokens_is_allowed) {
  const auto msg = accepted(decode_client_json(
      " \t\r\n{ \"t\" : \"unsubscribe\" ,\n \"id\" : 3 , \"unit\" : 411502 }\n"));
  EXPECT_EQ(msg, (client_message{3, unsubscribe{411502}}));
}

// -- strings ------------------------------------------------------------------------------------

TEST(json, strings_are_escaped_and_unescaped_exactly) {
  const std::string tricky = "quote \" backslash \\ slash / controls \b\f\n\r\t \x01 \x1f 噪音 😀";
  case_report report;
  report.unit = 411502001001001, report.category = "c", report.title = tricky;
  const std::string text = to_json(client_message{1, report});
  EXPECT_THAT(
      text,
      ::testing::HasSubstr(
          R"(quote \" backslash \\ slash / controls \u0008\u000c\n\r\t \u0001 \u001f 噪音 😀)"));
  EXPECT_EQ(title_of(text), tricky);
}

TEST(json, unicode_escapes_include_surrogate_pairs) {
  EXPECT_EQ(title_of(report_titled(R"("\u0041\u00e9\u566a\uD83D\uDE00\/")")), "Aé噪😀/");
  EXPECT_EQ(title_of(report_titled(R"("\u0000x")")), std::string("\0x", 2));
}

TEST(json, broken_escapes_and_raw_bytes_are_malformed) {
  for (const std::string bad : {
           R"("\uD83D")",       // high surrogate alone
           R"("\uD83Dx")",      // high surrogate followed by text
           R"("\uD83D\u0041")", // high surrogate followed by a non-surrogate
           R"("\uDE00")",       // low surrogate alone
           R"("\u12")",         // short
           R"("\u12G4")",       // not hex
           R"("\x41")",         // not a JSON escape
           "\"tab\there\"",     // raw control character
           "\"\xff\"",          // not UTF-8
           "\"\xc0\xaf\"",      // overlong
           "\"unterminated",
       }) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(decode_client_json(report_titled(bad)), Refused(errc::malformed, ""));
  }
}

// -- numbers ------------------------------------------------------------------------------------

TEST(json, integer_fields_take_integral_literals_within_64_bits) {
  EXPECT_EQ(std::get<subscribe>(
                accepted(decode_client_json(subscribe_since("18446744073709551615"))).body)
                .since,
            18446744073709551615ull);
  EXPECT_EQ(std::get<subscribe>(accepted(decode_client_json(subscribe_since("-0"))).body).since,
            std::optional<std::uint64_t>{0});
  // Absent is not 0: it asks for live events only.
  EXPECT_EQ(std::get<subscribe>(
                accepted(decode_client_json(R"({"t":"subscribe","id":1,"unit":411502})")).body)
                .since,
            std::nullopt);
  for (const std::string bad : {"18446744073709551616", "1.0", "1e3", "1E0", "-1", "0.5", "true",
                                "null", R"("5")", "[5]", "{}"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(decode_client_json(subscribe_since(bad)), Refused(errc::wrong_type, "since"));
  }
}

TEST(json, number_syntax_is_strict) {
  for (const std::string bad : {"01", "+1", ".5", "1.", "1e", "1e+", "-", "--1", "0x10", "NaN",
                                "Infinity", "-Infinity", "1_000"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(decode_client_json(subscribe_since(bad)), Refused(errc::malformed, ""));
  }
}

TEST(json, coordinates_take_any_finite_number) {
  auto lat_of = [](const std::string& value) {
    const std::string text =
        R"({"t":"case.report","id":1,"unit":1,"category":"c","title":"t","lat":)" + value +
        R"(,"lon":0})";
    return decode_client_json(text);
  };
  EXPECT_EQ(std::get<case_report>(accepted(lat_of("32")).body).lat, 32.0);
  EXPECT_EQ(std::get<case_report>(accepted(lat_of("-3.25e1")).body).lat, -32.5);
  EXPECT_THAT(lat_of("1e400"), Refused(errc::wrong_type, "lat"));
  EXPECT_THAT(lat_of("90.5"), Refused(errc::out_of_range, "lat"));
}

// -- structure ----------------------------------------------------------------------------------

TEST(json, text_that_is_not_one_json_value_is_malformed) {
  for (const std::string bad :
       {"", "   ", "{", "}", R"({"t":"subscribe",})", R"({"t":"subscribe" "id":1})",
        R"({"t" "subscribe"})", R"({t:"subscribe"})", R"({'t':'subscribe'})",
        R"({"t":"subscribe"} {})", R"({"t":"subscribe"}x)", R"([1,])", R"([1 2])",
        R"({"t":"subscribe"/*c*/})", "\xef\xbb\xbf{}" /* BOM */, "tru", "nul"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(decode_client_json(bad), Refused(errc::malformed, ""));
  }
}

TEST(json, every_prefix_of_a_valid_text_is_refused_cleanly) {
  for (const auto& example : hub::testing::json_examples())
    for (std::size_t n = 0; n < example.size(); ++n)
      ASSERT_TRUE(std::holds_alternative<decode_error>(decode_client_json(example.substr(0, n))))
          << example.substr(0, n);
}

TEST(json, the_top_level_must_be_an_object) {
  for (const std::string text : {"[]", "1", R"("case.report")", "null", "true"}) {
    SCOPED_TRACE(text);
    EXPECT_THAT(decode_client_json(text), Refused(errc::not_a_map, ""));
  }
}

TEST(json, limits_are_the_same_as_for_messagepack) {
  EXPECT_THAT(decode_client_json(report_titled('"' + std::string(limits::frame_bytes, 'x') + '"')),
              Refused(errc::too_large, ""));
  EXPECT_THAT(
      decode_client_json(report_titled('"' + std::string(limits::text_bytes + 1, 'x') + '"')),
      Refused(errc::too_large, ""));
  EXPECT_THAT(
      decode_client_json(report_titled('"' + std::string(limits::title_bytes + 1, 'x') + '"')),
      Refused(errc::too_large, "title"));
  EXPECT_THAT(decode_client_json(std::string(100000, '[')), Refused(errc::too_large, ""));
  EXPECT_THAT(decode_client_json(std::string(8, '[') + std::string(8, ']')),
              Refused(errc::not_a_map, "")); // 8 levels: parsed
  EXPECT_THAT(decode_client_json(std::string(9, '[') + std::string(9, ']')),
              Refused(errc::too_large, ""));
  std::string big_array = "[";
  for (std::size_t i = 0; i <= limits::target_people; ++i)
    big_array += i == 0 ? "1" : ",1";
  EXPECT_THAT(decode_client_json(big_array + "]"), Refused(errc::too_large, ""));
  std::string big_object = "{";
  for (int i = 0; i < 33; ++i)
    big_object += (i == 0 ? "\"k" : ",\"k") + std::to_string(i) + "\":1";
  EXPECT_THAT(decode_client_json(big_object + "}"), Refused(errc::too_large, ""));
}

TEST(json, validation_errors_match_messagepack) {
  EXPECT_THAT(decode_client_json(R"({"t":"subscribe","id":1,"unit":1,"unit":2})"),
              Refused(errc::malformed, "unit"));
  EXPECT_THAT(decode_client_json(R"({"t":"subscribe","id":1,"unit":1,"since":0,"x":1})"),
              Refused(errc::unknown_field, "x"));
  EXPECT_THAT(decode_client_json(R"({"t":"subscribe","id":1})"),
              Refused(errc::missing_field, "unit"));
  EXPECT_THAT(decode_client_json(R"({"t":"subscribe","id":1,"unit":"411502"})"),
              Refused(errc::wrong_type, "unit"));
  EXPECT_THAT(decode_client_json(R"({"t":"subscribe","id":1,"unit":null})"),
              Refused(errc::wrong_type, "unit"));
  EXPECT_THAT(
      decode_client_json(R"({"t":"case.act","id":1,"case":5,"action":"rate","unit":9,"score":9})"),
      Refused(errc::out_of_range, "score"));
  EXPECT_THAT(decode_client_json(R"({"t":"fly","id":1})"), Refused(errc::unknown_type, "t"));
  // the refusals protocol/README.md lists under "Which error each refusal gets"
  EXPECT_THAT(decode_client_json(R"({"id":1,"unit":1})"), Refused(errc::missing_field, "t"));
  EXPECT_THAT(decode_client_json(R"({"t":7,"id":1,"unit":1})"), Refused(errc::wrong_type, "t"));
  EXPECT_THAT(decode_client_json(
                  R"({"t":"case.report","id":1,"unit":1,"category":"c","title":"x","lat":32.1})"),
              Refused(errc::missing_field, "lon"));
  EXPECT_THAT(decode_client_json(
                  R"({"t":"case.report","id":1,"unit":1,"category":"c","title":"x","lon":114.1})"),
              Refused(errc::missing_field, "lat"));
}

TEST(json, the_id_is_reported_whenever_it_was_readable) {
  const auto result = decode_client_json(R"({"t":"case.act","id":42,"case":5,"action":"return"})");
  ASSERT_THAT(result, Refused(errc::missing_field, "note"));
  EXPECT_EQ(std::get<decode_error>(result).id, 42u);
  EXPECT_EQ(std::get<decode_error>(decode_client_json(R"({"t":"nope","id":43})")).id, 43u);
  EXPECT_EQ(std::get<decode_error>(decode_client_json(R"({"t":"nope","id":43)")).id, 0u);
  // bytes after the message: the message was read, so its id is answered (as in MessagePack)
  const auto trailing = decode_client_json(R"({"t":"unsubscribe","id":44,"unit":1} {})");
  ASSERT_THAT(trailing, Refused(errc::malformed, ""));
  EXPECT_EQ(std::get<decode_error>(trailing).id, 44u);
  // a container over its limit: the frame's id when the rest of it can be read
  std::string many = "[1";
  for (int i = 0; i < 5000; ++i)
    many += ",1";
  std::string wide = R"({"t":"case.report")";
  for (int i = 0; i < 38; ++i)
    wide += ",\"k" + std::to_string(i) + "\":1";
  for (const std::string& text :
       {report_titled('"' + std::string(limits::text_bytes + 1, 'x') + '"'),
        report_titled(many + "]"), report_titled(std::string(20, '[') + std::string(20, ']')),
        report_titled(R"([[[[[[[[[["]]]\"",{"a":[]}]]]]]]]]]])"), wide + R"(,"id":7})"}) {
    SCOPED_TRACE(text.substr(0, 80));
    const auto result = decode_client_json(text);
    ASSERT_THAT(result, Refused(errc::too_large, ""));
    EXPECT_EQ(std::get<decode_error>(result).id, 7u);
  }
  const auto cut = decode_client_json(report_titled(std::string(20, '[')));
  ASSERT_THAT(cut, Refused(errc::too_large, ""));
  EXPECT_EQ(std::get<decode_error>(cut).id, 0u);
}

TEST(json, the_output_is_compact_and_in_key_order) {
  EXPECT_EQ(to_json(client_message{1, subscribe{411502}}),
            R"({"t":"subscribe","id":1,"unit":411502})");
  // since=0 is sent: it asks for a replay from the first event, its absence for none.
  EXPECT_EQ(to_json(client_message{1, subscribe{411502, 0}}),
            R"({"t":"subscribe","id":1,"unit":411502,"since":0})");
  EXPECT_EQ(to_json(server_message{gap{411502, 0, 7}}),
            R"({"t":"gap","unit":411502,"since":0,"next":7})");
}

} // namespace
} // namespace hub::protocol
