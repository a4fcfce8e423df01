#include "protocol/codec.hpp"
#include "protocol/json.hpp"
#include "protocol/size_bound.hpp"

#include "decode_checks.hpp"
#include "samples.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <msgpack.hpp>

#include <limits>
#include <map>
#include <random>

namespace hub::protocol {
namespace {

using packer = msgpack::packer<msgpack::sbuffer>;

// -- helpers ------------------------------------------------------------------------------------

using checks::accepted;
using checks::Refused;

template <class Message>
decode_error error_of(const decoded<Message>& result) {
  if (const decode_error* e = std::get_if<decode_error>(&result))
    return *e;
  ADD_FAILURE() << "accepted";
  return {};
}

/// A frame written by hand, for shapes the encoder never makes.
template <class F>
std::string packed(F&& write) {
  msgpack::sbuffer buf;
  packer pk(buf);
  write(pk);
  return {buf.data(), buf.size()};
}

enum class edit { set, remove, add }; // add appends even when the key is there: duplicates

/// Re-packs the map `obj` with the key at dotted `path` set, removed or added.
void repack(packer& pk, const msgpack::object& obj, std::string_view path, edit op,
            const msgpack::object* value) {
  const std::size_t dot = path.find('.');
  const std::string_view head = path.substr(0, dot);
  const std::string_view tail = dot == std::string_view::npos ? "" : path.substr(dot + 1);
  auto key_of = [](const msgpack::object_kv& kv) {
    return std::string_view(kv.key.via.str.ptr, kv.key.via.str.size);
  };
  bool found = false;
  for (std::uint32_t i = 0; i < obj.via.map.size; ++i)
    found = found || key_of(obj.via.map.ptr[i]) == head;
  std::uint32_t size = obj.via.map.size;
  if (tail.empty() && op == edit::remove && found)
    --size;
  if (tail.empty() && (op == edit::add || (op == edit::set && !found)))
    ++size;
  pk.pack_map(size);
  for (std::uint32_t i = 0; i < obj.via.map.size; ++i) {
    const msgpack::object_kv& kv = obj.via.map.ptr[i];
    if (key_of(kv) != head) {
      pk.pack(kv.key);
      pk.pack(kv.val);
    } else if (!tail.empty()) {
      pk.pack(kv.key);
      repack(pk, kv.val, tail, op, value);
    } else if (op != edit::remove) {
      pk.pack(kv.key);
      pk.pack(op == edit::set ? *value : kv.val);
    }
  }
  if (tail.empty() && (op == edit::add || (op == edit::set && !found))) {
    pk.pack(std::string(head));
    pk.pack(*value);
  }
}

std::string edited(const std::string& frame, std::string_view path, edit op,
                   const msgpack::object* value) {
  const msgpack::object_handle handle = msgpack::unpack(frame.data(), frame.size());
  return packed([&](packer& pk) { repack(pk, handle.get(), path, op, value); });
}

/// `frame` with the field at `path` set to `value` (any type msgpack-cxx can pack).
template <class T>
std::string with(const std::string& frame, std::string_view path, const T& value) {
  msgpack::zone zone;
  const msgpack::object v(value, zone);
  return edited(frame, path, edit::set, &v);
}

std::string without(const std::string& frame, std::string_view path) {
  return edited(frame, path, edit::remove, nullptr);
}

template <class T>
std::string with_duplicate(const std::string& frame, std::string_view path, const T& value) {
  msgpack::zone zone;
  const msgpack::object v(value, zone);
  return edited(frame, path, edit::add, &v);
}

/// The keys of the map at the top of `frame`, in order.
std::vector<std::string> keys_of(const std::string& frame) {
  const msgpack::object_handle handle = msgpack::unpack(frame.data(), frame.size());
  std::vector<std::string> keys;
  for (std::uint32_t i = 0; i < handle.get().via.map.size; ++i)
    keys.push_back(handle.get().via.map.ptr[i].key.as<std::string>());
  return keys;
}

client_message message(std::uint64_t id, client_body body) { return {id, std::move(body)}; }

case_report noise_report() {
  case_report r;
  r.unit = 411502001001001, r.category = "enforce.noise", r.title = "noise";
  r.lat = 32.1, r.lon = 114.1;
  return r;
}

const std::string report_frame = encode(message(7, noise_report()));
const std::string act_frame = encode(message(8, samples::act_of(case_action::rate)));
const std::string issue_frame =
    encode(message(9, directive_issue{3, "t", "", 0, samples::target_of(target_kind::subtree)}));

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

// -- limits and ranges --------------------------------------------------------------------------

TEST(codec, strings_and_lists_over_their_limits_are_too_large) {
  EXPECT_THAT(decode_client(with(report_frame, "title", std::string(limits::title_bytes, 'x'))),
              testing::Not(Refused(errc::too_large, "title")));
  EXPECT_THAT(decode_client(with(report_frame, "title", std::string(limits::title_bytes + 1, 'x'))),
              Refused(errc::too_large, "title"));
  EXPECT_THAT(decode_client(with(report_frame, "category", std::string(65, 'x'))),
              Refused(errc::too_large, "category"));
  EXPECT_THAT(decode_client(with(report_frame, "address", std::string(513, 'x'))),
              Refused(errc::too_large, "address"));
  // longer than any field may be: refused by the unpacker, before the field is known
  EXPECT_THAT(
      decode_client(with(report_frame, "description", std::string(limits::text_bytes + 1, 'x'))),
      Refused(errc::too_large, ""));
  const std::string whistle = encode(message(1, samples::act_of(case_action::propose_whistle)));
  EXPECT_THAT(decode_client(with(whistle, "departments", std::vector<int>(17, 1))),
              Refused(errc::too_large, "departments"));
  EXPECT_THAT(decode_client(with(issue_frame, "target.units", std::vector<int>(1025, 1))),
              Refused(errc::too_large, "target.units"));
  directive_issue to_people{0, "t", "", 0, samples::target_of(target_kind::people)};
  to_people.target.people.assign(limits::target_people, 7);
  EXPECT_EQ(accepted(decode_client(encode(message(1, to_people)))).body, client_body(to_people));
  to_people.target.people.push_back(7);
  EXPECT_THAT(decode_client(encode(message(1, to_people))), Refused(errc::too_large, ""));
}

TEST(codec, values_out_of_range_are_refused_with_a_readable_message) {
  const auto e = error_of(decode_client(with(act_frame, "score", 9)));
  EXPECT_EQ(e.code, errc::out_of_range);
  EXPECT_EQ(e.field, "score");
  EXPECT_EQ(e.message, "field 'score': must be 1..5, got 9");
  EXPECT_THAT(decode_client(with(act_frame, "score", 0)), Refused(errc::out_of_range, "score"));
  EXPECT_THAT(decode_client(with(act_frame, "score", 6)), Refused(errc::out_of_range, "score"));
  EXPECT_THAT(decode_client(with(act_frame, "score", 300)), Refused(errc::out_of_range, "score"));
  EXPECT_THAT(decode_client(with(act_frame, "action", "fly")),
              Refused(errc::out_of_range, "action"));
  EXPECT_THAT(decode_client(with(report_frame, "urgency", "very")),
              Refused(errc::out_of_range, "urgency"));
  EXPECT_THAT(decode_client(with(report_frame, "unit", 0)), Refused(errc::out_of_range, "unit"));
  EXPECT_THAT(decode_client(with(report_frame, "lat", 90.0001)),
              Refused(errc::out_of_range, "lat"));
  EXPECT_THAT(decode_client(with(report_frame, "lon", -181)), Refused(errc::out_of_range, "lon"));
  EXPECT_THAT(decode_client(with(issue_frame, "channel", 14)),
              Refused(errc::out_of_range, "channel"));
  EXPECT_THAT(decode_client(with(issue_frame, "deadline", -1)),
              Refused(errc::out_of_range, "deadline"));
  EXPECT_THAT(decode_client(with(issue_frame, "target.kind", "everyone")),
              Refused(errc::out_of_range, "target.kind"));
  EXPECT_THAT(decode_client(with(issue_frame, "target.units", std::vector<int>{1, 0})),
              Refused(errc::out_of_range, "target.units[1]"));
  const auto module_frame =
      encode(message(1, directive_issue{0, "t", "", 0, samples::target_of(target_kind::module)}));
  EXPECT_THAT(decode_client(with(module_frame, "target.module", 10)),
              Refused(errc::out_of_range, "target.module"));
  const auto post_frame =
      encode(message(1, directive_issue{0, "t", "", 0, samples::target_of(target_kind::post)}));
  EXPECT_THAT(decode_client(with(post_frame, "target.post", "mayor")),
              Refused(errc::out_of_range, "target.post"));
}

// -- required fields ----------------------------------------------------------------------------

TEST(codec, every_required_field_of_every_client_message_is_checked) {
  const std::string act_minimal = encode(message(1, samples::act_of(case_action::sign)));
  const std::string directive_act_frame =
      encode(message(1, directive_act{5, directive_action::sign, ""}));
  const std::string subscribe_frame = encode(message(1, subscribe{411502}));
  const std::string unsubscribe_frame = encode(message(1, unsubscribe{411502}));
  const std::vector<std::pair<std::string, std::string>> cases{
      {report_frame, "unit"},
      {report_frame, "category"},
      {report_frame, "title"},
      {act_minimal, "case"},
      {act_minimal, "action"},
      {issue_frame, "channel"},
      {issue_frame, "title"},
      {issue_frame, "target"},
      {issue_frame, "target.kind"},
      {issue_frame, "target.units"},
      {directive_act_frame, "directive"},
      {directive_act_frame, "action"},
      {subscribe_frame, "unit"},
      {unsubscribe_frame, "unit"},
      {report_frame, "lon"} /* lat alone is no location */};
  for (const auto& [frame, field] : cases) {
    SCOPED_TRACE(field);
    EXPECT_THAT(decode_client(without(frame, field)), Refused(errc::missing_field, field));
  }
}

TEST(codec, a_required_text_or_list_must_not_be_empty) {
  EXPECT_THAT(decode_client(with(report_frame, "title", "")),
              Refused(errc::missing_field, "title"));
  EXPECT_THAT(decode_client(with(report_frame, "category", "")),
              Refused(errc::missing_field, "category"));
  EXPECT_THAT(decode_client(with(issue_frame, "target.units", std::vector<int>{})),
              Refused(errc::missing_field, "target.units"));
  // optional texts may be empty
  EXPECT_THAT(decode_client(with(report_frame, "address", "")),
              testing::Not(Refused(errc::missing_field, "address")));
}

TEST(codec, each_case_action_requires_its_fields) {
  const std::vector<std::pair<case_action, std::string>> needs{
      {case_action::dispatch, "unit"},
      {case_action::propose_whistle, "departments"},
      {case_action::rate, "unit"},
      {case_action::rate, "score"},
      {case_action::mark_duplicate, "duplicate_of"},
      {case_action::decline_whistle, "note"},
      {case_action::reopen, "note"},
      {case_action::return_case, "note"},
      {case_action::reject, "note"}};
  for (const auto& [action, field] : needs) {
    SCOPED_TRACE(std::string(to_string(action)) + " " + field);
    const std::string frame = encode(message(1, samples::act_of(action)));
    const auto e = error_of(decode_client(without(frame, field)));
    EXPECT_EQ(e.code, errc::missing_field);
    EXPECT_EQ(e.field, field);
    EXPECT_EQ(e.message, "field '" + field + "' is required for action '" +
                             std::string(to_string(action)) + "'");
  }
  const std::string whistle = encode(message(1, samples::act_of(case_action::propose_whistle)));
  EXPECT_THAT(decode_client(with(whistle, "departments", std::vector<int>{})),
              Refused(errc::missing_field, "departments"));
  const std::string ret = encode(message(1, samples::act_of(case_action::return_case)));
  EXPECT_THAT(decode_client(with(ret, "note", "")), Refused(errc::missing_field, "note"));
}

TEST(codec, a_field_the_action_does_not_use_is_refused) {
  const std::string sign = encode(message(1, samples::act_of(case_action::sign)));
  EXPECT_THAT(decode_client(with(sign, "score", 5)), Refused(errc::unknown_field, "score"));
  EXPECT_THAT(decode_client(with(sign, "unit", 411502)), Refused(errc::unknown_field, "unit"));
  EXPECT_THAT(decode_client(with(act_frame, "departments", std::vector<int>{1})),
              Refused(errc::unknown_field, "departments"));
  EXPECT_THAT(decode_client(with(sign, "note", "any action may say something")),
              testing::Not(Refused(errc::unknown_field, "note")));
  const auto people =
      encode(message(1, directive_issue{0, "t", "", 0, samples::target_of(target_kind::people)}));
  EXPECT_THAT(decode_client(with(people, "target.units", std::vector<int>{1})),
              Refused(errc::unknown_field, "target.units"));
  EXPECT_THAT(decode_client(with(issue_frame, "target.level", "grid")),
              Refused(errc::unknown_field, "target.level"));
}

TEST(codec, a_query_takes_only_the_fields_of_its_what) {
  query inbox;
  inbox.what = query_kind::directives, inbox.unit = 411502001001;
  const std::string directives = encode(message(1, inbox));
  EXPECT_THAT(decode_client(with(directives, "status", "all")),
              Refused(errc::unknown_field, "status"));
  EXPECT_THAT(decode_client(with(directives, "directive", 5)),
              Refused(errc::unknown_field, "directive"));
  EXPECT_THAT(decode_client(with(directives, "box", "outbox")), Refused(errc::out_of_range, "box"));
  EXPECT_THAT(decode_client(without(directives, "unit")), Refused(errc::missing_field, "unit"));
  query list;
  list.what = query_kind::cases, list.unit = 411502;
  EXPECT_THAT(decode_client(with(encode(message(1, list)), "box", "issued")),
              Refused(errc::unknown_field, "box"));
  result box;
  box.id = 1, box.what = query_kind::directives;
  EXPECT_THAT(decode_server(with(encode(server_message{box}), "cases", std::vector<int>{})),
              Refused(errc::unknown_field, "cases"));
}

// figures and ranking: a period, and from/to only with the period `days` (both, in order);
// `level` and `by` only with ranking; no case filters.
TEST(codec, figures_and_ranking_take_a_period_and_their_own_fields) {
  query f;
  f.what = query_kind::figures, f.unit = 411502;
  const std::string figures = encode(message(1, f));
  EXPECT_THAT(decode_client(with(figures, "by", "rating")), Refused(errc::unknown_field, "by"));
  EXPECT_THAT(decode_client(with(figures, "level", "township")),
              Refused(errc::unknown_field, "level"));
  EXPECT_THAT(decode_client(with(figures, "status", "all")),
              Refused(errc::unknown_field, "status"));
  EXPECT_THAT(decode_client(with(figures, "period", "year")),
              Refused(errc::out_of_range, "period"));
  EXPECT_THAT(decode_client(with(figures, "from", 1)), Refused(errc::unknown_field, "from"));
  const std::string days = with(figures, "period", "days");
  EXPECT_THAT(decode_client(days), Refused(errc::missing_field, "from"));
  EXPECT_THAT(decode_client(with(days, "from", 5)), Refused(errc::missing_field, "to"));
  EXPECT_THAT(decode_client(with(with(days, "from", 5), "to", 4)),
              Refused(errc::out_of_range, "to"));
  auto ok = decode_client(with(with(days, "from", 5), "to", 5));
  ASSERT_TRUE(std::holds_alternative<client_message>(ok));
  const auto& q = std::get<query>(std::get<client_message>(ok).body);
  EXPECT_EQ(q.period, figure_period::days);
  EXPECT_EQ(q.from, 5);
  query r;
  r.what = query_kind::ranking, r.unit = 411502;
  const std::string ranking = encode(message(1, r));
  EXPECT_THAT(decode_client(with(ranking, "by", "speed")), Refused(errc::out_of_range, "by"));
  EXPECT_THAT(decode_client(with(ranking, "hotline", 1)), Refused(errc::unknown_field, "hotline"));
  EXPECT_THAT(decode_client(without(ranking, "unit")), Refused(errc::missing_field, "unit"));
  query list;
  list.what = query_kind::cases, list.unit = 411502;
  EXPECT_THAT(decode_client(with(encode(message(1, list)), "period", "week")),
              Refused(errc::unknown_field, "period"));
  result fig;
  fig.id = 1, fig.what = query_kind::figures, fig.figures.unit.unit = 411502;
  EXPECT_THAT(decode_server(with(encode(server_message{fig}), "ranking", std::vector<int>{})),
              Refused(errc::unknown_field, "ranking"));
  EXPECT_THAT(decode_server(without(encode(server_message{fig}), "figures")),
              Refused(errc::missing_field, "figures"));
}

TEST(codec, actions_with_their_own_message_are_refused_in_act) {
  EXPECT_THAT(decode_client(with(act_frame, "action", "report")),
              Refused(errc::out_of_range, "action"));
  const std::string frame = encode(message(1, directive_act{5, directive_action::sign, ""}));
  EXPECT_THAT(decode_client(with(frame, "action", "issue")), Refused(errc::out_of_range, "action"));
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
