#pragma once

// Who is acting: a person of the hierarchy, as the gateway authenticated them, or the hub's
// own clock. Every command to a unit actor carries one; every rule checks it.

#include "protocol/hierarchy.hpp"

namespace hub::actors {

struct principal {
  protocol::person_id id = 0; // 0: the hub itself (timers)
  protocol::post holds = protocol::post::grid_parttime;
  protocol::unit_code unit = 0;
  std::uint8_t module = 0;

  /// The principal of person `p`.
  static principal of(const protocol::person& p) { return {p.id, p.holds, p.unit, p.module}; }
  bool is_system() const { return id == 0; }
};

/// The hub's own principal, for actions its clock takes (reminders, supervision).
inline constexpr principal system_principal{};

} // namespace hub::actors
