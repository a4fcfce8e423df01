#include "gateway/directory.hpp"
#include "protocol/json.hpp"

#include <charconv>
#include <cstdio>

namespace hub::gateway {

namespace {

using protocol::unit_kind;

void put_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

/// Coordinates with 5 decimals (about a metre), enough for a map and a third of the bytes.
void put_coordinate(std::string& out, double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.5f", v);
  out += buf;
}

void put_unit(std::string& out, const protocol::unit& u) {
  out += '[';
  put_uint(out, u.code);
  out += ",\"";
  out += protocol::to_string(u.kind);
  out += "\",";
  put_uint(out, u.parent);
  out += ',';
  protocol::write_json_string(out, u.name);
  if (u.lat != 0 || u.lon != 0) {
    out += ',';
    put_coordinate(out, u.lat);
    out += ',';
    put_coordinate(out, u.lon);
  }
  out += ']';
}

} // namespace

protocol::unit_code watch_root(const protocol::hierarchy& h, const actors::principal& who) {
  const auto* own = h.find_unit(who.unit);
  if (own == nullptr)
    return 0;
  if (who.holds == protocol::post::hotline_operator) {
    auto path = h.path(own->code);
    return path.empty() ? 0 : path.front();
  }
  return own->kind == unit_kind::centre ? own->parent : own->code;
}

std::string directory_json(const protocol::hierarchy& h, const actors::principal& who) {
  std::string out;
  const auto root = watch_root(h, who);
  const auto* me = h.find_person(who.id);
  out.reserve(root == 0 ? 256 : 64 * 1024);
  out += "{\"me\":{\"person\":\"";
  put_uint(out, who.id);
  out += "\",\"name\":";
  protocol::write_json_string(out, me != nullptr ? std::string_view(me->name) : std::string_view{});
  out += ",\"post\":\"";
  out += protocol::to_string(who.holds);
  out += "\",\"unit\":";
  put_uint(out, who.unit);
  out += ",\"module\":";
  put_uint(out, who.module);
  out += "},\"root\":";
  put_uint(out, root);

  out += ",\"modules\":[";
  for (std::size_t i = 0; i < h.modules.size(); ++i) {
    out += i ? "," : "";
    protocol::write_json_string(out, h.modules[i].name);
  }
  out += "],\"channels\":[";
  for (std::size_t i = 0; i < h.channels.size(); ++i) {
    out += i ? "," : "";
    protocol::write_json_string(out, h.channels[i].name);
  }
  out += "],\"categories\":[";
  for (std::size_t i = 0; i < h.categories.size(); ++i) {
    const auto& c = h.categories[i];
    out += i ? ",[" : "[";
    protocol::write_json_string(out, c.code);
    out += ',';
    protocol::write_json_string(out, c.name);
    out += ',';
    put_uint(out, c.module);
    out += ']';
  }

  // The visible subtree, parents before their children (a walk from the root).
  out += "],\"units\":[";
  if (auto at = h.index_of(root); root != 0 && at != h.no_unit) {
    std::vector<std::uint32_t> todo{at};
    bool first = true;
    while (!todo.empty()) {
      auto i = todo.back();
      todo.pop_back();
      out += first ? "" : ",";
      first = false;
      put_unit(out, h.units[i]);
      const auto& kids = h.children_at(i);
      todo.insert(todo.end(), kids.rbegin(), kids.rend());
    }
  }

  // The departments of the person's county, which a township summons by a whistle.
  out += "],\"departments\":[";
  if (const auto* county = h.ancestor_of_kind(who.unit, unit_kind::county)) {
    bool first = true;
    for (auto i : h.children(county->code)) {
      const auto& d = h.units[i];
      if (d.kind != unit_kind::department)
        continue;
      out += first ? "[" : ",[";
      first = false;
      put_uint(out, d.code);
      out += ',';
      protocol::write_json_string(out, d.name);
      out += ",[";
      for (std::size_t m = 0; m < d.modules.size(); ++m) {
        out += m ? "," : "";
        put_uint(out, d.modules[m]);
      }
      out += "]]";
    }
  }
  out += "]}\n";
  return out;
}

} // namespace hub::gateway
