#pragma once

// The Xinyang generator: a whole city's hierarchy, shaped like the real one (domain brief,
// "Numbers for the simulator"), for tests, load generators and demos.

#include "protocol/hierarchy.hpp"

#include <cstdint>

namespace hub::sim {

/// The default seed; any seed gives a valid city with the same fixed totals.
constexpr std::uint64_t default_seed = 20261125;

/// Generates Xinyang (信阳市, 411500): the ten real counties and districts; 215 townships
/// (45 街道, 86 镇, 84 乡); 3,700 villages and communities (10-25 per township); exactly
/// 18,100 grids with a coordinate each; exactly 88,600 grid staff (every grid has a 网格长,
/// a 专职网格员, a 网格指导员 and at least one 兼职网格员); village cadres (5 per 村, 7 per
/// 社区); township heads, module heads and operators; 23-38 departments per county covering
/// all ten modules; county and city centres with their operators, leaders and 12345
/// operators; the ten modules, fourteen channels and 29 case categories.
///
/// The result depends on `seed` only (its own PRNG, no standard-library distributions), is
/// indexed, and is valid: write_hierarchy then parse_hierarchy gives it back unchanged.
/// Codes follow the national convention (township = county * 1000 + 001-099 street,
/// 100-199 town, 200-399 township; village = township * 1000 + 001-199 community,
/// 200-399 village; grid = village * 1000 + nnn; departments county * 1000 + 901..938,
/// centres county * 1000 + 999 and 411500999). A person's id is unit code * 100 + n.
protocol::hierarchy generate_xinyang(std::uint64_t seed = default_seed);

} // namespace hub::sim
