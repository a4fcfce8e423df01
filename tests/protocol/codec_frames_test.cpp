// The MessagePack codec refuses, cleanly: frames that are not one map, a bad envelope, fields of
// the wrong type.

#include "protocol/codec.hpp"

#include "frame_edits.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <msgpack.hpp>

#include <limits>
#include <random>

namespace hub::protocol {
namespace {

using namespace frame_edits;
using checks::accepted;
using checks::Refused;

// -- frames that are not one MessagePack map ----------------------------------------------------

TEST(codec, garbage_is_malformed) {
  EXPECT_THAT(decode_client(""), Refused(errc::malformed, ""));
  EXPECT_THAT(decode_client("\xc1"), Refused(errc::malformed, ""));       // never-used byte
  EXPECT_THAT(decode_client("hello, hub"), Refused(errc::malformed, "")); // fixint 'h', then more
  EXPECT_THAT(decode_client("h"), Refused(errc::not_a_map, ""));
  EXPECT_THAT(decode_client(std::string("\x81\xc1\x00", 3)), Refused(errc::malformed, ""));
}

TEST(codec, every_prefix_of_a_valid_frame_is_refused_cleanly) {
  for (const auto& [name, msg] : samples::client_samples()) {
    const std::string frame = encode(msg);
    for (std::size_t n = 0; n < frame.size(); ++n)
      ASSERT_THAT(decode_client(frame.substr(0, n)), Refused(errc::malformed, ""))
          << name << ", " << n << " of " << frame.size() << " bytes";
  }
  for (const auto& [name, msg] : samples::server_samples()) {
    const std::string frame = encode(msg);
    for (std::size_t n = 0; n < frame.size(); ++n)
      ASSERT_THAT(decode_server(frame.substr(0, n)), Refused(errc::malformed, ""))
          << name << ", " << n << " of " << frame.size() << " bytes";
  }
}

TEST(codec, random_and_mutated_frames_never_escape_as_exceptions) {
  std::mt19937 rng(20240611); // seeded: a failure reproduces
  std::vector<std::string> frames;
  for (const auto& s : samples::client_samples())
    frames.push_back(encode(s.msg));
  for (int round = 0; round < 20000; ++round) {
    std::string frame;
    if (round % 2 == 0) { // pure noise
      frame.resize(rng() % 48);
      for (char& c : frame)
        c = static_cast<char>(rng());
    } else { // a valid frame with a few bytes changed
      frame = frames[rng() % frames.size()];
      for (int flips = 1 + rng() % 3; flips > 0; --flips)
        frame[rng() % frame.size()] = static_cast<char>(rng());
    }
    decoded<client_message> result;
    ASSERT_NO_THROW(result = decode_client(frame));
    if (const auto* e = std::get_if<decode_error>(&result)) {
      ASSERT_GE(static_cast<int>(e->code), static_cast<int>(errc::malformed));
      ASSERT_LE(static_cast<int>(e->code), static_cast<int>(errc::unknown_field)) << e->message;
    }
  }
}

TEST(codec, a_frame_over_the_limit_is_too_large) {
  const std::string padded =
      report_frame + std::string(limits::frame_bytes - report_frame.size(), '\xc0');
  EXPECT_THAT(decode_client(padded), Refused(errc::malformed, "")); // at the limit: read, trailing
  EXPECT_THAT(decode_client(padded + '\xc0'), Refused(errc::too_large, ""));
  EXPECT_THAT(decode_server(padded + '\xc0'), Refused(errc::too_large, ""));
}

TEST(codec, a_container_header_claiming_billions_of_entries_is_too_large) {
  EXPECT_THAT(decode_client(std::string("\xdd\xff\xff\xff\xff", 5)), Refused(errc::too_large, ""));
  EXPECT_THAT(decode_client(std::string("\xdf\xff\xff\xff\xff", 5)), Refused(errc::too_large, ""));
  // a string header is harmless: nothing is allocated before its bytes are there
  EXPECT_THAT(decode_client(std::string("\xdb\xff\xff\xff\xff", 5)), Refused(errc::malformed, ""));
}

TEST(codec, the_top_level_must_be_a_map) {
  EXPECT_THAT(decode_client(packed([](packer& pk) { pk.pack_array(0); })),
              Refused(errc::not_a_map, ""));
  EXPECT_THAT(decode_client(packed([](packer& pk) { pk.pack("case.report"); })),
              Refused(errc::not_a_map, ""));
  EXPECT_THAT(decode_client(packed([](packer& pk) { pk.pack_nil(); })),
              Refused(errc::not_a_map, ""));
  EXPECT_THAT(decode_server(packed([](packer& pk) { pk.pack(42); })), Refused(errc::not_a_map, ""));
}

TEST(codec, trailing_bytes_are_malformed_but_the_id_is_recovered) {
  const auto result = decode_client(report_frame + report_frame);
  EXPECT_THAT(result, Refused(errc::malformed, ""));
  EXPECT_EQ(error_of(result).id, 7u);
}

TEST(codec, deep_nesting_is_too_large) {
  const std::string frame = packed([](packer& pk) {
    for (int i = 0; i < 1000; ++i)
      pk.pack_array(1);
    pk.pack_nil();
  });
  EXPECT_THAT(decode_client(frame), Refused(errc::too_large, ""));
  // nesting inside a field, within the depth limit, is a type error at that field
  msgpack::zone zone;
  const msgpack::object nested(std::vector<std::vector<int>>{{1}}, zone);
  EXPECT_THAT(decode_client(with(report_frame, "title", nested)),
              Refused(errc::wrong_type, "title"));
}

// A frame refused for a container limit still names its id when the id can be read, like
// every other refusal (protocol/README.md, "The envelope"); a frame whose id cannot be read
// (here cut short after the oversized value) is answered with id 0.
TEST(codec, a_container_over_its_limit_is_refused_with_the_frames_id) {
  const std::string long_text = with(report_frame, "description", std::string(9000, 'x'));
  const std::string long_array = with(report_frame, "title", std::vector<int>(5000, 1));
  const std::string deep = packed([](packer& pk) {
    pk.pack_map(3);
    pk.pack("t"), pk.pack("case.report");
    pk.pack("title");
    for (int i = 0; i < 12; ++i)
      pk.pack_array(1);
    pk.pack(1);
    pk.pack("id"), pk.pack(7);
  });
  const std::string wide = packed([](packer& pk) {
    pk.pack_map(40);
    pk.pack("t"), pk.pack("case.report");
    for (int i = 0; i < 38; ++i)
      pk.pack("k" + std::to_string(i)), pk.pack(i);
    pk.pack("id"), pk.pack(7); // after the 32nd key: still found
  });
  for (const auto& frame : {long_text, long_array, deep, wide}) {
    EXPECT_THAT(decode_client(frame), Refused(errc::too_large, ""));
    EXPECT_EQ(error_of(decode_client(frame)).id, 7u);
  }
  EXPECT_EQ(error_of(decode_client(long_text.substr(0, long_text.size() - 1))).id, 0u);
}

// -- the envelope -------------------------------------------------------------------------------

TEST(codec, the_type_must_be_known) {
  EXPECT_THAT(decode_client(with(report_frame, "t", "case.delete")),
              Refused(errc::unknown_type, "t"));
  EXPECT_THAT(decode_client(with(report_frame, "t", 1)), Refused(errc::wrong_type, "t"));
  EXPECT_THAT(decode_client(without(report_frame, "t")), Refused(errc::missing_field, "t"));
}

TEST(codec, the_client_id_is_required_and_positive) {
  EXPECT_THAT(decode_client(without(report_frame, "id")), Refused(errc::missing_field, "id"));
  EXPECT_THAT(decode_client(with(report_frame, "id", 0)), Refused(errc::out_of_range, "id"));
  EXPECT_THAT(decode_client(with(report_frame, "id", -7)), Refused(errc::wrong_type, "id"));
  EXPECT_THAT(decode_client(with(report_frame, "id", "7")), Refused(errc::wrong_type, "id"));
}

TEST(codec, the_id_is_reported_whenever_it_was_readable) {
  EXPECT_EQ(error_of(decode_client(with(report_frame, "t", "nope"))).id, 7u);
  EXPECT_EQ(error_of(decode_client(with(report_frame, "titel", "x"))).id, 7u);
  EXPECT_EQ(error_of(decode_client(with(report_frame, "unit", "x"))).id, 7u);
  EXPECT_EQ(error_of(decode_client(with(act_frame, "score", 9))).id, 8u);
  EXPECT_EQ(error_of(decode_client(with(issue_frame, "target.units", std::vector<int>{}))).id, 9u);
  EXPECT_EQ(error_of(decode_client(with(report_frame, "id", "7"))).id, 0u);
  EXPECT_EQ(error_of(decode_client(without(report_frame, "id"))).id, 0u);
  EXPECT_EQ(error_of(decode_server(with(encode(server_message{ack{5, 0, 0, 0}}), "seq", -1))).id,
            5u);
}

TEST(codec, unknown_fields_are_refused_with_their_path) {
  EXPECT_THAT(decode_client(with(report_frame, "titel", "x")),
              Refused(errc::unknown_field, "titel"));
  EXPECT_THAT(decode_client(with(issue_frame, "target.colour", "red")),
              Refused(errc::unknown_field, "target.colour"));
  EXPECT_THAT(decode_server(with(encode(server_message{aggregate{1, 2, {}}}), "figures.x", 1)),
              Refused(errc::unknown_field, "figures.x"));
  // an unknown key is quoted safely, even when it is not UTF-8
  const auto e = error_of(decode_client(with(report_frame, "\xff\x01", 1)));
  EXPECT_EQ(e.code, errc::unknown_field);
  EXPECT_EQ(e.message, "unknown field '\\xff\\x01' in case.report");
  // a nested one is named by its whole path, in the field and in the message
  const auto nested = error_of(decode_client(with(issue_frame, "target.extra", 1)));
  EXPECT_EQ(nested.field, "target.extra");
  EXPECT_EQ(nested.message, "unknown field 'target.extra' in target");
}

TEST(codec, keys_must_be_strings) {
  const std::string frame = packed([](packer& pk) {
    pk.pack_map(4);
    pk.pack("t"), pk.pack("unsubscribe");
    pk.pack("id"), pk.pack(1);
    pk.pack("unit"), pk.pack(2);
    pk.pack(3), pk.pack(4);
  });
  EXPECT_THAT(decode_client(frame), Refused(errc::wrong_type, ""));
}

TEST(codec, duplicate_keys_are_malformed) {
  EXPECT_THAT(decode_client(with_duplicate(report_frame, "title", "again")),
              Refused(errc::malformed, "title"));
  EXPECT_THAT(decode_client(with_duplicate(report_frame, "t", "case.report")),
              Refused(errc::malformed, "t"));
  EXPECT_THAT(decode_client(with_duplicate(issue_frame, "target.kind", "subtree")),
              Refused(errc::malformed, "target.kind"));
}

// -- field types --------------------------------------------------------------------------------

TEST(codec, an_unsigned_field_refuses_every_other_type) {
  msgpack::zone zone;
  const std::vector<msgpack::object> wrong{msgpack::object(-1, zone),
                                           msgpack::object(1.5, zone),
                                           msgpack::object(1.5f, zone),
                                           msgpack::object("1", zone),
                                           msgpack::object(true, zone),
                                           msgpack::object() /* nil */,
                                           msgpack::object(std::vector<int>{1}, zone),
                                           msgpack::object(std::vector<char>{'1'}, zone)};
  for (const auto& value : wrong) {
    SCOPED_TRACE(testing::PrintToString(value.type));
    EXPECT_THAT(decode_client(with(report_frame, "unit", value)),
                Refused(errc::wrong_type, "unit"));
  }
}

TEST(codec, an_integral_float_is_still_a_float) {
  // msgpack-cxx packs an integral double as an integer, so these frames are written by hand
  const std::string head = packed([](packer& pk) {
    pk.pack_map(3);
    pk.pack("t"), pk.pack("unsubscribe");
    pk.pack("id"), pk.pack(1);
    pk.pack("unit");
  });
  EXPECT_THAT(decode_client(head + std::string("\xcb\x3f\xf0\0\0\0\0\0\0", 9)), // 1.0 float64
              Refused(errc::wrong_type, "unit"));
  EXPECT_THAT(decode_client(head + std::string("\xca\x3f\x80\0\0", 5)), // 1.0 float32
              Refused(errc::wrong_type, "unit"));
  EXPECT_EQ(accepted(decode_client(head + '\x01')), (client_message{1, unsubscribe{1}}));
}

TEST(codec, each_kind_of_field_checks_its_type) {
  EXPECT_THAT(decode_client(with(report_frame, "title", 5)), Refused(errc::wrong_type, "title"));
  EXPECT_THAT(decode_client(with(report_frame, "title", std::vector<char>{'a'})), // bin, not str
              Refused(errc::wrong_type, "title"));
  EXPECT_THAT(decode_client(with(report_frame, "urgency", 1)),
              Refused(errc::wrong_type, "urgency"));
  EXPECT_THAT(decode_client(without(report_frame, "lon")), Refused(errc::missing_field, "lon"));
  EXPECT_THAT(decode_client(without(report_frame, "lat")), Refused(errc::missing_field, "lat"));
  EXPECT_THAT(decode_client(with(report_frame, "lat", "32")), Refused(errc::wrong_type, "lat"));
  EXPECT_THAT(decode_client(with(report_frame, "lat", std::numeric_limits<double>::quiet_NaN())),
              Refused(errc::wrong_type, "lat"));
  EXPECT_THAT(decode_client(with(report_frame, "lon", std::numeric_limits<double>::infinity())),
              Refused(errc::wrong_type, "lon"));
  EXPECT_THAT(decode_client(with(act_frame, "score", 4.5)), Refused(errc::wrong_type, "score"));
  const std::string whistle = encode(message(1, samples::act_of(case_action::propose_whistle)));
  EXPECT_THAT(decode_client(with(whistle, "departments", 411502901)),
              Refused(errc::wrong_type, "departments"));
  EXPECT_THAT(decode_client(with(whistle, "departments", std::vector<std::string>{"a"})),
              Refused(errc::wrong_type, "departments[0]"));
  EXPECT_THAT(decode_client(with(issue_frame, "target", std::vector<int>{1})),
              Refused(errc::wrong_type, "target"));
  EXPECT_THAT(decode_client(with(issue_frame, "target.units", std::vector<std::int64_t>{1, -2})),
              Refused(errc::wrong_type, "target.units[1]"));
  EXPECT_THAT(decode_client(with(issue_frame, "deadline", "tomorrow")),
              Refused(errc::wrong_type, "deadline"));
}

TEST(codec, coordinates_accept_integers_and_both_float_widths) {
  auto lat_of = [](const std::string& frame) {
    return std::get<case_report>(accepted(decode_client(frame)).body).lat;
  };
  EXPECT_EQ(lat_of(with(report_frame, "lat", 32)), 32.0);
  EXPECT_EQ(lat_of(with(report_frame, "lat", -32)), -32.0);
  EXPECT_EQ(lat_of(with(report_frame, "lat", 32.5f)), 32.5);
}

TEST(codec, strings_must_be_utf8) {
  for (const std::string bad :
       {"\xff", "\xc0\xaf" /* overlong '/' */, "\xed\xa0\x80" /* surrogate */,
        "\xf4\x90\x80\x80" /* > U+10FFFF */, "ok\xe4\xbd" /* cut */}) {
    EXPECT_THAT(decode_client(with(report_frame, "title", bad)),
                Refused(errc::wrong_type, "title"));
  }
  EXPECT_EQ(
      std::get<case_report>(accepted(decode_client(with(report_frame, "title", "噪音 😀"))).body)
          .title,
      "噪音 😀");
}

} // namespace
} // namespace hub::protocol
