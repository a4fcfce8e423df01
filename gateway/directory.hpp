#pragma once

// GET /api/hierarchy: what the browser pages draw and choose from, for one authenticated
// person. The part of the hierarchy they may watch (the subscribe table of protocol/README.md:
// their unit's subtree; a centre's operators their county's or the city's; the hotline the
// city), with names and coordinates, and the lists a console picks from: modules, channels,
// categories, and the departments of the person's county (a township names them in a whistle).
// The JSON shape is specified in gateway/README.md, "GET /api/hierarchy".

#include "actors/principal.hpp"
#include "protocol/hierarchy.hpp"

#include <string>

namespace hub::gateway {

/// The unit whose subtree `who` may watch (the root of what /api/hierarchy returns), or 0
/// when the person's unit is unknown.
protocol::unit_code watch_root(const protocol::hierarchy& h, const actors::principal& who);

/// The body of GET /api/hierarchy for `who` (compact JSON, UTF-8).
std::string directory_json(const protocol::hierarchy& h, const actors::principal& who);

} // namespace hub::gateway
