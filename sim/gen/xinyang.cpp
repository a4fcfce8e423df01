// The Xinyang generator (see xinyang.hpp). Two phases:
//  1. plan: how many villages per township, grids per village and part-time staff per grid,
//     drawn from plausible ranges and then nudged until the totals are exactly the brief's;
//  2. build: walk the plan county by county and emit units (parents before children, the
//     order the file format needs) and the people posted at each.
// Every random choice comes from one splitmix64 stream seeded by the caller, consumed in a
// fixed order, so a seed always gives the same city on every platform.

#include "sim/gen/xinyang.hpp"

#include "sim/gen/xinyang_data.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

namespace hub::sim {

namespace {

using protocol::post;
using protocol::township_type;
using protocol::unit_code;
using protocol::unit_kind;

// -- the brief's totals ---------------------------------------------------------------------

constexpr long total_villages = 3700;
constexpr long total_grids = 18100;
constexpr long total_grid_staff = 88600;
constexpr long fixed_staff_per_grid = 4; // 网格长, 专职网格员, 网格指导员 and one 兼职网格员

constexpr int min_villages = 10, max_villages = 25; // per township
constexpr int min_grids = 2, max_grids = 15;        // per village
constexpr int max_extra_parttime = 6;               // per grid, beyond the first

// -- randomness -----------------------------------------------------------------------------

/// splitmix64 (Steele, Lea, Flood 2014): tiny, fast, and the same everywhere, unlike the
/// standard distributions whose output differs between standard libraries.
class rng {
public:
  explicit rng(std::uint64_t seed)
    : state_(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, n) for n < 2^32 (multiply-shift; the bias is below 2^-32).
  std::uint32_t below(std::uint32_t n) {
    return static_cast<std::uint32_t>(((next() >> 32) * n) >> 32);
  }
  /// Uniform in [lo, hi].
  int between(int lo, int hi) {
    return lo + static_cast<int>(below(static_cast<std::uint32_t>(hi - lo + 1)));
  }
  /// Uniform in [0, 1).
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return unit() < p; }
  template <class T>
  const T& pick(std::span<const T> items) {
    return items[below(static_cast<std::uint32_t>(items.size()))];
  }

private:
  std::uint64_t state_;
};

/// Nudges `counts` one step at a time at random places until they sum to `target`, keeping
/// each within [lo, hi]. The caller guarantees size * lo <= target <= size * hi.
void fit_total(std::vector<int>& counts, long target, int lo, int hi, rng& r) {
  long sum = std::accumulate(counts.begin(), counts.end(), 0L);
  const auto n = static_cast<std::uint32_t>(counts.size());
  while (sum != target) {
    int& c = counts[r.below(n)];
    if (sum < target && c < hi)
      ++c, ++sum;
    else if (sum > target && c > lo)
      --c, --sum;
  }
}

/// Rounded to six decimals (about 0.1 m), so that the file stays short and readable.
double round6(double x) { return std::round(x * 1e6) / 1e6; }

// -- the plan -------------------------------------------------------------------------------

struct township_plan {
  std::size_t county; // index into data::counties()
  township_type type;
  int villages = 0;
  int communities = 0;           // the first `communities` villages are 社区
  std::size_t first_village = 0; // index into plan::villages
};

struct plan {
  std::vector<township_plan> townships;
  std::vector<int> villages_per_township;
  std::vector<int> grids_per_village;
  std::vector<bool> village_is_community;
  std::vector<int> extra_parttime; // per grid, in emission order
};

plan make_plan(rng& r) {
  plan p;
  const auto counties = data::counties();
  for (std::size_t c = 0; c < counties.size(); ++c) {
    auto add = [&](township_type type, int n, int lo, int hi) {
      for (int i = 0; i < n; ++i) {
        p.townships.push_back({c, type});
        p.villages_per_township.push_back(r.between(lo, hi));
      }
    };
    // Street offices are urban and smaller; towns the largest.
    add(township_type::street, counties[c].streets, 10, 16);
    add(township_type::town, counties[c].towns, 14, 25);
    add(township_type::township, counties[c].townships, 12, 22);
  }
  fit_total(p.villages_per_township, total_villages, min_villages, max_villages, r);

  for (std::size_t t = 0; t < p.townships.size(); ++t) {
    township_plan& tp = p.townships[t];
    tp.villages = p.villages_per_township[t];
    tp.first_village = p.grids_per_village.size();
    // Streets are mostly communities; a town has a few around its seat; a township rarely.
    switch (tp.type) {
      case township_type::street: tp.communities = tp.villages - r.between(0, 2); break;
      case township_type::town: tp.communities = r.between(1, 3); break;
      case township_type::township: tp.communities = r.between(0, 1); break;
    }
    for (int v = 0; v < tp.villages; ++v) {
      const bool community = v < tp.communities;
      p.village_is_community.push_back(community);
      p.grids_per_village.push_back(community ? r.between(6, 10) : r.between(3, 5));
    }
  }
  fit_total(p.grids_per_village, total_grids, min_grids, max_grids, r);

  for (std::size_t v = 0; v < p.grids_per_village.size(); ++v)
    for (int g = 0; g < p.grids_per_village[v]; ++g)
      p.extra_parttime.push_back(p.village_is_community[v] ? r.between(1, 2) : r.between(0, 1));
  fit_total(p.extra_parttime, total_grid_staff - fixed_staff_per_grid * total_grids, 0,
            max_extra_parttime, r);
  return p;
}

// -- the builder ----------------------------------------------------------------------------

/// A rectangle that coordinates are clamped into (a county's box).
struct box {
  double lat_min, lat_max, lon_min, lon_max;
};

struct point {
  double lat, lon;
};

// Note on determinism: the order in which function arguments or the operands of `+` are
// evaluated is unspecified, so every random draw below is a statement of its own.

class builder {
public:
  explicit builder(std::uint64_t seed)
    : r_(seed) {}

  protocol::hierarchy run();

private:
  rng r_;
  plan plan_;
  protocol::hierarchy h_;
  std::size_t next_grid_ = 0; // index into plan_.extra_parttime

  void vocabulary();
  void city();
  void county(std::size_t c);
  void departments(const data::county& c, const box& b);
  void township(const township_plan& tp, unit_code code, std::string name, const box& b);
  void village(unit_code code, std::string name, unit_code parent, bool community, int grids,
               point at, const box& b);

  protocol::unit& add_unit(unit_code code, unit_kind kind, std::string name, unit_code parent,
                           double lat, double lon);
  void add_person(unit_code unit, int& seq, post holds, std::uint8_t module = 0);
  void add_people(unit_code unit, int& seq, post holds, int n);
  std::string person_name();
  std::string place_name(std::span<const std::string_view> first,
                         std::span<const std::string_view> second, std::string_view suffix);
  /// A point within `radius` degrees of (lat, lon), clamped into `b`.
  point near(double lat, double lon, double radius, const box& b);

  /// A name made by `make` that is not yet in `taken` (which it joins). After many misses a
  /// prefix (大, 小, 新, ...) widens the space; a number is the last resort.
  template <class Make>
  std::string unique_name(std::vector<std::string>& taken, Make make);
};

template <class Make>
std::string builder::unique_name(std::vector<std::string>& taken, Make make) {
  for (int attempt = 0;; ++attempt) {
    std::string name = make();
    if (attempt >= 20)
      name = std::string(r_.pick(data::name_prefixes())) + name;
    if (attempt >= 100)
      name += std::to_string(attempt);
    if (std::find(taken.begin(), taken.end(), name) == taken.end()) {
      taken.push_back(name);
      return name;
    }
  }
}

protocol::unit& builder::add_unit(unit_code code, unit_kind kind, std::string name,
                                  unit_code parent, double lat, double lon) {
  protocol::unit& u = h_.units.emplace_back();
  u.code = code;
  u.kind = kind;
  u.name = std::move(name);
  u.parent = parent;
  u.lat = round6(lat);
  u.lon = round6(lon);
  return u;
}

void builder::add_person(unit_code unit, int& seq, post holds, std::uint8_t module) {
  protocol::person& p = h_.people.emplace_back();
  p.id = unit * 100 + static_cast<unsigned>(++seq); // seq stays below 100 (see the maxima)
  p.name = person_name();
  p.holds = holds;
  p.unit = unit;
  p.module = module;
}

void builder::add_people(unit_code unit, int& seq, post holds, int n) {
  for (int i = 0; i < n; ++i)
    add_person(unit, seq, holds);
}

point builder::near(double lat, double lon, double radius, const box& b) {
  point p;
  p.lat = std::clamp(lat + (2 * r_.unit() - 1) * radius, b.lat_min, b.lat_max);
  p.lon = std::clamp(lon + (2 * r_.unit() - 1) * radius, b.lon_min, b.lon_max);
  return p;
}

std::string builder::place_name(std::span<const std::string_view> first,
                                std::span<const std::string_view> second, std::string_view suffix) {
  std::string name(r_.pick(first));
  name += r_.pick(second);
  name += suffix;
  return name;
}

std::string builder::person_name() {
  const auto surnames = data::surnames();
  // Half the draws come from the twenty most common surnames, as in real rosters.
  std::string name(r_.chance(0.5) ? surnames[r_.below(20)] : r_.pick(surnames));
  name += r_.pick(data::given_chars());
  if (r_.chance(0.7))
    name += r_.pick(data::given_chars());
  return name;
}

// -- what is not a unit ---------------------------------------------------------------------

void builder::vocabulary() {
  for (std::size_t i = 0; i < protocol::module_count; ++i)
    h_.modules[i] = {std::string(data::modules()[i].code), std::string(data::modules()[i].name)};
  for (std::size_t i = 0; i < protocol::channel_count; ++i)
    h_.channels[i] = {std::string(data::channels()[i].code), std::string(data::channels()[i].name)};

  // The brief's defaults, scaled by each category's pace; urgent cases get half the time,
  // a 30-minute signature and a faster rating and supervision.
  constexpr std::uint32_t minute = 60, hour = 3600, day = 86400;
  for (const data::category& c : data::categories()) {
    protocol::category& cat = h_.categories.emplace_back();
    cat.code = c.code;
    cat.name = c.name;
    cat.module = c.module;
    const auto pace = static_cast<std::uint32_t>(c.pace);
    const bool fast = c.pace <= 50;
    protocol::time_limits normal;
    normal.sign = fast ? 1 * hour : 2 * hour;
    normal.grid = 1 * day * pace / 100;
    normal.village = 3 * day * pace / 100;
    normal.township = 7 * day * pace / 100;
    normal.whistle = 15 * day * pace / 100;
    normal.department_sign = fast ? 12 * hour : 1 * day;
    normal.rating = 3 * day;
    normal.supervision = 1 * day;
    protocol::time_limits urgent{30 * minute,
                                 normal.grid / 2,
                                 normal.village / 2,
                                 normal.township / 2,
                                 normal.whistle / 2,
                                 normal.department_sign / 2,
                                 1 * day,
                                 12 * hour};
    cat.limits[static_cast<std::size_t>(protocol::urgency::normal)] = normal;
    cat.limits[static_cast<std::size_t>(protocol::urgency::urgent)] = urgent;
  }
}

// -- units, top down ------------------------------------------------------------------------

void builder::city() {
  int seq = 0;
  add_unit(data::city_code, unit_kind::city, std::string(data::city_name), 0, data::city_lat,
           data::city_lon);
  add_people(data::city_code, seq, post::city_leader, r_.between(3, 5));

  const unit_code centre = data::city_code * 1000 + 999;
  seq = 0;
  add_unit(centre, unit_kind::centre, std::string(data::city_name) + "社会治理中心",
           data::city_code, data::city_lat, data::city_lon);
  add_people(centre, seq, post::centre_operator, r_.between(6, 10));
  add_people(centre, seq, post::hotline_operator, r_.between(4, 8));
}

void builder::county(std::size_t index) {
  const data::county& c = data::counties()[index];
  const box b{c.lat_min, c.lat_max, c.lon_min, c.lon_max};
  const std::string county_name(c.name);

  int seq = 0;
  add_unit(c.code, unit_kind::county, county_name, data::city_code, c.seat_lat, c.seat_lon);
  add_people(c.code, seq, post::county_leader, r_.between(4, 7));

  const unit_code centre = c.code * 1000 + 999;
  seq = 0;
  add_unit(centre, unit_kind::centre, county_name + "社会治理中心", c.code, c.seat_lat, c.seat_lon);
  add_people(centre, seq, post::centre_operator, r_.between(4, 8));

  departments(c, b);

  // Townships in code order: streets 001.., towns 101.., townships 201..
  std::vector<std::string> taken;
  int n_street = 0, n_town = 0, n_township = 0;
  for (const township_plan& tp : plan_.townships) {
    if (tp.county != index)
      continue;
    unit_code code = c.code * 1000;
    std::string name;
    switch (tp.type) {
      case township_type::street:
        code += static_cast<unit_code>(++n_street);
        name = unique_name(
            taken, [&] { return place_name(data::urban_first(), data::urban_second(), "街道"); });
        break;
      case township_type::town:
      case township_type::township:
        code += static_cast<unit_code>(tp.type == township_type::town ? 100 + ++n_town
                                                                      : 200 + ++n_township);
        name = unique_name(taken, [&] {
          return place_name(data::rural_first(), data::rural_second(),
                            tp.type == township_type::town ? "镇" : "乡");
        });
        break;
    }
    township(tp, code, std::move(name), b);
  }
}

void builder::departments(const data::county& c, const box& b) {
  const auto table = data::departments();
  for (std::size_t i = 0; i < table.size(); ++i) {
    const data::department& d = table[i];
    if (!d.core && !r_.chance(0.5))
      continue;
    const unit_code code = c.code * 1000 + 901 + i;
    const point at = near(c.seat_lat, c.seat_lon, 0.01, b);
    protocol::unit& u = add_unit(code, unit_kind::department,
                                 std::string(c.name) + std::string(d.name), c.code, at.lat, at.lon);
    for (std::uint8_t m = 0; m < protocol::module_count; ++m)
      if (d.modules & (1u << m))
        u.modules.push_back(m);
    int seq = 0;
    add_person(code, seq, post::department_head);
    add_people(code, seq, post::department_staff, r_.between(2, 5));
  }
}

void builder::township(const township_plan& tp, unit_code code, std::string name, const box& b) {
  const data::county& c = data::counties()[tp.county];
  // Street offices sit around the county seat; towns and townships anywhere in the county.
  point at;
  if (tp.type == township_type::street) {
    at = near(c.seat_lat, c.seat_lon, 0.04, b);
  } else {
    at.lat = b.lat_min + 0.03 + r_.unit() * (b.lat_max - b.lat_min - 0.06);
    at.lon = b.lon_min + 0.03 + r_.unit() * (b.lon_max - b.lon_min - 0.06);
  }
  protocol::unit& u = add_unit(code, unit_kind::township, std::move(name), c.code, at.lat, at.lon);
  u.township = tp.type;

  int seq = 0;
  add_person(code, seq, post::township_head);
  for (std::uint8_t m = 0; m < protocol::module_count; ++m)
    add_person(code, seq, post::township_module_head, m);
  add_people(code, seq, post::township_operator, r_.between(3, 5));

  // Villages: communities 001.., villages 201..
  std::vector<std::string> taken;
  for (int v = 0; v < tp.villages; ++v) {
    const std::size_t index = tp.first_village + static_cast<std::size_t>(v);
    const bool community = plan_.village_is_community[index];
    const unit_code vcode =
        code * 1000 + static_cast<unit_code>(community ? 1 + v : 201 + (v - tp.communities));
    std::string vname = unique_name(taken, [&] {
      if (community)
        return std::string(r_.pick(data::community_words())) + "社区";
      return place_name(data::rural_first(), data::rural_second(), "村");
    });
    const point centre = near(at.lat, at.lon, community ? 0.012 : 0.06, b);
    village(vcode, std::move(vname), code, community, plan_.grids_per_village[index], centre, b);
  }
}

void builder::village(unit_code code, std::string name, unit_code parent, bool community, int grids,
                      point at, const box& b) {
  protocol::unit& u = add_unit(code, unit_kind::village, name, parent, at.lat, at.lon);
  u.community = community;

  int seq = 0;
  for (post p : {post::village_secretary, post::village_discipline, post::village_publicity,
                 post::village_security, post::village_environment})
    add_person(code, seq, p);
  if (community) {
    add_person(code, seq, post::village_property);
    add_person(code, seq, post::village_grid_affairs);
  }

  // Grids cluster around the village centre, tighter in a dense community.
  const double radius = community ? 0.002 : 0.004;
  for (int g = 1; g <= grids; ++g) {
    const unit_code gcode = code * 1000 + static_cast<unit_code>(g);
    const point spot = near(at.lat, at.lon, radius, b);
    add_unit(gcode, unit_kind::grid, name + "第" + std::to_string(g) + "网格", code, spot.lat,
             spot.lon);
    int gseq = 0;
    add_person(gcode, gseq, post::grid_head);
    add_person(gcode, gseq, post::grid_fulltime);
    add_person(gcode, gseq, post::grid_instructor);
    add_people(gcode, gseq, post::grid_parttime, 1 + plan_.extra_parttime[next_grid_++]);
  }
}

protocol::hierarchy builder::run() {
  vocabulary();
  plan_ = make_plan(r_);
  h_.units.reserve(total_grids + total_villages + 1024);
  h_.people.reserve(total_grid_staff + 7 * total_villages + 8192);
  city();
  for (std::size_t c = 0; c < data::counties().size(); ++c)
    county(c);
  h_.index();
  return std::move(h_);
}

} // namespace

protocol::hierarchy generate_xinyang(std::uint64_t seed) { return builder(seed).run(); }

} // namespace hub::sim
