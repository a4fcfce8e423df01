#include "gateway/open311/catalogue.hpp"

#include "gateway/open311/form.hpp"

#include <charconv>
#include <cmath>
#include <limits>

namespace hub::open311 {

namespace {

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> out;
  while (true) {
    auto tab = line.find('\t');
    out.push_back(line.substr(0, tab));
    if (tab == std::string_view::npos)
      return out;
    line = line.substr(tab + 1);
  }
}

[[noreturn]] void fault(std::size_t line, const std::string& what) {
  throw data_error("line " + std::to_string(line) + ": " + what);
}

} // namespace

catalogue::catalogue(const protocol::hierarchy& h)
  : h_(&h) {
  for (std::uint32_t i = 0; i < h.units.size(); ++i)
    if (h.units[i].kind == protocol::unit_kind::grid)
      grids_.push_back(i);
}

catalogue catalogue::load(const protocol::hierarchy& h, const std::string& path) {
  return load_data_file(path, [&](std::string_view text) { return parse(h, text); });
}

catalogue catalogue::parse(const protocol::hierarchy& h, std::string_view content) {
  catalogue c(h);
  for_each_data_line(content, [&](std::size_t number, std::string_view line) {
    if (!valid_text(line))
      fault(number, "not UTF-8 text");
    auto f = split_tabs(line);
    if (f[0] == "service") {
      if (f.size() != 4)
        fault(number, "a service line has 4 fields: service, code, description, keywords");
      if (h.find_category(f[1]) == nullptr)
        fault(number, "no case category '" + std::string(f[1]) + "' in the hierarchy");
      if (!c.texts_.emplace(std::string(f[1]), service_text{std::string(f[2]), std::string(f[3])})
               .second)
        fault(number, "service '" + std::string(f[1]) + "' described twice");
    } else if (f[0] == "address") {
      if (f.size() != 4)
        fault(number, "an address line has 4 fields: address, id, grid, text");
      protocol::unit_code grid = 0;
      auto [p, ec] = std::from_chars(f[2].data(), f[2].data() + f[2].size(), grid);
      if (ec != std::errc{} || p != f[2].data() + f[2].size())
        fault(number, "grid: not a unit code: \"" + std::string(f[2]) + "\"");
      auto* u = h.find_unit(grid);
      if (u == nullptr || u->kind != protocol::unit_kind::grid)
        fault(number, "grid: no grid " + std::string(f[2]) + " in the hierarchy");
      if (f[1].empty() || f[3].empty())
        fault(number, "an address needs an id and a text");
      if (c.by_id_.count(std::string(f[1])) != 0)
        fault(number, "address id '" + std::string(f[1]) + "' given twice");
      if (c.by_text_.count(std::string(f[3])) != 0)
        fault(number, "address '" + std::string(f[3]) + "' given twice");
      c.by_id_.emplace(std::string(f[1]), c.addresses_.size());
      c.by_text_.emplace(std::string(f[3]), c.addresses_.size());
      c.addresses_.push_back({std::string(f[1]), std::string(f[3]), grid});
    } else {
      fault(number, "unknown record '" + std::string(f[0]) + "' (service or address)");
    }
  });
  return c;
}

const service_text& catalogue::text_of(std::string_view code) const {
  static const service_text none;
  auto it = texts_.find(std::string(code));
  return it == texts_.end() ? none : it->second;
}

std::optional<protocol::unit_code> catalogue::jurisdiction(std::string_view id) const {
  const protocol::unit* city = nullptr;
  for (const auto& u : h_->units)
    if (u.kind == protocol::unit_kind::city) {
      city = &u;
      break;
    }
  if (id.empty())
    return city != nullptr ? std::optional{city->code} : std::nullopt;
  protocol::unit_code code = 0;
  auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), code);
  if (ec != std::errc{} || p != id.data() + id.size())
    return std::nullopt;
  auto* u = h_->find_unit(code);
  if (u == nullptr ||
      (u->kind != protocol::unit_kind::city && u->kind != protocol::unit_kind::county))
    return std::nullopt;
  return code;
}

std::vector<const protocol::unit*> catalogue::departments(std::uint8_t module,
                                                          protocol::unit_code jurisdiction) const {
  std::vector<const protocol::unit*> out;
  for (const auto& u : h_->units) {
    if (u.kind != protocol::unit_kind::department || !h_->within(u.parent, jurisdiction))
      continue;
    for (auto m : u.modules)
      if (m == module) {
        out.push_back(&u);
        break;
      }
  }
  return out;
}

const protocol::unit* catalogue::nearest_grid(double lat, double lon,
                                              protocol::unit_code jurisdiction) const {
  // Equirectangular distance: exact enough between neighbouring grids a few km apart.
  const double k = std::cos(lat * 3.14159265358979323846 / 180);
  const protocol::unit* best = nullptr;
  double best_d = std::numeric_limits<double>::infinity();
  for (auto i : grids_) {
    const auto& g = h_->units[i];
    double dy = g.lat - lat, dx = (g.lon - lon) * k;
    double d = dx * dx + dy * dy;
    if (d < best_d && h_->within(g.code, jurisdiction)) {
      best_d = d;
      best = &g;
    }
  }
  return best;
}

const address_entry* catalogue::address_by_id(std::string_view id) const {
  auto it = by_id_.find(std::string(id));
  return it == by_id_.end() ? nullptr : &addresses_[it->second];
}

const address_entry* catalogue::address_by_text(std::string_view text) const {
  auto it = by_text_.find(std::string(text));
  return it == by_text_.end() ? nullptr : &addresses_[it->second];
}

} // namespace hub::open311
