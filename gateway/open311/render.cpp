#include "gateway/open311/render.hpp"
#include "protocol/json.hpp"

#include <cstdio>
#include <ctime>

namespace hub::open311 {

namespace {

void xml_escape(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out += c;
    }
  }
}

constexpr const char* xml_declaration = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";

// Days since 1970-01-01 of a civil date, and back (Howard Hinnant's algorithms).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

constexpr std::int64_t zone_seconds = 8 * 3600; // Xinyang: China Standard Time, no DST

} // namespace

value number(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", d);
  return {value::kind::number, buf, nullptr};
}

value number(std::uint64_t n) { return {value::kind::number, std::to_string(n), nullptr}; }

value list(document d) {
  value v;
  v.is = value::kind::list;
  v.items = std::make_shared<const document>(std::move(d));
  return v;
}

namespace {

void xml_list(std::string& out, const document& d);

void xml_fields(std::string& out, const record& r) {
  for (const auto& fl : r) {
    out += '<' + fl.name + '>';
    if (fl.v.is == value::kind::list)
      xml_list(out, *fl.v.items);
    else
      xml_escape(out, fl.v.text);
    out += "</" + fl.name + '>';
  }
}

// The records of `d`, each in its item element (the list's own element is the caller's).
void xml_list(std::string& out, const document& d) {
  for (const auto& r : d.records) {
    out += '<' + d.item + '>';
    xml_fields(out, r);
    out += "</" + d.item + '>';
  }
}

void json_list(std::string& out, const document& d);

void json_object(std::string& out, const record& r) {
  out += '{';
  bool first = true;
  for (const auto& fl : r) {
    if (!first)
      out += ',';
    first = false;
    protocol::write_json_string(out, fl.name);
    out += ':';
    if (fl.v.is == value::kind::text)
      protocol::write_json_string(out, fl.v.text);
    else if (fl.v.is == value::kind::list)
      json_list(out, *fl.v.items);
    else
      out += fl.v.text;
  }
  out += '}';
}

void json_list(std::string& out, const document& d) {
  out += '[';
  bool first = true;
  for (const auto& r : d.records) {
    if (!first)
      out += ',';
    first = false;
    json_object(out, r);
  }
  out += ']';
}

} // namespace

std::string render(format f, const document& d) {
  std::string out;
  if (f == format::xml) {
    out += xml_declaration;
    out += '<' + d.list + '>';
    xml_list(out, d);
    out += "</" + d.list + ">\n";
  } else {
    json_list(out, d);
    out += '\n';
  }
  return out;
}

std::string render_object(format f, std::string_view root, const record& r) {
  std::string out;
  if (f == format::xml) {
    out += xml_declaration;
    out += '<' + std::string(root) + '>';
    xml_fields(out, r);
    out += "</" + std::string(root) + ">\n";
  } else {
    json_object(out, r);
    out += '\n';
  }
  return out;
}

std::string render_error(format f, int code, std::string_view description) {
  document d{"errors", "error", {}};
  d.records.push_back({{"code", number(static_cast<std::uint64_t>(code))},
                       {"description", text(std::string(description))}});
  return render(f, d);
}

const char* content_type(format f) {
  return f == format::xml ? "text/xml; charset=utf-8" : "application/json; charset=utf-8";
}

std::string iso_time(protocol::timestamp_ms t) {
  std::int64_t s = (t >= 0 ? t / 1000 : (t - 999) / 1000) + zone_seconds;
  std::time_t tt = static_cast<std::time_t>(s);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d+08:00", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::optional<protocol::timestamp_ms> parse_iso_time(std::string_view s) {
  auto digits = [&](std::size_t at, std::size_t n, int& out) {
    if (at + n > s.size())
      return false;
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (s[i] < '0' || s[i] > '9')
        return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, sec;
  if (!digits(0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(5, 2, mo) || s[7] != '-' ||
      !digits(8, 2, d) || (s[10] != 'T' && s[10] != ' ') || !digits(11, 2, h) || s[13] != ':' ||
      !digits(14, 2, mi) || s[16] != ':' || !digits(17, 2, sec))
    return std::nullopt;
  static constexpr int month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo < 1 || mo > 12 || d < 1 || d > month_days[mo - 1] || (mo == 2 && d == 29 && !leap) ||
      h > 23 || mi > 59 || sec > 59)
    return std::nullopt;
  std::size_t at = 19;
  std::int64_t ms = 0;
  if (at < s.size() && s[at] == '.') {
    ++at;
    std::size_t start = at;
    std::int64_t scale = 100;
    while (at < s.size() && s[at] >= '0' && s[at] <= '9') {
      ms += (s[at] - '0') * scale;
      scale /= 10;
      ++at;
    }
    if (at == start)
      return std::nullopt;
  }
  std::int64_t offset = 0;
  if (at < s.size() && s[at] == 'Z') {
    ++at;
  } else if (at < s.size() && (s[at] == '+' || s[at] == '-')) {
    int oh, om;
    if (!digits(at + 1, 2, oh) || at + 3 >= s.size() || s[at + 3] != ':' ||
        !digits(at + 4, 2, om) || oh > 14 || om > 59)
      return std::nullopt;
    offset = (oh * 3600 + om * 60) * (s[at] == '+' ? 1 : -1);
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != s.size())
    return std::nullopt;
  std::int64_t secs =
      days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 +
      mi * 60 + sec - offset;
  return secs * 1000 + ms;
}

} // namespace hub::open311
