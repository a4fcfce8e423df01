#include "actors/directive.hpp"

namespace hub::actors {

using protocol::errc;
using protocol::post;
using protocol::target_kind;
using protocol::unit_kind;

namespace {

/// Depth of a kind in the tree; departments and centres sit beside townships, under a county.
int rank(unit_kind k) {
  switch (k) {
    case unit_kind::city: return 0;
    case unit_kind::county: return 1;
    case unit_kind::village: return 3;
    case unit_kind::grid: return 4;
    default: return 2;
  }
}

/// The kind of unit where people holding `p` are posted.
unit_kind posted_at(post p) {
  switch (p) {
    case post::grid_head:
    case post::grid_fulltime:
    case post::grid_parttime:
    case post::grid_instructor: return unit_kind::grid;
    case post::township_head:
    case post::township_module_head:
    case post::township_operator: return unit_kind::township;
    case post::department_head:
    case post::department_staff: return unit_kind::department;
    case post::county_leader: return unit_kind::county;
    case post::city_leader: return unit_kind::city;
    case post::centre_operator:
    case post::hotline_operator: return unit_kind::centre;
    default: return unit_kind::village;
  }
}

bool beside_tree(unit_kind k) { return k == unit_kind::department || k == unit_kind::centre; }

/// True when unit index `u` lies in the subtree of one of the target's scope roots.
bool in_scope(const protocol::hierarchy& h, const directive_info& d, std::uint32_t u) {
  for (auto root : d.what.target.units)
    if (h.within_at(u, h.index_of(root)))
      return true;
  return false;
}

} // namespace

std::optional<protocol::unit_code> issuing_unit(const protocol::hierarchy& h,
                                                const principal& who) {
  auto* u = h.find_unit(who.unit);
  if (u == nullptr)
    return std::nullopt;
  switch (who.holds) {
    case post::city_leader:
    case post::county_leader:
    case post::township_head: return u->code;
    case post::centre_operator: return u->parent;
    default: return std::nullopt;
  }
}

std::optional<refusal> check_target(const protocol::hierarchy& h, protocol::unit_code issuer_unit,
                                    const protocol::directive_issue& d) {
  if (d.channel >= protocol::channel_count)
    return refusal{errc::out_of_range, "no command channel " + std::to_string(d.channel)};
  const auto& t = d.target;
  if (t.kind == target_kind::people) {
    if (t.people.empty())
      return refusal{errc::invalid_argument, "name at least one person"};
    for (auto id : t.people) {
      auto* p = h.find_person(id);
      if (p == nullptr)
        return refusal{errc::invalid_argument, "no person " + std::to_string(id)};
      if (!h.within(p->unit, issuer_unit))
        return refusal{errc::forbidden, p->name + " is outside the issuer's jurisdiction"};
    }
    return std::nullopt;
  }
  if (t.units.empty())
    return refusal{errc::invalid_argument, "name at least one unit as the target's scope"};
  for (auto code : t.units) {
    if (h.find_unit(code) == nullptr)
      return refusal{errc::unknown_unit, "no unit " + std::to_string(code)};
    if (!h.within(code, issuer_unit))
      return refusal{errc::forbidden,
                     "unit " + std::to_string(code) + " is outside the issuer's jurisdiction"};
  }
  if (t.kind == target_kind::module && t.module >= protocol::module_count)
    return refusal{errc::out_of_range, "no module " + std::to_string(t.module)};
  return std::nullopt;
}

std::vector<recipient> recipients_at(const protocol::hierarchy& h, const directive_info& d,
                                     const protocol::unit& u) {
  std::vector<recipient> out;
  const auto& t = d.what.target;
  const auto ui = h.index_of(u);
  auto people_where = [&](auto&& pred) {
    for (auto i : h.people_at(u.code))
      if (pred(h.people[i]))
        out.push_back({u.code, h.people[i].id});
  };
  switch (t.kind) {
    case target_kind::subtree:
      if (!beside_tree(u.kind) && in_scope(h, d, ui))
        out.push_back({u.code, 0});
      break;
    case target_kind::level:
      if (u.kind == t.level && in_scope(h, d, ui))
        out.push_back({u.code, 0});
      break;
    case target_kind::module:
      if (u.kind == unit_kind::township && in_scope(h, d, ui))
        people_where([&](const protocol::person& p) {
          return p.holds == post::township_module_head && p.module == t.module;
        });
      break;
    case target_kind::post:
      if (u.kind == posted_at(t.holder) && in_scope(h, d, ui))
        people_where([&](const protocol::person& p) { return p.holds == t.holder; });
      break;
    case target_kind::people:
      for (auto id : t.people) {
        auto* p = h.find_person(id);
        if (p != nullptr && p->unit == u.code)
          out.push_back({u.code, id});
      }
      break;
  }
  return out;
}

bool reaches(const protocol::hierarchy& h, const directive_info& d, const protocol::unit& child) {
  const auto& t = d.what.target;
  if (t.kind == target_kind::people) {
    for (auto id : t.people) {
      auto* p = h.find_person(id);
      if (p != nullptr && h.within(p->unit, child.code))
        return true;
    }
    return false;
  }
  bool on_path = false; // child is inside the scope, or above a scope root
  const auto ci = h.index_of(child);
  for (auto root : t.units)
    if (auto ri = h.index_of(root); h.within_at(ci, ri) || h.within_at(ri, ci)) {
      on_path = true;
      break;
    }
  if (!on_path)
    return false;
  if (beside_tree(child.kind)) // no children: only the unit itself can be a recipient
    return !recipients_at(h, d, child).empty();
  switch (t.kind) {
    case target_kind::subtree: return true;
    case target_kind::level: return rank(child.kind) <= rank(t.level);
    case target_kind::module: return rank(child.kind) <= rank(unit_kind::township);
    case target_kind::post: return rank(child.kind) <= rank(posted_at(t.holder));
    case target_kind::people: break;
  }
  return false;
}

std::vector<recipient> all_recipients(const protocol::hierarchy& h, const directive_info& d,
                                      protocol::unit_code from) {
  std::vector<recipient> out;
  std::vector<const protocol::unit*> stack;
  if (auto* u = h.find_unit(from))
    stack.push_back(u);
  while (!stack.empty()) {
    auto* u = stack.back();
    stack.pop_back();
    for (auto& r : recipients_at(h, d, *u))
      out.push_back(r);
    for (auto i : h.children_at(h.index_of(*u)))
      if (reaches(h, d, h.units[i]))
        stack.push_back(&h.units[i]);
  }
  return out;
}

bool answers_for(const protocol::hierarchy& h, const principal& who, const recipient& r) {
  (void)h;
  if (r.person != 0)
    return who.id == r.person;
  return who.unit == r.unit;
}

} // namespace hub::actors
