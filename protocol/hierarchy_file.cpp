// The hierarchy file: reader and writer. The format is specified in protocol/hierarchy-file.md;
// the column tables below are its C++ form, and their names are the field names that error
// messages give.
//
// The reader is one pass over the text: each record is checked field by field, and every
// reference (a parent, a person's unit, a limits record's category) must point to a record
// above it. Internally a fault throws hierarchy_error; parse_hierarchy turns it into the
// variant's error alternative, so no exception leaves this file.

#include "protocol/hierarchy_file.hpp"

#include "protocol/detail/hierarchy_format.hpp"
#include "protocol/detail/reader.hpp" // valid_utf8, printable

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <ostream>
#include <span>
#include <unordered_map>
#include <unordered_set>

namespace hub::protocol {

using namespace detail;

namespace {

/// Posts that only a community (社区) has.
bool community_only(post p) {
  return p == post::village_property || p == post::village_grid_affairs;
}

// -- small text helpers ---------------------------------------------------------------------

/// `s` in quotes for a message: shortened, control characters and bad UTF-8 escaped.
std::string in_quotes(std::string_view s) {
  std::string out = detail::printable(s);
  out.insert(out.begin(), '"');
  out.push_back('"');
  return out;
}

/// True when `s` is well-formed UTF-8 without control characters.
bool valid_text(std::string_view s) {
  return detail::valid_utf8(s) && std::none_of(s.begin(), s.end(), [](char c) {
           return static_cast<unsigned char>(c) < 0x20 || c == 0x7F;
         });
}

bool valid_code(std::string_view s) {
  return !s.empty() && s.size() <= max_code && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

template <class Enum>
std::string wire_names() {
  std::string out;
  for (auto name : enum_names<Enum>::names) {
    out += out.empty() ? "" : ", ";
    out += name;
  }
  return out;
}

// -- the reader -----------------------------------------------------------------------------

class parser {
public:
  explicit parser(std::string_view text)
    : text_(text) {}

  hierarchy run();

private:
  // -- the current line --
  std::string_view text_;
  std::size_t line_ = 0;
  std::array<std::string_view, max_fields> field_{};
  std::size_t n_fields_ = 0; // max_fields + 1 when the line has more than max_fields
  columns columns_;

  // -- what has been read so far --
  hierarchy h_;
  std::unordered_map<unit_code, std::uint32_t> units_;             // code -> index into h_.units
  std::vector<std::size_t> unit_line_;                             // per unit: its line
  std::unordered_map<person_id, std::size_t> people_;              // id -> line
  std::unordered_map<std::string_view, std::uint32_t> categories_; // code -> index
  std::vector<std::size_t> category_line_;
  std::vector<std::array<std::size_t, 2>> limits_line_; // per category and urgency; 0: none
  std::array<std::size_t, module_count> module_line_{}; // 0: not seen
  std::array<std::size_t, channel_count> channel_line_{};
  std::size_t city_line_ = 0;

  [[noreturn]] void fail(std::size_t column, std::string message) const {
    throw hierarchy_error{line_, std::string(columns_[column]), std::move(message)};
  }

  void split(std::string_view line);
  void expect(columns cols);

  // -- field readers: each checks one column and names it when it fails --
  std::uint64_t number(std::size_t col, std::uint64_t min, std::uint64_t max) const;
  std::string text(std::size_t col) const;
  std::string code(std::size_t col) const;
  std::uint32_t duration(std::size_t col) const;
  double coordinate(std::size_t col, double limit) const;
  template <class Enum>
  Enum enumeration(std::size_t col) const;
  bool none(std::size_t col) const { return field_[col] == "-"; }
  void require_none(std::size_t col, std::string_view why) const;
  std::string not_above(unit_code code, std::string_view rule) const;

  // -- records --
  void header();
  void module_record();
  void channel_record();
  void category_record();
  void limits_record();
  void unit_record();
  void person_record();
  void finish();
};

void parser::split(std::string_view line) {
  n_fields_ = 0;
  std::size_t start = 0;
  while (true) {
    std::size_t tab = line.find('\t', start);
    if (n_fields_ == max_fields) { // one field too many is enough to report
      ++n_fields_;
      return;
    }
    field_[n_fields_++] = line.substr(start, tab == std::string_view::npos ? tab : tab - start);
    if (tab == std::string_view::npos)
      return;
    start = tab + 1;
  }
}

void parser::expect(columns cols) {
  columns_ = cols;
  if (n_fields_ != cols.size())
    fail(0, "a " + std::string(field_[0]) + " record has " + std::to_string(cols.size()) +
                " tab-separated fields, this line has " +
                (n_fields_ > max_fields ? "more" : std::to_string(n_fields_)));
}

std::uint64_t parser::number(std::size_t col, std::uint64_t min, std::uint64_t max) const {
  std::string_view f = field_[col];
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), value);
  if (f.empty() || end != f.data() + f.size() || ec == std::errc::invalid_argument)
    fail(col, "not a number: " + in_quotes(f));
  if (ec == std::errc::result_out_of_range || value < min || value > max)
    fail(col,
         "out of range " + std::to_string(min) + ".." + std::to_string(max) + ": " + in_quotes(f));
  return value;
}

std::string parser::text(std::size_t col) const {
  std::string_view f = field_[col];
  if (f.empty())
    fail(col, "empty");
  if (f.size() > max_name)
    fail(col, "longer than " + std::to_string(max_name) + " bytes");
  if (!valid_text(f))
    fail(col, "not UTF-8 text, or holds a control character: " + in_quotes(f));
  return std::string(f);
}

std::string parser::code(std::size_t col) const {
  if (!valid_code(field_[col]))
    fail(col, "not a code (1.." + std::to_string(max_code) +
                  " of A-Z a-z 0-9 _ . -): " + in_quotes(field_[col]));
  return std::string(field_[col]);
}

std::uint32_t parser::duration(std::size_t col) const {
  std::string_view f = field_[col];
  std::uint64_t scale = 1;
  if (!f.empty()) {
    switch (f.back()) {
      case 's': scale = 1; break;
      case 'm': scale = 60; break;
      case 'h': scale = 3600; break;
      case 'd': scale = 86400; break;
      default: scale = 0;
    }
  }
  std::string_view digits = scale == 0 ? f : f.substr(0, f.size() - 1);
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || end != digits.data() + digits.size() || ec == std::errc::invalid_argument)
    fail(col, "not a duration (seconds, or a number with s, m, h or d): " + in_quotes(f));
  constexpr std::uint64_t max = std::numeric_limits<std::uint32_t>::max();
  if (ec == std::errc::result_out_of_range || value == 0 || value > max ||
      value * std::max<std::uint64_t>(scale, 1) > max)
    fail(col, "a duration must be positive and below 2^32 seconds: " + in_quotes(f));
  value *= std::max<std::uint64_t>(scale, 1);
  return static_cast<std::uint32_t>(value);
}

double parser::coordinate(std::size_t col, double limit) const {
  std::string_view f = field_[col];
  double value = 0;
  auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), value);
  if (f.empty() || end != f.data() + f.size() || ec != std::errc{} || !std::isfinite(value))
    fail(col, "not a number: " + in_quotes(f));
  if (value < -limit || value > limit)
    fail(col, "out of range -" + std::to_string(static_cast<int>(limit)) + ".." +
                  std::to_string(static_cast<int>(limit)) + ": " + in_quotes(f));
  return value;
}

template <class Enum>
Enum parser::enumeration(std::size_t col) const {
  if (auto value = parse<Enum>(field_[col]))
    return *value;
  fail(col, "unknown " + std::string(columns_[col]) + " " + in_quotes(field_[col]) + " (one of " +
                wire_names<Enum>() + ")");
}

void parser::require_none(std::size_t col, std::string_view why) const {
  if (!none(col))
    fail(col, "must be \"-\" " + std::string(why) + ", not " + in_quotes(field_[col]));
}

// Why a referenced unit is unknown: never defined, or defined only further down (`rule` says
// what must come first). Only runs on the error path, so the extra scan costs nothing when the
// file is valid.
std::string parser::not_above(unit_code code, std::string_view rule) const {
  const std::string needle = "\nunit\t" + std::to_string(code) + "\t";
  const std::size_t at = text_.find(needle);
  if (at == std::string_view::npos)
    return "no unit " + std::to_string(code) + " in the file";
  const auto line =
      2 + static_cast<std::size_t>(std::count(text_.begin(), text_.begin() + at, '\n'));
  return "unit " + std::to_string(code) + " is defined only further down, on line " +
         std::to_string(line) + "; " + std::string(rule);
}

// -- records --------------------------------------------------------------------------------

void parser::header() {
  columns_ = header_columns;
  if (field_[0] != magic || n_fields_ != 2)
    fail(0, "the first record must be the header \"hub-hierarchy<TAB>1\"");
  if (number(1, 0, std::numeric_limits<std::uint64_t>::max()) != format_version)
    fail(1, "unsupported version " + in_quotes(field_[1]) + "; this reader reads version " +
                std::to_string(format_version));
}

void parser::module_record() {
  expect(module_columns);
  auto index = number(1, 0, module_count - 1);
  if (module_line_[index] != 0)
    fail(1, "module " + std::to_string(index) + " is defined twice (first on line " +
                std::to_string(module_line_[index]) + ")");
  module_info m{code(2), text(3)};
  for (std::size_t i = 0; i < module_count; ++i)
    if (module_line_[i] != 0 && h_.modules[i].code == m.code)
      fail(2, "module code " + in_quotes(m.code) + " is taken by module " + std::to_string(i));
  module_line_[index] = line_;
  h_.modules[index] = std::move(m);
}

void parser::channel_record() {
  expect(channel_columns);
  auto index = number(1, 0, channel_count - 1);
  if (channel_line_[index] != 0)
    fail(1, "channel " + std::to_string(index) + " is defined twice (first on line " +
                std::to_string(channel_line_[index]) + ")");
  channel c{code(2), text(3)};
  for (std::size_t i = 0; i < channel_count; ++i)
    if (channel_line_[i] != 0 && h_.channels[i].code == c.code)
      fail(2, "channel code " + in_quotes(c.code) + " is taken by channel " + std::to_string(i));
  channel_line_[index] = line_;
  h_.channels[index] = std::move(c);
}

void parser::category_record() {
  expect(category_columns);
  category c;
  c.code = code(1);
  if (auto it = categories_.find(c.code); it != categories_.end())
    fail(1, "duplicate category " + in_quotes(c.code) + " (first on line " +
                std::to_string(category_line_[it->second]) + ")");
  c.name = text(2);
  c.module = static_cast<std::uint8_t>(number(3, 0, module_count - 1));
  h_.categories.push_back(std::move(c));
  // The key views the text, which outlives the parser; the category's own string may move.
  categories_.emplace(field_[1], static_cast<std::uint32_t>(h_.categories.size() - 1));
  category_line_.push_back(line_);
  limits_line_.push_back({0, 0});
}

void parser::limits_record() {
  expect(limits_columns);
  auto it = categories_.find(field_[1]);
  if (it == categories_.end())
    fail(1, "no category " + in_quotes(field_[1]) + " above; limits come after their category");
  const auto level = enumeration<urgency>(2);
  auto& seen = limits_line_[it->second][static_cast<std::size_t>(level)];
  if (seen != 0)
    fail(2, "a second " + std::string(to_string(level)) + " limits record for " +
                in_quotes(field_[1]) + " (first on line " + std::to_string(seen) + ")");
  seen = line_;
  time_limits& t = h_.categories[it->second].limits[static_cast<std::size_t>(level)];
  t.sign = duration(3);
  t.grid = duration(4);
  t.village = duration(5);
  t.township = duration(6);
  t.whistle = duration(7);
  t.department_sign = duration(8);
  t.rating = duration(9);
  t.supervision = duration(10);
}

void parser::unit_record() {
  expect(unit_columns);
  unit u;
  u.code = number(1, 1, std::numeric_limits<std::uint64_t>::max());
  if (auto it = units_.find(u.code); it != units_.end())
    fail(1, "duplicate unit code " + std::to_string(u.code) + " (first on line " +
                std::to_string(unit_line_[it->second]) + ")");
  u.kind = enumeration<unit_kind>(2);
  if (u.kind == unit_kind::city && city_line_ != 0)
    fail(2, "a second city (the first is on line " + std::to_string(city_line_) +
                "); a file has exactly one");
  u.name = text(3);

  if (u.kind == unit_kind::city) {
    require_none(4, "for the city, which has no parent");
  } else {
    u.parent = number(4, 1, std::numeric_limits<std::uint64_t>::max());
    auto it = units_.find(u.parent);
    if (it == units_.end())
      fail(4, not_above(u.parent, "a unit must come after its parent"));
    const unit& p = h_.units[it->second];
    if ((rule_of(u.kind).parents & bit(p.kind)) == 0)
      fail(4, "parent " + std::to_string(p.code) + " is a " + std::string(to_string(p.kind)) +
                  "; a " + std::string(to_string(u.kind)) + "'s parent must be a " +
                  std::string(rule_of(u.kind).parents_text));
  }

  if (u.kind == unit_kind::township) {
    u.township = enumeration<township_type>(5);
  } else if (u.kind == unit_kind::village) {
    if (field_[5] != "village" && field_[5] != "community")
      fail(5, "a village's type is village (村) or community (社区), not " + in_quotes(field_[5]));
    u.community = field_[5] == "community";
  } else {
    require_none(5, "for a " + std::string(to_string(u.kind)));
  }

  if (u.kind == unit_kind::department) {
    std::string_view list = field_[6];
    std::uint16_t seen = 0;
    while (true) {
      std::size_t comma = list.find(',');
      std::string_view item = list.substr(0, comma);
      std::uint64_t m = module_count;
      auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), m);
      if (item.empty() || end != item.data() + item.size() || ec != std::errc{} ||
          m >= module_count)
        fail(6, "not a list of module indices 0..9 like \"1,4\": " + in_quotes(field_[6]));
      if (seen & (1u << m))
        fail(6, "module " + std::to_string(m) + " is listed twice");
      seen |= static_cast<std::uint16_t>(1u << m);
      u.modules.push_back(static_cast<std::uint8_t>(m));
      if (comma == std::string_view::npos)
        break;
      list.remove_prefix(comma + 1);
    }
  } else {
    require_none(6, "for a " + std::string(to_string(u.kind)) + " (only departments)");
  }

  if (none(7) && none(8) && u.kind != unit_kind::grid) {
    // no coordinate: allowed for every kind but grids
  } else {
    if (none(7) || none(8))
      fail(none(7) ? 7 : 8, u.kind == unit_kind::grid ? "a grid needs a coordinate"
                                                      : "give both lat and lon, or neither");
    u.lat = coordinate(7, 90);
    u.lon = coordinate(8, 180);
  }

  if (u.kind == unit_kind::city)
    city_line_ = line_;
  units_.emplace(u.code, static_cast<std::uint32_t>(h_.units.size()));
  unit_line_.push_back(line_);
  h_.units.push_back(std::move(u));
}

void parser::person_record() {
  expect(person_columns);
  person p;
  p.id = number(1, 1, std::numeric_limits<std::uint64_t>::max());
  auto [it, fresh] = people_.emplace(p.id, line_);
  if (!fresh)
    fail(1, "duplicate person id " + std::to_string(p.id) + " (first on line " +
                std::to_string(it->second) + ")");
  p.name = text(2);
  p.holds = enumeration<post>(3);
  p.unit = number(4, 1, std::numeric_limits<std::uint64_t>::max());
  auto at = units_.find(p.unit);
  if (at == units_.end())
    fail(4, not_above(p.unit, "a person must come after their unit"));
  const unit& u = h_.units[at->second];
  const unit_kind wanted = post_unit_kind(p.holds);
  if (u.kind != wanted)
    fail(3, "a " + std::string(to_string(p.holds)) + " is posted at a " +
                std::string(to_string(wanted)) + ", but " + std::to_string(u.code) + " is a " +
                std::string(to_string(u.kind)));
  if (community_only(p.holds) && !u.community)
    fail(3, "a " + std::string(to_string(p.holds)) + " is posted at a community (社区), but " +
                std::to_string(u.code) + " is a village (村)");
  if (p.holds == post::township_module_head) {
    if (none(5))
      fail(5, "a township_module_head needs the module (0..9) they lead");
    p.module = static_cast<std::uint8_t>(number(5, 0, module_count - 1));
  } else {
    require_none(5, "for a " + std::string(to_string(p.holds)) + " (only module heads)");
  }
  h_.people.push_back(std::move(p));
}

// Checks that need the whole file: they have no line of their own (line 0), except a
// category's missing limits, which points at the category.
void parser::finish() {
  line_ = 0;
  static constexpr std::array<std::string_view, 4> whole_file{"module", "channel", "city",
                                                              "record"};
  columns_ = whole_file;
  for (std::size_t i = 0; i < module_count; ++i)
    if (module_line_[i] == 0)
      fail(0, "no module " + std::to_string(i) + " (all ten modules 0..9 are required)");
  for (std::size_t i = 0; i < channel_count; ++i)
    if (channel_line_[i] == 0)
      fail(1, "no channel " + std::to_string(i) + " (all fourteen channels 0..13 are required)");
  if (city_line_ == 0)
    fail(2, "no city: a file has exactly one unit of kind city");
  columns_ = category_columns;
  for (std::size_t c = 0; c < h_.categories.size(); ++c)
    for (std::size_t u = 0; u < 2; ++u)
      if (limits_line_[c][u] == 0) {
        line_ = category_line_[c];
        fail(1, "category " + in_quotes(h_.categories[c].code) + " has no " +
                    std::string(to_string(static_cast<urgency>(u))) + " limits record");
      }
}

hierarchy parser::run() {
  // The reader of each record kind, the most frequent first.
  static constexpr std::array<std::pair<std::string_view, void (parser::*)()>, 6> records{{
      {"person", &parser::person_record},
      {"unit", &parser::unit_record},
      {"limits", &parser::limits_record},
      {"category", &parser::category_record},
      {"module", &parser::module_record},
      {"channel", &parser::channel_record},
  }};
  // Most lines are people; a rough guess saves rehashing.
  const auto lines = static_cast<std::size_t>(std::count(text_.begin(), text_.end(), '\n'));
  people_.reserve(lines);
  units_.reserve(lines / 4);

  bool header_seen = false;
  std::size_t pos = 0;
  while (pos < text_.size()) {
    std::size_t end = text_.find('\n', pos);
    if (end == std::string_view::npos)
      end = text_.size();
    std::string_view line = text_.substr(pos, end - pos);
    pos = end + 1;
    ++line_;
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1); // tolerate CRLF line ends
    if (line_ == 1 && line.starts_with("\xEF\xBB\xBF"))
      line.remove_prefix(3); // and a byte-order mark
    if (line.empty() || line.front() == '#' ||
        line.find_first_not_of(" \t") == std::string_view::npos)
      continue;

    split(line);
    if (!header_seen) {
      header();
      header_seen = true;
      continue;
    }
    auto record = std::find_if(records.begin(), records.end(),
                               [&](const auto& r) { return r.first == field_[0]; });
    if (record == records.end()) {
      columns_ = header_columns;
      fail(0, "unknown record kind " + in_quotes(field_[0]) +
                  " (module, channel, category, limits, unit or person)");
    }
    (this->*record->second)();
  }
  if (!header_seen) {
    line_ = 0;
    columns_ = header_columns;
    fail(0, "the file is empty: it needs the header \"hub-hierarchy<TAB>1\"");
  }
  finish();
  h_.index();
  return std::move(h_);
}

} // namespace

// -- public interface -----------------------------------------------------------------------

std::string hierarchy_error::to_string() const {
  std::string out;
  if (line != 0)
    out += "line " + std::to_string(line);
  if (!field.empty())
    out += (out.empty() ? "field " : ", field ") + field;
  return out.empty() ? message : out + ": " + message;
}

std::variant<hierarchy, hierarchy_error> parse_hierarchy(std::string_view text) {
  try {
    return parser(text).run();
  } catch (hierarchy_error& e) {
    return std::move(e);
  }
}

std::variant<hierarchy, hierarchy_error> load_hierarchy(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file)
    return hierarchy_error{0, "path",
                           "cannot open " + in_quotes(path) + ": " + std::strerror(errno)};
  std::string text;
  char buf[1 << 16];
  std::size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, file.get())) > 0)
    text.append(buf, got);
  if (std::ferror(file.get()))
    return hierarchy_error{0, "path",
                           "cannot read " + in_quotes(path) + ": " + std::strerror(errno)};
  return parse_hierarchy(text);
}

} // namespace hub::protocol
