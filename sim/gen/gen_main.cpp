// hub-gen: writes the generated Xinyang hierarchy file.
//
//   hub-gen [--seed N] [--out PATH] [--check]
//
// The file goes to stdout unless --out names a path; a summary of counts and timings goes to
// stderr. --check reads the written text back with the hub's own loader, reports how long
// parsing and indexing took, and fails unless it equals what was generated. Exit codes:
// 0 done, 1 could not write or check, 2 bad arguments.

#include "protocol/hierarchy_file.hpp"
#include "sim/gen/xinyang.hpp"

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace {

using namespace hub;
using clock_type = std::chrono::steady_clock;

constexpr std::string_view usage =
    "usage: hub-gen [--seed N] [--out PATH] [--check]\n"
    "  --seed N    seed of the generator (unsigned 64-bit; default 20261125)\n"
    "  --out PATH  write the hierarchy file to PATH (default: stdout)\n"
    "  --check     parse the written file back, time it and compare with the original\n";

struct options {
  std::uint64_t seed = sim::default_seed;
  std::string out; // empty: stdout
  bool check = false;
};

/// The options, or nullopt after printing why they are wrong.
std::optional<options> parse_args(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--help" || arg == "-h") {
      std::cout << usage;
      std::exit(0);
    } else if (arg == "--seed" && has_value) {
      const std::string_view v = argv[++i];
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), o.seed);
      if (v.empty() || ec != std::errc{} || end != v.data() + v.size()) {
        std::cerr << "hub-gen: --seed needs an unsigned 64-bit number, not \"" << v << "\"\n";
        return std::nullopt;
      }
    } else if (arg == "--out" && has_value) {
      o.out = argv[++i];
      if (o.out.empty()) {
        std::cerr << "hub-gen: --out needs a path\n";
        return std::nullopt;
      }
    } else if (arg == "--check") {
      o.check = true;
    } else {
      std::cerr << "hub-gen: "
                << (arg == "--seed" || arg == "--out" ? "missing value for " : "unknown argument ")
                << arg << "\n";
      return std::nullopt;
    }
  }
  return o;
}

double ms_since(clock_type::time_point start) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

void summary(const protocol::hierarchy& h) {
  using protocol::post;
  using protocol::unit_kind;
  std::size_t streets = 0, towns = 0, communities = 0, grid_staff = 0;
  for (const auto& u : h.units) {
    if (u.kind == unit_kind::township && u.township == protocol::township_type::town)
      ++towns;
    if (u.kind == unit_kind::township && u.township == protocol::township_type::street)
      ++streets;
    if (u.kind == unit_kind::village && u.community)
      ++communities;
  }
  // The four grid posts come first in enum post.
  for (const auto& p : h.people)
    if (p.holds <= post::grid_instructor)
      ++grid_staff;
  const std::size_t townships = h.count(unit_kind::township);
  std::cerr << "units " << h.units.size() << ": 1 city, " << h.count(unit_kind::county)
            << " counties, " << townships << " townships (" << streets << " streets, " << towns
            << " towns, " << townships - streets - towns << " townships), "
            << h.count(unit_kind::village) << " villages (" << communities << " communities), "
            << h.count(unit_kind::grid) << " grids, " << h.count(unit_kind::department)
            << " departments, " << h.count(unit_kind::centre) << " centres\n"
            << "people " << h.people.size() << " (" << grid_staff << " grid staff); "
            << h.categories.size() << " categories, " << h.modules.size() << " modules, "
            << h.channels.size() << " channels\n";
}

} // namespace

int main(int argc, char** argv) {
  const auto opts = parse_args(argc, argv);
  if (!opts) {
    std::cerr << usage;
    return 2;
  }

  auto start = clock_type::now();
  const protocol::hierarchy h = sim::generate_xinyang(opts->seed);
  const double generate_ms = ms_since(start);

  start = clock_type::now();
  std::ostringstream text;
  protocol::write_hierarchy(text, h);
  const std::string file = std::move(text).str();
  const double format_ms = ms_since(start);

  start = clock_type::now();
  if (opts->out.empty()) {
    std::cout.write(file.data(), static_cast<std::streamsize>(file.size()));
    std::cout.flush();
    if (!std::cout) {
      std::cerr << "hub-gen: cannot write to stdout\n";
      return 1;
    }
  } else {
    std::ofstream out(opts->out, std::ios::binary | std::ios::trunc);
    out.write(file.data(), static_cast<std::streamsize>(file.size()));
    out.close();
    if (!out) {
      std::cerr << "hub-gen: cannot write " << opts->out << ": " << std::strerror(errno) << "\n";
      return 1;
    }
  }
  const double write_ms = ms_since(start);

  summary(h);
  std::cerr << "seed " << opts->seed << ": generated in " << generate_ms << " ms, formatted "
            << file.size() << " bytes in " << format_ms << " ms, written in " << write_ms
            << " ms\n";

  if (opts->check) {
    start = clock_type::now();
    auto parsed = protocol::parse_hierarchy(file);
    const double parse_ms = ms_since(start);
    if (auto* err = std::get_if<protocol::hierarchy_error>(&parsed)) {
      std::cerr << "hub-gen: check failed: " << err->to_string() << "\n";
      return 1;
    }
    if (!(std::get<protocol::hierarchy>(parsed) == h)) {
      std::cerr << "hub-gen: check failed: the file reads back different from what was "
                   "generated\n";
      return 1;
    }
    std::cerr << "check: parsed and indexed in " << parse_ms << " ms; equal to the original\n";
  }
  return 0;
}
