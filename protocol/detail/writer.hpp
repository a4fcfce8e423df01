#pragma once

// The encoder's half of the field machinery: map_writer packs one MessagePack map whose
// entries are chosen while writing (fields equal to their default are left out).
// MessagePack puts the entry count before the entries, so the entries go to a side buffer and
// are counted; finish() then writes the header and copies them. Frames are small, so the copy
// is cheap, and the output stays in MessagePack's shortest form.

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
    packer(out).pack_map(count_);
    out.write(buf_.data(), buf_.size());
  }

  /// The map as a whole frame. Call once.
  std::string finish() const {
    msgpack::sbuffer head(8);
    packer(head).pack_map(count_);
    std::string frame;
    frame.reserve(head.size() + buf_.size());
    frame.append(head.data(), head.size());
    frame.append(buf_.data(), buf_.size());
    return frame;
  }

private:
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

} // namespace hub::protocol::detail
