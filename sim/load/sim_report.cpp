#include "sim/load/sim_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace hub::sim {

namespace {

constexpr std::int64_t day_ms = 24 * 3'600'000LL;

std::string clock_text(std::int64_t sim_ms) {
  char out[32];
  std::snprintf(out, sizeof out, "day %lld %02lld:%02lld", static_cast<long long>(sim_ms / day_ms),
                static_cast<long long>(sim_ms % day_ms / 3'600'000),
                static_cast<long long>(sim_ms % 3'600'000 / 60'000));
  return out;
}

std::string num(double v) {
  if (!std::isfinite(v))
    return "null";
  char out[32];
  std::snprintf(out, sizeof out, "%.3f", v);
  std::string s = out;
  while (s.back() == '0')
    s.pop_back();
  if (s.back() == '.')
    s.pop_back();
  return s;
}

std::string escaped(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char u[8];
          std::snprintf(u, sizeof u, "\\u%04x", c);
          out += u;
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string html_escaped(std::string_view s) {
  std::string out;
  for (char c : s)
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  return out;
}

double ms(std::int64_t us) { return static_cast<double>(us) / 1000.0; }

double ratio(std::uint64_t a, std::uint64_t b) {
  return b == 0 ? std::nan("") : static_cast<double>(a) / static_cast<double>(b);
}

/// The city's figures over the run: the last aggregate the dashboard saw less the first.
struct city_run {
  std::uint64_t reported = 0, responded = 0, resolved = 0, rated = 0, satisfied = 0;
};
std::optional<city_run> city_over_run(const live_workload& w) {
  if (!w.city_first())
    return std::nullopt;
  const auto& a = *w.city_first();
  const auto& b = w.counts().city;
  auto d = [](std::uint32_t last, std::uint32_t first) {
    return last >= first ? std::uint64_t{last - first} : 0;
  };
  return city_run{d(b.reported, a.reported), d(b.responded, a.responded), d(b.resolved, a.resolved),
                  d(b.rated, a.rated), d(b.satisfied, a.satisfied)};
}

const char* latency_meaning[] = {
    "case.report sent -> its ack",
    "case.act sent -> its ack",
    "case.report sent -> its report event on the city's dashboard",
    "directive.issue sent -> each arrival seen at a recipient",
    "directive.issue sent -> its last arrival seen",
    "directive.act (sign, complete) sent -> its ack",
    "Open311 post sent -> its answer",
};

// -- SVG ---------------------------------------------------------------------------------------

/// Horizontal bars, one per (label, value), scaled to the largest; `unit` after each value.
std::string bars(const std::vector<std::pair<std::string, double>>& rows, const std::string& unit) {
  const int width = 640, bar_left = 200, row_h = 22;
  double top = 0;
  for (auto& [l, v] : rows)
    if (std::isfinite(v))
      top = std::max(top, v);
  std::ostringstream o;
  o << "<svg width='" << width << "' height='"
    << row_h * static_cast<int>(std::max<std::size_t>(rows.size(), 1)) + 6 << "'>";
  int y = 4;
  for (auto& [label, value] : rows) {
    const double v = std::isfinite(value) ? value : 0;
    double w = top <= 0 ? 0 : (width - bar_left - 90) * v / top;
    o << "<text x='0' y='" << y + 14 << "' font-size='12'>" << html_escaped(label) << "</text>"
      << "<rect x='" << bar_left << "' y='" << y + 2 << "' width='" << num(std::max(w, 1.0))
      << "' height='" << row_h - 6 << "' fill='#4a7bd0'/>"
      << "<text x='" << bar_left + static_cast<int>(w) + 6 << "' y='" << y + 14
      << "' font-size='12'>" << num(v) << html_escaped(unit) << "</text>";
    y += row_h;
  }
  if (rows.empty())
    o << "<text x='0' y='16' font-size='12'>none</text>";
  o << "</svg>";
  return o.str();
}

/// Lines over time: each (name, colour, points (x, y)); axes from 0 to the largest x and y.
std::string lines(
    const std::vector<std::tuple<std::string, std::string, std::vector<std::pair<double, double>>>>&
        series,
    const std::string& y_unit) {
  const int width = 720, height = 260, left = 60, bottom = 30, top_pad = 10;
  double max_x = 0, max_y = 0;
  for (auto& [n, c, pts] : series)
    for (auto& [x, y] : pts) {
      max_x = std::max(max_x, x);
      max_y = std::max(max_y, y);
    }
  if (max_x <= 0)
    max_x = 1;
  if (max_y <= 0)
    max_y = 1;
  auto px = [&](double x) { return left + (width - left - 10) * x / max_x; };
  auto py = [&](double y) { return height - bottom - (height - bottom - top_pad) * y / max_y; };
  std::ostringstream o;
  o << "<svg width='" << width << "' height='" << height << "'><line x1='" << left << "' y1='"
    << height - bottom << "' x2='" << width - 10 << "' y2='" << height - bottom
    << "' stroke='#888'/><line x1='" << left << "' y1='" << top_pad << "' x2='" << left << "' y2='"
    << height - bottom << "' stroke='#888'/>";
  for (int i = 0; i <= 4; ++i) {
    double y = max_y * i / 4, x = max_x * i / 4;
    o << "<text x='" << left - 4 << "' y='" << num(py(y) + 4)
      << "' font-size='11' text-anchor='end'>" << num(std::round(y * 10) / 10) << "</text>"
      << "<text x='" << num(px(x)) << "' y='" << height - bottom + 16
      << "' font-size='11' text-anchor='middle'>" << num(std::round(x)) << " s</text>";
  }
  int legend = 0;
  for (auto& [name, colour, pts] : series) {
    o << "<polyline fill='none' stroke='" << colour << "' stroke-width='1.5' points='";
    for (auto& [x, y] : pts)
      o << num(px(x)) << ',' << num(py(y)) << ' ';
    o << "'/><text x='" << left + 10 + 170 * legend++ << "' y='" << top_pad + 12 << "' fill='"
      << colour << "' font-size='12'>" << html_escaped(name) << " (" << html_escaped(y_unit)
      << ")</text>";
  }
  o << "</svg>";
  return o.str();
}

} // namespace

std::string to_json(const run_report& r) {
  const auto& w = *r.work;
  const auto& c = w.counts();
  std::ostringstream o;
  o << "{\"scenario\":\"" << escaped(r.scenario) << "\",\"speed\":" << num(r.speed)
    << ",\"steady\":" << (r.steady ? "true" : "false") << ",\"grids\":\"" << r.grids
    << "\",\"shard\":\"" << r.shard << '/' << r.shards
    << "\",\"wall_seconds\":" << num(r.wall_seconds) << ",\"simulated\":{\"start\":\""
    << clock_text(r.sim_start) << "\",\"end\":\"" << clock_text(r.sim_end)
    << "\"},\"standing\":{\"subscribed\":" << c.standing << ",\"total\":" << r.standing_total
    << ",\"connect_ms\":" << (w.connect_ms() < 0 ? std::string("null") : num(w.connect_ms()))
    << "},\"counts\":{\"reported\":" << c.reported << ",\"closed\":" << c.closed
    << ",\"whistles\":" << c.whistles << ",\"summons\":" << c.summons
    << ",\"directives\":" << c.directives << ",\"arrivals\":" << c.arrivals
    << ",\"receipts\":" << c.receipts << ",\"hotline_posted\":" << c.hotline_posted
    << ",\"hotline_answered\":" << c.hotline_answered
    << ",\"hotline_refused\":" << c.hotline_refused << ",\"acks\":" << c.acks
    << ",\"events\":" << c.events << ",\"refused\":" << c.refused << ",\"lost\":" << c.lost
    << ",\"overflows\":" << c.overflows << "},\"errors\":{";
  bool first = true;
  for (auto& [code, n] : c.refused_by_code) {
    o << (first ? "" : ",") << '"' << code << "\":" << n;
    first = false;
  }
  auto closed = c.closed_at[0] + c.closed_at[1] + c.closed_at[2] + c.closed_at[3];
  const char* levels[] = {"grid", "village", "township", "department"};
  o << "},\"closed_at\":{";
  for (int i = 0; i < 4; ++i)
    o << (i ? "," : "") << '"' << levels[i] << "\":{\"closed\":" << c.closed_at[i]
      << ",\"share\":" << num(ratio(c.closed_at[i], closed)) << '}';
  o << "},\"latency_ms\":{";
  for (std::size_t k = 0; k < latency_kinds; ++k) {
    const auto& h = w.latencies()[k];
    o << (k ? "," : "") << '"' << to_string(static_cast<latency_kind>(k)) << "\":{\"meaning\":\""
      << latency_meaning[k] << "\",\"count\":" << h.count()
      << ",\"p50\":" << num(ms(h.percentile(50))) << ",\"p90\":" << num(ms(h.percentile(90)))
      << ",\"p99\":" << num(ms(h.percentile(99))) << ",\"p999\":" << num(ms(h.percentile(99.9)))
      << ",\"max\":" << num(ms(h.max())) << '}';
  }
  o << "},\"city\":";
  if (auto city = city_over_run(w))
    o << "{\"source\":\"the city dashboard's aggregates: the last less the first\",\"reported\":"
      << city->reported << ",\"responded\":" << city->responded
      << ",\"resolved\":" << city->resolved << ",\"rated\":" << city->rated
      << ",\"satisfied\":" << city->satisfied
      << ",\"response_rate\":" << num(ratio(city->responded, city->reported))
      << ",\"resolution_rate\":" << num(ratio(city->resolved, city->reported))
      << ",\"satisfaction_rate\":" << num(ratio(city->satisfied, city->rated)) << '}';
  else
    o << "null";
  o << ",\"series\":[";
  first = true;
  for (const auto& s : w.samples()) {
    o << (first ? "" : ",") << "{\"t\":" << num(s.t) << ",\"reported\":" << s.reported
      << ",\"acks\":" << s.acks << ",\"refused\":" << s.refused << ",\"events\":" << s.events
      << ",\"closed\":" << s.closed << ",\"report_ack_p99_ms\":" << num(ms(s.report_ack_p99_us))
      << '}';
    first = false;
  }
  o << "],\"check\":";
  if (r.check) {
    const auto& k = *r.check;
    o << "{\"passed\":" << (k.passed() ? "true" : "false") << ",\"failure\":\""
      << escaped(k.failure) << "\",\"cases\":" << k.cases << ",\"directives\":" << k.directives
      << ",\"lost\":" << k.lost << ",\"duplicated\":" << k.duplicated << ",\"wrong\":" << k.wrong
      << ",\"unconfirmed\":" << k.unconfirmed
      << ",\"duplicates_checked\":" << (k.duplicates_checked ? "true" : "false")
      << ",\"hub_cases\":" << k.hub_cases << ",\"reports\":" << k.reports << ",\"examples\":[";
    for (std::size_t i = 0; i < k.examples.size(); ++i)
      o << (i ? "," : "") << '"' << escaped(k.examples[i]) << '"';
    o << "]}";
  } else {
    o << "null";
  }
  o << "}\n";
  return o.str();
}

std::string to_html(const run_report& r) {
  const auto& w = *r.work;
  const auto& c = w.counts();
  std::ostringstream o;
  o << "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>hub-sim report</title>"
       "<style>body{font-family:sans-serif;margin:24px;max-width:900px}table{border-collapse:"
       "collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th:first-child,"
       "td:first-child{text-align:left}h2{margin-top:28px}</style></head><body>"
    << "<h1>hub-sim report</h1><p>Scenario <code>" << html_escaped(r.scenario) << "</code>, speed "
    << num(r.speed) << (r.steady ? " (steady)" : "") << ", grid connections " << r.grids
    << ", shard " << r.shard << '/' << r.shards << "; " << num(r.wall_seconds)
    << " s of wall time, simulated " << clock_text(r.sim_start) << " to " << clock_text(r.sim_end)
    << "; standing connections " << c.standing << '/' << r.standing_total;
  if (w.connect_ms() >= 0)
    o << ", all subscribed " << num(w.connect_ms()) << " ms after the start";
  o << ".</p>";
  o << "<p>Reported " << c.reported << ", closed " << c.closed << ", whistles " << c.whistles
    << ", summons seen " << c.summons << ", directives " << c.directives << " (arrivals seen "
    << c.arrivals << ", receipts " << c.receipts << "), 12345 posts " << c.hotline_posted
    << " (answered " << c.hotline_answered << "), acks " << c.acks << ", events " << c.events
    << ", refused " << c.refused << ", lost " << c.lost
    << ", send queue overflows (subscribed again from the last event seen) " << c.overflows
    << ".</p>";

  if (r.check) {
    const auto& k = *r.check;
    o << "<h2>Check: " << (k.passed() ? "passed" : "FAILED") << "</h2><p>";
    if (!k.failure.empty())
      o << "The check could not run: " << html_escaped(k.failure) << ". ";
    o << k.cases << " cases and " << k.directives << " directives asked for: lost " << k.lost
      << ", duplicated " << k.duplicated << ", wrong " << k.wrong << ", unconfirmed "
      << k.unconfirmed << '.';
    if (k.duplicates_checked)
      o << " The hub holds " << k.hub_cases << " cases reported since the start; " << k.reports
        << " reports were acknowledged.";
    o << "</p><ul>";
    for (auto& e : k.examples)
      o << "<li>" << html_escaped(e) << "</li>";
    o << "</ul>";
  }

  // Throughput over time, from the samples' differences.
  std::vector<std::pair<double, double>> reports, acks, p99;
  const auto& samples = w.samples();
  for (std::size_t i = 1; i < samples.size(); ++i) {
    double dt = samples[i].t - samples[i - 1].t;
    if (dt <= 0)
      continue;
    reports.emplace_back(samples[i].t,
                         static_cast<double>(samples[i].reported - samples[i - 1].reported) / dt);
    acks.emplace_back(samples[i].t,
                      static_cast<double>(samples[i].acks - samples[i - 1].acks) / dt);
    p99.emplace_back(samples[i].t, ms(samples[i].report_ack_p99_us));
  }
  o << "<h2>Throughput over time</h2>"
    << lines({{"reports", "#4a7bd0", reports}, {"acks", "#d0704a", acks}}, "a second")
    << "<h2>Report to ack, p99 per second</h2>" << lines({{"p99", "#4a9d5b", p99}}, "ms");

  o << "<h2>Latency percentiles</h2><table><tr><th>kind</th><th>what</th><th>count</th>"
       "<th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th></tr>";
  std::vector<std::pair<std::string, double>> p99_bars;
  for (std::size_t k = 0; k < latency_kinds; ++k) {
    const auto& h = w.latencies()[k];
    auto name = to_string(static_cast<latency_kind>(k));
    o << "<tr><td>" << name << "</td><td>" << html_escaped(latency_meaning[k]) << "</td><td>"
      << h.count() << "</td><td>" << num(ms(h.percentile(50))) << "</td><td>"
      << num(ms(h.percentile(90))) << "</td><td>" << num(ms(h.percentile(99))) << "</td><td>"
      << num(ms(h.percentile(99.9))) << "</td><td>" << num(ms(h.max())) << "</td></tr>";
    if (h.count() > 0)
      p99_bars.emplace_back(name, ms(h.percentile(99)));
  }
  o << "</table><p>p99 per kind:</p>" << bars(p99_bars, " ms");

  std::vector<std::pair<std::string, double>> errors;
  for (auto& [code, n] : c.refused_by_code)
    errors.emplace_back(code, static_cast<double>(n));
  o << "<h2>Errors by code</h2>" << bars(errors, "");

  auto closed = c.closed_at[0] + c.closed_at[1] + c.closed_at[2] + c.closed_at[3];
  const char* levels[] = {"grid", "village", "township", "department"};
  std::vector<std::pair<std::string, double>> shares;
  for (int i = 0; i < 4; ++i)
    shares.emplace_back(levels[i], closed == 0 ? 0 : 100.0 * c.closed_at[i] / closed);
  o << "<h2>Share closed at each level</h2><p>Of the " << closed
    << " closes this process had acknowledged.</p>" << bars(shares, " %");

  o << "<h2>三率 over the run</h2>";
  if (auto city = city_over_run(w))
    o << "<p>From the city dashboard's aggregates (the last less the first): reported "
      << city->reported << ", responded " << city->responded << ", resolved " << city->resolved
      << ", rated " << city->rated << ", satisfied " << city->satisfied << ".</p>"
      << bars({{"响应率 response", 100 * ratio(city->responded, city->reported)},
               {"解决率 resolution", 100 * ratio(city->resolved, city->reported)},
               {"满意率 satisfaction", 100 * ratio(city->satisfied, city->rated)}},
              " %");
  else
    o << "<p>No city dashboard in this process (shard 0 runs it), or no aggregate came.</p>";
  o << "</body></html>\n";
  return o.str();
}

} // namespace hub::sim
