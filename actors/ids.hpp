#pragma once

// Case and directive ids: the index of the unit that made them (in hierarchy::units) in the top
// 24 bits, above that unit's own count of what it made (low 40 bits). So a request finds the
// maker without a look-up, and the maker knows where the case went. Pure arithmetic, no CAF:
// recovery (actors/restore.cpp) and tests use it as the unit actors do.

#include "protocol/types.hpp"

#include <cstdint>

namespace hub::actors {

/// Bits of an id that count what its maker made (the rest is the maker's index).
inline constexpr int id_serial_bits = 40;

/// The id of the `serial`-th case or directive made by the unit at `unit_index`.
constexpr protocol::case_id make_id(std::uint32_t unit_index, std::uint64_t serial) {
  return (static_cast<std::uint64_t>(unit_index) << id_serial_bits) |
         (serial & ((1ull << id_serial_bits) - 1));
}

/// The index of the unit that made `id` (it may name no unit when the id is forged).
constexpr std::uint32_t maker_of(std::uint64_t id) {
  return static_cast<std::uint32_t>(id >> id_serial_bits);
}

/// The maker's count in `id`.
constexpr std::uint64_t serial_of(std::uint64_t id) { return id & ((1ull << id_serial_bits) - 1); }

} // namespace hub::actors
