#pragma once

// What Open311 serves beside the hierarchy: the services (the hierarchy's case categories, each
// with its group = the township module, the county departments mirroring that module, and a
// description and keywords from the data file), the address table (address_id and address text
// to a grid), and the triage that locates a request to a grid. Data, not code: the categories
// and modules come from the hierarchy, the rest from the file `--open311-data` names
// (gateway/open311/README.md, "The data file"). Read-only after loading; thread-safe.

#include "gateway/open311/data_file.hpp"
#include "protocol/hierarchy.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace hub::open311 {

struct service_text {
  std::string description;
  std::string keywords; // comma-separated, as Open311 writes them
};

struct address_entry {
  std::string id;   // the hotline's address_id
  std::string text; // the address as written (address_string looks it up, exactly)
  protocol::unit_code grid = 0;
};

class catalogue {
public:
  /// The hierarchy's categories with no descriptions or addresses.
  explicit catalogue(const protocol::hierarchy& h);
  /// The same with the data file's text (see README). Throws data_error naming the line.
  static catalogue load(const protocol::hierarchy& h, const std::string& path);
  /// The same from the file's content (for tests).
  static catalogue parse(const protocol::hierarchy& h, std::string_view content);

  const protocol::hierarchy& hierarchy() const { return *h_; }

  /// The description and keywords of category `code` (empty ones when the file has none).
  const service_text& text_of(std::string_view code) const;

  /// The jurisdiction a `jurisdiction_id` names: the city's code or a county's, as text. Empty
  /// `id`: the city. nullopt: no such jurisdiction.
  std::optional<protocol::unit_code> jurisdiction(std::string_view id) const;

  /// The county departments that mirror `module` inside `jurisdiction` (a county, or the city).
  std::vector<const protocol::unit*> departments(std::uint8_t module,
                                                 protocol::unit_code jurisdiction) const;

  /// The grid nearest to (lat, lon) inside `jurisdiction`; nullptr when it has no grid.
  const protocol::unit* nearest_grid(double lat, double lon,
                                     protocol::unit_code jurisdiction) const;
  /// The address with this id, or with exactly this text; nullptr when the table lacks it.
  const address_entry* address_by_id(std::string_view id) const;
  const address_entry* address_by_text(std::string_view text) const;

private:
  const protocol::hierarchy* h_;
  std::vector<std::uint32_t> grids_; // indices of every grid, for nearest_grid
  std::unordered_map<std::string, service_text> texts_;
  std::vector<address_entry> addresses_;
  std::unordered_map<std::string, std::size_t> by_id_, by_text_;
};

} // namespace hub::open311
