#pragma once

// The encoder's half of the field machinery: map_writer packs one MessagePack map whose
// entries are chosen while writing (fields equal to their default are left out).
// MessagePack puts the entry count before the entries, so the entries go to a side buffer and
// are counted; finish() then writes the header and copies them. Frames are small, so the copy
// is cheap, and the output stays in MessagePack's shortest form.

#include "protocol/frame.hpp"
#include "protocol/types.hpp"

#include <msgpack.hpp>

#include <array>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace hub::protocol::detail {

/// The bytes write_json_string (json.hpp) appends for `s`, counted without writing them
/// (json.cpp, beside it).
std::size_t json_string_size(std::string_view s);

using packer = msgpack::packer<msgpack::sbuffer>;

class map_writer {
public:
  map_writer() = default;
  map_writer(const map_writer&) = delete; // pk_ points into buf_
  map_writer& operator=(const map_writer&) = delete;

  /// Unsigned integers of every width go out in MessagePack's smallest unsigned form.
  template <std::unsigned_integral T>
  void put(std::string_view key, T value) {
    key_(key);
    pk_.pack(static_cast<std::uint64_t>(value));
  }
  /// Timestamps (and any signed value): the smallest form, unsigned when ≥ 0.
  void put(std::string_view key, std::int64_t value) {
    key_(key);
    pk_.pack(value);
  }
  /// Float64, so no precision is lost on coordinates; but msgpack-cxx 4 packs an integral
  /// double as an integer (32.0 goes out as 32), which is why readers of numbers accept both.
  void put(std::string_view key, double value) {
    key_(key);
    pk_.pack_double(value);
  }
  void put(std::string_view key, std::string_view value) {
    key_(key);
    str_(value);
  }
  /// Enumerations travel as their wire names (types.hpp).
  template <class Enum>
  requires std::is_enum_v<Enum>
  void put(std::string_view key, Enum value) { put(key, to_string(value)); }
  void put(std::string_view key, const std::vector<std::uint64_t>& values) {
    key_(key);
    pk_.pack_array(static_cast<std::uint32_t>(values.size()));
    for (std::uint64_t v : values)
      pk_.pack(v);
  }
  template <std::size_t N>
  void put(std::string_view key, const std::array<std::uint32_t, N>& values) {
    key_(key);
    pk_.pack_array(static_cast<std::uint32_t>(N));
    for (std::uint32_t v : values)
      pk_.pack(static_cast<std::uint64_t>(v));
  }
  /// A nested map, finished here.
  void put(std::string_view key, map_writer& inner) {
    key_(key);
    inner.finish(buf_);
  }

  /// An array of `n` maps, the i-th written by `each(i, writer)`.
  template <class Each>
  void put_maps(std::string_view key, std::size_t n, Each each) {
    key_(key);
    pk_.pack_array(static_cast<std::uint32_t>(n));
    for (std::size_t i = 0; i < n; ++i) {
      map_writer inner;
      each(i, inner);
      inner.finish(buf_);
    }
  }

  /// Appends the map (header, then entries) to `out`. Call once.
  void finish(msgpack::sbuffer& out) const {
    char head[5];
    out.write(head, map_header(head));
    out.write(buf_.data(), buf_.size());
  }

  /// The map alone: its header, then its entries. Call once.
  std::string finish() const { return with_prefix({}); }

  /// The map as the payload of a whole binary WebSocket frame (frame.hpp): the frame's
  /// header, then the map, in one string. Call once.
  std::string finish_frame() const {
    char head[5];
    char frame_head[10];
    const auto n = map_header(head);
    const auto f = frame_header(false, n + buf_.size(), frame_head);
    return with_prefix({frame_head, f});
  }

private:
  /// The map's header (MessagePack's map format for count_ entries) into `out`; its length.
  std::size_t map_header(char (&out)[5]) const {
    if (count_ < 16) {
      out[0] = static_cast<char>(0x80 | count_);
      return 1;
    }
    const bool small = count_ <= 0xffff;
    out[0] = static_cast<char>(small ? 0xde : 0xdf);
    const std::size_t bytes = small ? 2 : 4;
    for (std::size_t i = 0; i < bytes; ++i)
      out[1 + i] = static_cast<char>(count_ >> (8 * (bytes - 1 - i)));
    return 1 + bytes;
  }
  /// `prefix`, the map's header and its entries, in one allocation.
  std::string with_prefix(std::string_view prefix) const {
    char head[5];
    const auto n = map_header(head);
    std::string out;
    out.reserve(prefix.size() + n + buf_.size());
    out.append(prefix);
    out.append(head, n);
    out.append(buf_.data(), buf_.size());
    return out;
  }

  void key_(std::string_view key) {
    ++count_;
    str_(key);
  }
  void str_(std::string_view s) {
    pk_.pack_str(static_cast<std::uint32_t>(s.size()));
    pk_.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
  }

  msgpack::sbuffer buf_{256};
  packer pk_{buf_};
  std::uint32_t count_ = 0;
};

/// What map_writer would write, counted instead of written: the MessagePack form's bytes and
/// those of the JSON text the JSON writer renders from it (protocol/json.hpp), so a result
/// can be checked against limits::result_bytes without being encoded. The same fields<>
/// writers drive it, so the keys and the choice of fields are the encoder's. Exact, but for
/// floats, counted at their longest (9 bytes; 24 characters, std::to_chars' longest double).
class size_writer {
public:
  template <std::unsigned_integral T>
  void put(std::string_view key, T value) {
    key_(key);
    unsigned_(value);
  }
  void put(std::string_view key, std::int64_t value) {
    key_(key);
    if (value >= 0)
      return unsigned_(static_cast<std::uint64_t>(value));
    // msgpack-cxx: negative fixint from -32, then int8, int16, int32, int64.
    msgpack_ += value >= -32         ? 1
                : value >= INT8_MIN  ? 2
                : value >= INT16_MIN ? 3
                : value >= INT32_MIN ? 5
                                     : 9;
    json_ += 1 + digits(0 - static_cast<std::uint64_t>(value));
  }
  void put(std::string_view key, double) {
    key_(key);
    msgpack_ += 9;
    json_ += 24;
  }
  void put(std::string_view key, std::string_view value) {
    key_(key);
    str_(value);
  }
  template <class Enum>
  requires std::is_enum_v<Enum>
  void put(std::string_view key, Enum value) { put(key, to_string(value)); }
  void put(std::string_view key, const std::vector<std::uint64_t>& values) {
    key_(key);
    array_(values.size());
    for (std::uint64_t v : values)
      unsigned_(v);
  }
  template <std::size_t N>
  void put(std::string_view key, const std::array<std::uint32_t, N>& values) {
    key_(key);
    array_(N);
    for (std::uint32_t v : values)
      unsigned_(v);
  }
  void put(std::string_view key, size_writer& inner) {
    key_(key);
    add_(inner);
  }
  template <class Each>
  void put_maps(std::string_view key, std::size_t n, Each each) {
    key_(key);
    array_(n);
    for (std::size_t i = 0; i < n; ++i) {
      size_writer inner;
      each(i, inner);
      add_(inner);
    }
  }

  /// The map's size as MessagePack, and as the JSON text rendered from it.
  std::size_t msgpack() const { return header(count_) + msgpack_; }
  std::size_t json() const { return 2 + json_ + (count_ > 0 ? count_ - 1 : 0); } // {}, commas

private:
  /// A map's or an array's header: fix (up to 15 entries), 16-bit or 32-bit count.
  static std::size_t header(std::size_t n) { return n < 16 ? 1 : n < 65536 ? 3 : 5; }
  static std::size_t digits(std::uint64_t v) {
    std::size_t n = 1;
    for (; v >= 10; v /= 10)
      ++n;
    return n;
  }
  void key_(std::string_view key) {
    ++count_;
    str_(key);
    json_ += 1; // ':'
  }
  void str_(std::string_view s) {
    const auto n = s.size();
    msgpack_ += (n < 32 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : 5) + n;
    json_ += json_string_size(s);
  }
  void unsigned_(std::uint64_t v) {
    msgpack_ += v < 128 ? 1 : v < 256 ? 2 : v < 65536 ? 3 : v <= UINT32_MAX ? 5 : 9;
    json_ += digits(v);
  }
  void array_(std::size_t n) {
    msgpack_ += header(n);
    json_ += 2 + (n > 0 ? n - 1 : 0); // [], commas
  }
  void add_(const size_writer& inner) {
    msgpack_ += inner.msgpack();
    json_ += inner.json();
  }

  std::size_t msgpack_ = 0, json_ = 0; // the entries'
  std::uint32_t count_ = 0;
};

} // namespace hub::protocol::detail
