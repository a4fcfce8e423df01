// The hierarchy file's writer: the format is specified in protocol/hierarchy-file.md. It writes
// parents before children, so that parse_hierarchy reads the file back in one pass.

#include "protocol/hierarchy_file.hpp"

#include "protocol/detail/hierarchy_format.hpp"

#include <charconv>
#include <cstdio>
#include <ostream>
#include <string>
#include <unordered_set>
#include <vector>

namespace hub::protocol {

using namespace detail;

namespace {
// -- the writer -----------------------------------------------------------------------------

/// Appends records to a buffer and hands it to the stream in large pieces.
class record_writer {
public:
  explicit record_writer(std::ostream& out)
    : out_(out) {
    buf_.reserve(flush_at + 4096);
  }

  void comment(std::string_view text) {
    buf_ += text;
    buf_ += '\n';
  }
  record_writer& begin(std::string_view kind) {
    buf_ += kind;
    return *this;
  }
  record_writer& field(std::string_view v) {
    buf_ += '\t';
    buf_ += v;
    return *this;
  }
  record_writer& field(std::uint64_t v) { return put('\t', v); }
  record_writer& coordinate(double v) { return put('\t', v); } // shortest exact form
  /// In the largest unit that divides it exactly: 86400 is "1d", 5400 "90m", 45 "45s".
  record_writer& duration(std::uint32_t seconds) {
    char suffix = 's';
    for (auto [size, letter] : {std::pair{86400u, 'd'}, {3600u, 'h'}, {60u, 'm'}})
      if (seconds % size == 0) {
        seconds /= size;
        suffix = letter;
        break;
      }
    put('\t', seconds);
    buf_ += suffix;
    return *this;
  }
  record_writer& modules(const std::vector<std::uint8_t>& list) {
    for (std::size_t i = 0; i < list.size(); ++i)
      put(i == 0 ? '\t' : ',', std::uint64_t{list[i]});
    return *this;
  }
  void end() {
    buf_ += '\n';
    if (buf_.size() >= flush_at)
      flush();
  }
  void flush() {
    out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    buf_.clear();
  }

private:
  static constexpr std::size_t flush_at = 1 << 20;
  std::ostream& out_;
  std::string buf_;

  template <class Number>
  record_writer& put(char separator, Number v) {
    char digits[32];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, v);
    buf_ += separator;
    buf_.append(digits, ec == std::errc{} ? end : digits);
    return *this;
  }
};

/// The order to write units in: their own when every parent comes first, else by level.
std::vector<std::uint32_t> unit_order(const hierarchy& h) {
  std::vector<std::uint32_t> order(h.units.size());
  for (std::uint32_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::unordered_set<unit_code> seen;
  seen.reserve(h.units.size());
  bool parents_first = true;
  for (const unit& u : h.units) {
    if (u.kind != unit_kind::city && !seen.contains(u.parent))
      parents_first = false;
    seen.insert(u.code);
  }
  if (!parents_first)
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      return rule_of(h.units[a].kind).rank < rule_of(h.units[b].kind).rank;
    });
  return order;
}

} // namespace

void write_hierarchy(std::ostream& out, const hierarchy& h) {
  record_writer w(out);
  w.comment("# The hub's hierarchy; the format is specified in protocol/hierarchy-file.md.");
  w.begin(magic).field(format_version).end();

  w.comment("\n# module\tindex\tcode\tname");
  for (std::size_t i = 0; i < module_count; ++i)
    w.begin("module").field(i).field(h.modules[i].code).field(h.modules[i].name).end();
  w.comment("\n# channel\tindex\tcode\tname");
  for (std::size_t i = 0; i < channel_count; ++i)
    w.begin("channel").field(i).field(h.channels[i].code).field(h.channels[i].name).end();

  w.comment("\n# category\tcode\tname\tmodule\n# limits\tcategory\turgency\tsign\tgrid"
            "\tvillage\ttownship\twhistle\tdepartment_sign\trating\tsupervision");
  for (const category& c : h.categories) {
    w.begin("category").field(c.code).field(c.name).field(c.module).end();
    for (std::size_t u = 0; u < c.limits.size(); ++u) {
      const time_limits& t = c.limits[u];
      w.begin("limits").field(c.code).field(to_string(static_cast<urgency>(u)));
      for (auto seconds : {t.sign, t.grid, t.village, t.township, t.whistle, t.department_sign,
                           t.rating, t.supervision})
        w.duration(seconds);
      w.end();
    }
  }

  w.comment("\n# unit\tcode\tkind\tname\tparent\ttype\tmodules\tlat\tlon");
  for (std::uint32_t i : unit_order(h)) {
    const unit& u = h.units[i];
    w.begin("unit").field(u.code).field(to_string(u.kind)).field(u.name);
    u.kind == unit_kind::city ? w.field("-") : w.field(u.parent);
    if (u.kind == unit_kind::township)
      w.field(to_string(u.township));
    else if (u.kind == unit_kind::village)
      w.field(u.community ? "community" : "village");
    else
      w.field("-");
    u.kind == unit_kind::department ? w.modules(u.modules) : w.field("-");
    if (u.lat == 0 && u.lon == 0 && u.kind != unit_kind::grid)
      w.field("-").field("-");
    else
      w.coordinate(u.lat).coordinate(u.lon);
    w.end();
  }

  w.comment("\n# person\tid\tname\tpost\tunit\tmodule");
  for (const person& p : h.people) {
    w.begin("person").field(p.id).field(p.name).field(to_string(p.holds)).field(p.unit);
    p.holds == post::township_module_head ? w.field(p.module) : w.field("-");
    w.end();
  }
  w.flush();
}

} // namespace hub::protocol
