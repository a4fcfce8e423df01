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

/// True when `who` may watch the subtree of `topic`: their own unit's subtree; a centre's
/// operators their centre's parent's (the county, or the city); the hotline the whole city.
/// False for a unit the hierarchy does not have. The table in protocol/README.md, "subscribe";
/// queries follow it too.
inline bool may_watch(const protocol::hierarchy& h, const principal& who,
                      protocol::unit_code topic) {
  if (h.find_unit(topic) == nullptr)
    return false;
  auto* own = h.find_unit(who.unit);
  if (own == nullptr)
    return false;
  if (who.holds == protocol::post::hotline_operator)
    return true;
  auto root = own->kind == protocol::unit_kind::centre ? own->parent : own->code;
  return h.within(topic, root);
}

/// The hub's own principal, for actions its clock takes (reminders, supervision).
inline constexpr principal system_principal{};

} // namespace hub::actors
