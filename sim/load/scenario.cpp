#include "sim/load/scenario.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

namespace hub::sim {

namespace {

constexpr std::int64_t second = 1000, minute = 60 * second, hour = 60 * minute, day = 24 * hour;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    s = trim(s);
    if (s.empty())
      return out;
    auto end = s.find_first_of(" \t");
    out.push_back(s.substr(0, end));
    if (end == std::string_view::npos)
      return out;
    s.remove_prefix(end);
  }
}

std::optional<double> parse_number(std::string_view s) {
  // std::from_chars for double is in libstdc++ 11+.
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v))
    return std::nullopt;
  return v;
}

std::optional<std::uint64_t> parse_unsigned(std::string_view s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size())
    return std::nullopt;
  return v;
}

/// "60%" or "0.6": a share in [0, 1].
std::optional<double> parse_share(std::string_view s) {
  bool percent = !s.empty() && s.back() == '%';
  if (percent)
    s.remove_suffix(1);
  auto v = parse_number(s);
  if (!v)
    return std::nullopt;
  double share = percent ? *v / 100 : *v;
  if (share < 0 || share > 1)
    return std::nullopt;
  return share;
}

/// "HH:MM" (00:00..24:00) -> milliseconds after midnight.
std::optional<std::int64_t> parse_clock(std::string_view s) {
  auto colon = s.find(':');
  if (colon == std::string_view::npos)
    return std::nullopt;
  auto h = parse_unsigned(s.substr(0, colon));
  auto m = parse_unsigned(s.substr(colon + 1));
  if (!h || !m || s.size() - colon != 3 || *m > 59 || *h > 24 || (*h == 24 && *m != 0))
    return std::nullopt;
  return static_cast<std::int64_t>(*h) * hour + static_cast<std::int64_t>(*m) * minute;
}

std::optional<delay_range> parse_range(std::string_view s) {
  auto dots = s.find("..");
  auto lo = parse_duration(dots == std::string_view::npos ? s : s.substr(0, dots));
  auto hi = dots == std::string_view::npos ? lo : parse_duration(s.substr(dots + 2));
  if (!lo || !hi || *hi < *lo)
    return std::nullopt;
  return delay_range{*lo, *hi};
}

struct failure {
  std::string reason;
};

/// One section's keys, each read by a setter that throws `failure` with the reason.
using setter = std::function<void(std::string_view value)>;

void set_share(double& to, std::string_view v) {
  auto s = parse_share(v);
  if (!s)
    throw failure{"expected a share such as 60% or 0.6, got '" + std::string(v) + "'"};
  to = *s;
}

void set_range(delay_range& to, std::string_view v) {
  auto r = parse_range(v);
  if (!r)
    throw failure{"expected a duration or a range such as 10m..2h (the first not above the "
                  "second), got '" +
                  std::string(v) + "'"};
  to = *r;
}

void set_clock(std::int64_t& to, std::string_view v) {
  auto c = parse_clock(v);
  if (!c)
    throw failure{"expected a time of day HH:MM, got '" + std::string(v) + "'"};
  to = *c;
}

void set_duration(std::int64_t& to, std::string_view v) {
  auto d = parse_duration(v);
  if (!d)
    throw failure{"expected a duration such as 90s, 10m, 1h30m or 2d, got '" + std::string(v) +
                  "'"};
  to = *d;
}

void set_positive(double& to, std::string_view v, bool zero_ok) {
  auto n = parse_number(v);
  if (!n || *n < 0 || (!zero_ok && *n == 0))
    throw failure{std::string("expected a ") + (zero_ok ? "non-negative" : "positive") +
                  " number, got '" + std::string(v) + "'"};
  to = *n;
}

void set_code(protocol::unit_code& to, std::string_view v) {
  auto n = parse_unsigned(v);
  if (!n || *n == 0)
    throw failure{"expected a unit code, got '" + std::string(v) + "'"};
  to = *n;
}

std::map<std::string, setter, std::less<>> level_keys(level_script& l, bool escalates) {
  std::map<std::string, setter, std::less<>> keys{
      {"share", [&](auto v) { set_share(l.share, v); }},
      {"sign", [&](auto v) { set_range(l.sign, v); }},
      {"handle", [&](auto v) { set_range(l.handle, v); }},
      {"close", [&](auto v) { set_range(l.close, v); }}};
  if (escalates)
    keys["escalate"] = [&](auto v) { set_range(l.escalate, v); };
  return keys;
}

} // namespace

std::string scenario_error::to_string() const {
  return line == 0 ? file + ": " + reason : file + ":" + std::to_string(line) + ": " + reason;
}

std::optional<std::int64_t> parse_duration(std::string_view text) {
  if (text.empty())
    return std::nullopt;
  if (auto plain = parse_unsigned(text))
    return static_cast<std::int64_t>(*plain) * second;
  std::int64_t total = 0;
  while (!text.empty()) {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
      ++digits;
    if (digits == 0 || digits > 9 || digits == text.size())
      return std::nullopt;
    auto n = static_cast<std::int64_t>(*parse_unsigned(text.substr(0, digits)));
    std::int64_t unit = 0;
    std::size_t len = 1;
    if (text.substr(digits, 2) == "ms")
      unit = 1, len = 2;
    else
      switch (text[digits]) {
        case 's': unit = second; break;
        case 'm': unit = minute; break;
        case 'h': unit = hour; break;
        case 'd': unit = day; break;
        default: return std::nullopt;
      }
    total += n * unit;
    text.remove_prefix(digits + len);
  }
  return total;
}

std::variant<scenario, scenario_error> parse_scenario(std::string_view text, std::string file) {
  scenario s;
  s.file = file;
  std::string section;
  std::map<std::string, setter, std::less<>> keys;
  int line_no = 0;
  double* last_share = nullptr;
  int share_line = 0;
  bool seen_categories = false;

  auto open_section = [&](std::string_view header) {
    auto w = words(header);
    if (w.empty())
      throw failure{"an empty section name"};
    section = std::string(w[0]);
    const bool named = section == "campaign" || section == "burst";
    if (named != (w.size() == 2) || w.size() > 2)
      throw failure{named ? "[" + section + " NAME] needs one name without spaces"
                          : "section [" + section + "] takes no name"};
    keys.clear();
    if (section == "run") {
      keys = {{"speed", [&](auto v) { set_positive(s.speed, v, false); }},
              {"start", [&](auto v) { set_clock(s.start, v); }},
              {"duration", [&](auto v) { set_duration(s.duration, v); }},
              {"steady",
               [&](auto v) {
                 if (v != "yes" && v != "no")
                   throw failure{"expected yes or no, got '" + std::string(v) + "'"};
                 s.steady = v == "yes";
               }},
              {"restart", [&](auto v) {
                 std::int64_t at = 0;
                 set_clock(at, v);
                 s.restarts.push_back(at);
                 s.restart_lines.push_back(line_no);
               }}};
    } else if (section == "reports") {
      keys = {{"rate", [&](auto v) { set_positive(s.rate, v, true); }},
              {"urgent", [&](auto v) { set_share(s.urgent, v); }},
              {"hours",
               [&](auto v) {
                 auto w = words(v);
                 if (w.size() != 24)
                   throw failure{"hours needs 24 factors (00:00 to 23:00), got " +
                                 std::to_string(w.size())};
                 for (std::size_t i = 0; i < 24; ++i)
                   set_positive(s.hours[i], w[i], true);
               }},
              {"category", [&](auto v) {
                 auto w = words(v);
                 if (w.size() != 2)
                   throw failure{"category needs a code and a weight, e.g. 'category = "
                                 "enforce.noise 3'"};
                 double weight = 0;
                 set_positive(weight, w[1], false);
                 s.categories.emplace_back(std::string(w[0]), weight);
                 s.category_lines.push_back(line_no);
                 seen_categories = true;
               }}};
    } else if (section == "grid") {
      keys = level_keys(s.grid, true);
    } else if (section == "village") {
      keys = level_keys(s.village, true);
    } else if (section == "township") {
      keys = level_keys(s.township, false);
    } else if (section == "whistle") {
      auto& w = s.whistle;
      keys = {{"share", [&](auto v) { set_share(w.share, v); }},
              {"decline", [&](auto v) { set_share(w.decline, v); }},
              {"departments",
               [&](auto v) {
                 auto dots = v.find("..");
                 auto lo = parse_unsigned(v.substr(0, dots));
                 auto hi = dots == std::string_view::npos ? lo : parse_unsigned(v.substr(dots + 2));
                 if (!lo || !hi || *lo < 1 || *hi < *lo || *hi > 16)
                   throw failure{"expected a count or a range within 1..16, got '" +
                                 std::string(v) + "'"};
                 w.departments_min = static_cast<int>(*lo);
                 w.departments_max = static_cast<int>(*hi);
               }},
              {"propose", [&](auto v) { set_range(w.propose, v); }},
              {"approve", [&](auto v) { set_range(w.approve, v); }},
              {"report_in", [&](auto v) { set_range(w.report_in, v); }},
              {"feedback", [&](auto v) { set_range(w.feedback, v); }},
              {"resolve", [&](auto v) { set_range(w.resolve, v); }},
              {"rate", [&](auto v) { set_range(w.rate, v); }}};
    } else if (section == "ratings") {
      for (int score = 1; score <= 5; ++score)
        keys[std::to_string(score)] = [&, score](auto v) { set_share(s.ratings[score - 1], v); };
    } else if (section == "hotline") {
      auto& h = s.hotline;
      keys = {{"share", [&](auto v) { set_share(h.share, v); }},
              {"triage", [&](auto v) { set_range(h.triage, v); }},
              {"dispatch", [&](auto v) { set_range(h.dispatch, v); }},
              {"sign", [&](auto v) { set_range(h.sign, v); }},
              {"handle", [&](auto v) { set_range(h.handle, v); }},
              {"close", [&](auto v) { set_range(h.close, v); }}};
    } else if (section == "campaign") {
      s.campaigns.push_back({});
      auto& c = s.campaigns.back();
      c.name = std::string(w[1]);
      c.line = line_no;
      keys = {{"at", [&](auto v) { set_clock(c.at, v); }},
              {"every", [&](auto v) { set_duration(c.every, v); }},
              {"channel",
               [&](auto v) {
                 auto n = parse_unsigned(v);
                 if (!n || *n >= protocol::channel_count)
                   throw failure{"expected a channel 0..13, got '" + std::string(v) + "'"};
                 c.channel = static_cast<std::uint8_t>(*n);
               }},
              {"target",
               [&](auto v) {
                 auto t = words(v);
                 auto kind = t.empty() ? std::nullopt : protocol::parse<protocol::unit_kind>(t[0]);
                 if (!kind || t.size() > 2 || *kind == protocol::unit_kind::city)
                   throw failure{"expected 'target = KIND [UNIT]': KIND one of county, township, "
                                 "village, grid, department, centre; UNIT a unit code (none: "
                                 "the city)"};
                 c.level = *kind;
                 c.under = 0;
                 if (t.size() == 2)
                   set_code(c.under, t[1]);
               }},
              {"deadline", [&](auto v) { set_duration(c.deadline, v); }},
              {"sign", [&](auto v) { set_range(c.sign, v); }},
              {"complete", [&](auto v) { set_range(c.complete, v); }},
              {"lagging", [&](auto v) { set_share(c.lagging, v); }},
              {"silent", [&](auto v) { set_share(c.silent, v); }}};
    } else if (section == "burst") {
      s.bursts.push_back({});
      auto& b = s.bursts.back();
      b.name = std::string(w[1]);
      b.line = line_no;
      keys = {{"at", [&](auto v) { set_clock(b.at, v); }},
              {"duration", [&](auto v) { set_duration(b.duration, v); }},
              {"county", [&](auto v) { set_code(b.county, v); }},
              {"factor", [&](auto v) { set_positive(b.factor, v, true); }}};
    } else {
      throw failure{"unknown section [" + section +
                    "] (run, reports, grid, village, township, whistle, ratings, hotline, "
                    "campaign NAME, burst NAME)"};
    }
  };

  std::string_view rest = text;
  try {
    while (!rest.empty()) {
      ++line_no;
      auto nl = rest.find('\n');
      auto line = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
      if (auto hash = line.find('#'); hash != std::string_view::npos)
        line = line.substr(0, hash);
      line = trim(line);
      if (line.empty())
        continue;
      if (line.front() == '[') {
        if (line.back() != ']')
          throw failure{"a section header must end with ']'"};
        open_section(line.substr(1, line.size() - 2));
        continue;
      }
      auto eq = line.find('=');
      if (eq == std::string_view::npos)
        throw failure{"expected 'key = value' or '[section]', got '" + std::string(line) + "'"};
      if (section.empty())
        throw failure{"'" + std::string(trim(line.substr(0, eq))) + "' before the first [section]"};
      auto key = trim(line.substr(0, eq));
      auto value = trim(line.substr(eq + 1));
      auto found = keys.find(key);
      if (found == keys.end()) {
        std::string known;
        for (auto& [k, _] : keys)
          known += (known.empty() ? "" : ", ") + k;
        throw failure{"unknown key '" + std::string(key) + "' in [" + section +
                      "] (known: " + known + ")"};
      }
      if (value.empty())
        throw failure{"'" + std::string(key) + "' has no value"};
      found->second(value);
      if (key == "share" && (section == "grid" || section == "village" || section == "township" ||
                             section == "whistle")) {
        last_share = &s.whistle.share; // any: only the line matters
        share_line = line_no;
      }
    }
  } catch (const failure& f) {
    return scenario_error{file, line_no, f.reason};
  }
  (void)seen_categories;
  auto sum = s.grid.share + s.village.share + s.township.share + s.whistle.share;
  if (std::abs(sum - 1) > 0.005)
    return scenario_error{file, last_share != nullptr ? share_line : 0,
                          "the shares of [grid], [village], [township] and [whistle] add up to " +
                              std::to_string(static_cast<int>(std::lround(sum * 100))) +
                              "%, not 100%"};
  double ratings = 0;
  for (auto r : s.ratings)
    ratings += r;
  if (ratings <= 0)
    return scenario_error{file, 0, "[ratings] gives no score a share"};
  for (auto& c : s.campaigns)
    if (c.silent + c.lagging > 1)
      return scenario_error{file, c.line, "campaign " + c.name + ": lagging + silent over 100%"};
  return s;
}

std::variant<scenario, scenario_error> load_scenario(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return scenario_error{path, 0, "cannot be read"};
  std::stringstream text;
  text << in.rdbuf();
  return parse_scenario(text.str(), path);
}

std::optional<scenario_error> check(const scenario& s, const protocol::hierarchy& h) {
  for (std::size_t i = 0; i < s.categories.size(); ++i)
    if (h.find_category(s.categories[i].first) == nullptr)
      return scenario_error{s.file, s.category_lines[i],
                            "no case category '" + s.categories[i].first + "' in the hierarchy"};
  for (auto& b : s.bursts) {
    if (b.county == 0)
      continue;
    auto* u = h.find_unit(b.county);
    if (u == nullptr || u->kind != protocol::unit_kind::county)
      return scenario_error{s.file, b.line,
                            "burst " + b.name + ": " + std::to_string(b.county) +
                                " is not a county of the hierarchy"};
  }
  for (auto& c : s.campaigns) {
    if (c.under != 0) {
      auto* u = h.find_unit(c.under);
      if (u == nullptr ||
          (u->kind != protocol::unit_kind::county && u->kind != protocol::unit_kind::township &&
           u->kind != protocol::unit_kind::village))
        return scenario_error{s.file, c.line,
                              "campaign " + c.name + ": " + std::to_string(c.under) +
                                  " is not a county, township or village of the hierarchy"};
    }
    bool any = false;
    for (auto& u : h.units)
      if (u.kind == c.level && (c.under == 0 || h.within(u.code, c.under))) {
        any = true;
        break;
      }
    if (!any)
      return scenario_error{s.file, c.line,
                            "campaign " + c.name + ": no unit of kind " +
                                std::string(protocol::to_string(c.level)) +
                                " there: the directive would reach nobody"};
  }
  return std::nullopt;
}

} // namespace hub::sim
