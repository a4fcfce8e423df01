#pragma once

// The validator behind both decoders. A map_reader walks one MessagePack map (unpacked from a
// binary frame, or built from JSON text by json.cpp) and fills message fields, checking every
// key, type, range and limit on the way.
//
// Errors are values, not exceptions: the first failure is recorded in a read_state shared by
// all readers of one message, and every later read is a no-op. Message readers are therefore
// straight-line code ("read this, read that") that looks at ok() once at the end. Nothing
// here throws, except std::bad_alloc from std::string; the codec's entry points catch that.

#include "protocol/codec.hpp"

#include <msgpack.hpp>

#include <array>
#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace hub::protocol::detail {

// -- container limits -------------------------------------------------------------------------

// Applied while unpacking MessagePack (msgpack::unpack_limit) and while parsing JSON, before
// the reader runs. They are safety nets set at or above what any valid message needs, so
// that an over-long field is normally reported by the reader, with its path; they exist
// because the unpacker allocates an array's or map's slots before reading its elements.
constexpr std::size_t max_array = limits::target_people; // the longest list of any message
constexpr std::size_t max_map = 32;                      // a message has at most 17 keys
constexpr std::size_t max_depth = 8;                     // messages nest 3 deep
constexpr std::size_t max_string = limits::text_bytes;   // the longest text of any message

// -- helpers for error messages ---------------------------------------------------------------

/// True when `bytes` is well-formed UTF-8 (no overlong forms, no surrogates, ≤ U+10FFFF).
bool valid_utf8(std::string_view bytes);

/// Untrusted bytes made safe to quote in an error message: at most 40 bytes, control
/// characters and invalid UTF-8 shown as \xNN, "..." when cut.
std::string printable(std::string_view bytes);

/// "a string", "an unsigned integer", "a map", ... for "expected X, got Y" messages.
std::string_view type_name(const msgpack::object& obj);

// -- the shared state of one decode -----------------------------------------------------------

enum class presence : bool { optional, required };

struct read_state {
  bool failed = false;
  decode_error error; // meaningful once failed

  /// Records a failure unless one is recorded already: the first failure is the one reported.
  void fail(errc code, std::string field, std::string message);
};

// -- the message header -----------------------------------------------------------------------

/// What the reader can tell about a message before validating it.
struct header {
  std::size_t type = 0; // index into the type table, valid when the state has not failed
  std::uint64_t id = 0; // the "id" field when it is a readable unsigned integer, else 0
};

/// The "id" field of the map `obj` when it is an unsigned integer (the first one, should there
/// be two), else 0. Lenient on purpose: it lets an error about anything else still be answered
/// with the client's message id.
std::uint64_t recover_id(const msgpack::object& obj);

/// Checks that `obj` is a map with a known "t" and recovers "id" leniently, so that an error
/// about any other field can still be answered with the client's message id.
/// Fails with not_a_map, missing_field, wrong_type or unknown_type.
header read_header(read_state& state, const msgpack::object& obj,
                   std::span<const std::string_view> type_names);

// -- map_reader -------------------------------------------------------------------------------

class map_reader {
public:
  using key_table = std::span<const std::string_view>;

  /// Binds to the map `obj` found at `path` ("" for the message itself, "target" for a nested
  /// map); `what` names it in messages ("case.report", "target"). Fails with wrong_type when
  /// `obj` is not a map or has a key that is not a string, unknown_field for a key outside
  /// `keys`, and malformed for a key that appears twice. At most 32 keys per table.
  map_reader(read_state& state, const msgpack::object& obj, std::string path, std::string_view what,
             key_table keys);

  /// True while nothing has failed (in this reader or any other sharing its state).
  bool ok() const { return !state_.failed; }

  /// The value at `key`, or nullptr when absent. `key` must be in the key table.
  const msgpack::object* find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }

  /// The value at `key`; fails with missing_field when it is required and absent.
  const msgpack::object* get(std::string_view key, presence p);

  /// The map at `key`, read with its own key table (see the constructor); nullopt when it is
  /// absent or something failed before. Failures inside it are reported with their full path.
  std::optional<map_reader> nested(std::string_view key, presence p, std::string_view what,
                                   key_table keys);

  /// "target.units" for key "units" of the map at "target".
  std::string path_of(std::string_view key) const;

  /// Records a failure about `key` (see read_state::fail).
  void fail(errc code, std::string_view key, std::string message);

  /// Per-variant field rules (the case.act actions, the directive target kinds): bit i of
  /// `required` / `allowed` stands for `keys[i]`. A required key that is absent fails with
  /// missing_field, a present key that is not allowed with unknown_field; `context` ends the
  /// message ("for action 'rate'").
  void check_rule(std::span<const std::string_view> keys, unsigned required, unsigned allowed,
                  std::string_view context);

  // -- typed reads --
  // Each leaves `out` unchanged when the key is absent and optional. A required text or list
  // must also be non-empty (missing_field otherwise): an empty title means no title.

  /// An unsigned integer in [min, max]: wrong_type for a negative, float or non-number,
  /// out_of_range outside the bounds.
  template <std::unsigned_integral T>
  void read_uint(std::string_view key, T& out, presence p, std::uint64_t min = 0,
                 std::uint64_t max = std::numeric_limits<T>::max()) {
    std::uint64_t value = 0;
    if (read_unsigned(key, p, min, max, value))
      out = static_cast<T>(value);
  }

  /// A timestamp: an integer ≥ 0 (milliseconds since the epoch).
  void read_timestamp(std::string_view key, timestamp_ms& out, presence p);

  /// A UTF-8 string of at most `max_bytes` bytes: too_large over the limit, wrong_type when
  /// not a string or not valid UTF-8.
  void read_text(std::string_view key, std::string& out, presence p, std::size_t max_bytes);

  /// An enumeration value as its wire name (types.hpp); out_of_range for an unknown name.
  template <class Enum>
  requires std::is_enum_v<Enum>
  void read_enum(std::string_view key, Enum& out, presence p) {
    std::string_view name;
    if (!read_string(key, p, max_string, name))
      return;
    if (auto value = parse<Enum>(name))
      out = *value;
    else
      fail(errc::out_of_range, key, "unknown value '" + printable(name) + "'");
  }

  /// A coordinate: any finite number (integer or float) with |value| ≤ bound. wrong_type for a
  /// non-number or a non-finite float, out_of_range beyond the bound.
  void read_coordinate(std::string_view key, double& out, presence p, double bound);

  /// A list of at most `max_count` ids (unit codes, person ids), each ≥ 1.
  void read_ids(std::string_view key, std::vector<std::uint64_t>& out, presence p,
                std::size_t max_count);

  /// A list of exactly N unsigned 32-bit counts.
  template <std::size_t N>
  void read_counts(std::string_view key, std::array<std::uint32_t, N>& out, presence p) {
    read_count_list(key, p, std::span<std::uint32_t>(out));
  }

  /// A list of at most `max_count` maps, each read by `each(reader)` with its own key table
  /// (`what` names it in messages); entry i is reported as `key[i].field`.
  template <class Each>
  void read_maps(std::string_view key, presence p, std::size_t max_count, std::string_view what,
                 key_table keys, Each each) {
    const msgpack::object_array* list = read_array(key, p, max_count);
    for (std::uint32_t i = 0; list != nullptr && i < list->size && ok(); ++i) {
      map_reader entry(state_, list->ptr[i], path_of(key) + "[" + std::to_string(i) + "]", what,
                       keys);
      if (entry.ok())
        each(entry);
    }
  }

private:
  /// The array at `key` with at most `max_count` entries, or null (absent, or failed).
  const msgpack::object_array* read_array(std::string_view key, presence p, std::size_t max_count);
  bool read_unsigned(std::string_view key, presence p, std::uint64_t min, std::uint64_t max,
                     std::uint64_t& out);
  bool read_string(std::string_view key, presence p, std::size_t max_bytes, std::string_view& out);
  void read_count_list(std::string_view key, presence p, std::span<std::uint32_t> out);
  /// The slot of `key` in the key table; asserts that it is there.
  std::size_t slot_of(std::string_view key) const;

  read_state& state_;
  std::string path_;
  key_table keys_;
  std::array<const msgpack::object*, max_map> values_{}; // by key table index; null = absent
};

} // namespace hub::protocol::detail
