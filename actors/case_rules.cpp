#include "actors/case_rules.hpp"

#include <algorithm>
#include <initializer_list>

namespace hub::actors {

using protocol::case_action;
using protocol::case_state;
using protocol::errc;
using protocol::post;
using protocol::unit_kind;

namespace {

// -- who may do what ------------------------------------------------------------------------

bool one_of(post p, std::initializer_list<post> posts) {
  return std::find(posts.begin(), posts.end(), p) != posts.end();
}

/// People who work a case at a holder of `kind`: sign, start, resolve.
bool handles(unit_kind kind, post p) {
  switch (kind) {
    case unit_kind::grid:
      return one_of(
          p, {post::grid_head, post::grid_fulltime, post::grid_parttime, post::grid_instructor});
    case unit_kind::village:
      return one_of(p, {post::village_secretary, post::village_discipline, post::village_publicity,
                        post::village_security, post::village_environment, post::village_property,
                        post::village_grid_affairs});
    case unit_kind::township:
      return one_of(p, {post::township_head, post::township_module_head, post::township_operator});
    case unit_kind::department: return one_of(p, {post::department_head, post::department_staff});
    case unit_kind::centre: return p == post::centre_operator;
    default: return false;
  }
}

/// People who decide for a holder of `kind`: escalate, return, dispatch, reject, close.
bool leads(unit_kind kind, post p) {
  switch (kind) {
    case unit_kind::grid: return one_of(p, {post::grid_head, post::grid_instructor});
    case unit_kind::village: return p == post::village_secretary;
    case unit_kind::township:
      return one_of(p, {post::township_head, post::township_module_head, post::township_operator});
    case unit_kind::department: return p == post::department_head;
    case unit_kind::centre: return p == post::centre_operator;
    default: return false;
  }
}

/// People who may report a new case at a unit of `kind` where they are posted.
bool reports(unit_kind kind, post p) {
  if (kind == unit_kind::centre)
    return one_of(p, {post::hotline_operator, post::centre_operator});
  if (kind == unit_kind::township)
    return one_of(p, {post::township_operator, post::township_head});
  return (kind == unit_kind::grid || kind == unit_kind::village) && handles(kind, p);
}

/// The unit whose subtree a supervisor oversees: a centre operator oversees the centre's
/// county (or the city).
protocol::unit_code oversight_root(const protocol::hierarchy& h, const principal& who) {
  auto* u = h.find_unit(who.unit);
  if (u != nullptr && u->kind == unit_kind::centre)
    return u->parent;
  return who.unit;
}

/// True when `who` supervises the holder `holder` (may remind): a leader or centre above it.
bool supervises(const protocol::hierarchy& h, const principal& who, protocol::unit_code holder) {
  if (!one_of(who.holds,
              {post::city_leader, post::county_leader, post::centre_operator, post::township_head}))
    return false;
  auto root = oversight_root(h, who);
  if (holder == root)
    return false;
  auto* u = h.find_unit(holder);
  // A department sits beside the tree: its county oversees it.
  return u != nullptr && (h.within(holder, root) || h.within(u->parent, root));
}

/// True when `who` may close or reopen `c`: the hotline (or the centre that received it) for
/// hotline cases, the holder's leaders otherwise.
bool owns(const protocol::hierarchy& h, const principal& who, const case_record& c,
          unit_kind holder_kind) {
  if (c.hotline)
    return who.holds == post::hotline_operator ||
           (who.holds == post::centre_operator && who.unit == c.origin);
  (void)h;
  return who.unit == c.holder && leads(holder_kind, who.holds);
}

// -- small helpers --------------------------------------------------------------------------

refusal forbidden(std::string reason) { return {errc::forbidden, std::move(reason)}; }

refusal wrong_state(const case_record& c, case_action a) {
  return {errc::invalid_transition, "cannot " + std::string(protocol::to_string(a)) +
                                        " a case that is " +
                                        std::string(protocol::to_string(c.state))};
}

bool in(case_state s, std::initializer_list<case_state> states) {
  return std::find(states.begin(), states.end(), s) != states.end();
}

/// States in which the holder is working the case.
constexpr std::initializer_list<case_state> working = {
    case_state::signed_for, case_state::in_progress, case_state::reopened};

case_step stay(const case_record& c, case_state next, case_clock clock = case_clock::keep) {
  return {next, c.holder, clock, false};
}

/// May the holder `from` (of kind `from_kind`) dispatch a case to `to`?
bool may_dispatch(const protocol::hierarchy& h, const protocol::unit& from,
                  const protocol::unit& to) {
  switch (from.kind) {
    case unit_kind::centre: // a centre dispatches to townships and departments in its scope
      return (to.kind == unit_kind::township || to.kind == unit_kind::department) &&
             (h.within(to.code, from.parent) || h.within(to.parent, from.parent));
    case unit_kind::township: return to.kind == unit_kind::village && to.parent == from.code;
    case unit_kind::village: return to.kind == unit_kind::grid && to.parent == from.code;
    default: return false;
  }
}

} // namespace

// -- decisions ------------------------------------------------------------------------------

case_level level_of(unit_kind kind) {
  switch (kind) {
    case unit_kind::grid: return case_level::grid;
    case unit_kind::village: return case_level::village;
    case unit_kind::township: return case_level::township;
    default: return case_level::department;
  }
}

std::uint32_t limit_seconds(const protocol::hierarchy& h, const case_record& c, case_clock clock,
                            unit_kind holder_kind) {
  const auto& l = h.categories.at(c.category).limits[static_cast<std::size_t>(c.urgency)];
  switch (clock) {
    case case_clock::sign: return holder_kind == unit_kind::department ? l.department_sign : l.sign;
    case case_clock::whistle: return l.whistle;
    case case_clock::rating: return l.rating;
    case case_clock::handle:
      switch (holder_kind) {
        case unit_kind::grid: return l.grid;
        case unit_kind::village: return l.village;
        case unit_kind::township: return l.township;
        default: return l.whistle;
      }
    default: return 0;
  }
}

std::optional<refusal> decide_report(const protocol::hierarchy& h, const principal& who,
                                     const protocol::case_report& r) {
  auto* u = h.find_unit(r.unit);
  if (u == nullptr)
    return refusal{errc::unknown_unit, "no unit " + std::to_string(r.unit)};
  if (h.find_category(r.category) == nullptr)
    return refusal{errc::invalid_argument, "no case category '" + r.category + "'"};
  if (who.unit != r.unit || !reports(u->kind, who.holds))
    return forbidden("a " + std::string(protocol::to_string(who.holds)) +
                     " cannot report a case at " + u->name);
  return std::nullopt;
}

std::variant<case_step, refusal> decide(const protocol::hierarchy& h, const case_record& c,
                                        const principal& who, const protocol::case_act& act) {
  auto* holder = h.find_unit(c.holder);
  if (holder == nullptr)
    return refusal{errc::internal, "case holder unknown"};
  const auto kind = holder->kind;
  const bool at_holder = who.unit == c.holder;
  const bool system = who.is_system();
  const auto action = act.action;
  if (c.terminal() && action != case_action::reopen && action != case_action::rate)
    return wrong_state(c, action);
  switch (action) {
    case case_action::report:
      return refusal{errc::invalid_argument, "report is not an action on a held case"};
    case case_action::report_in:
    case case_action::feedback: {
      // A summoned department's own steps, decided here by the holder like every other step,
      // so that the event and the ack come from the one commit that stores them.
      auto task = std::find_if(c.whistle.begin(), c.whistle.end(),
                               [&](const whistle_task& t) { return t.department == who.unit; });
      if (task == c.whistle.end())
        return forbidden("only a department summoned to this case reports in and feeds back");
      if (c.state != case_state::whistle_blown)
        return wrong_state(c, action);
      auto stage = decide_task(h, *task, who, act);
      if (auto* no = std::get_if<refusal>(&stage))
        return std::move(*no);
      return stay(c, case_state::whistle_blown);
    }
    case case_action::triage:
      if (kind != unit_kind::centre || !at_holder || who.holds != post::centre_operator)
        return forbidden("only the centre holding a hotline case triages it");
      if (c.state != case_state::reported)
        return wrong_state(c, action);
      return stay(c, case_state::triaged, case_clock::sign);
    case case_action::dispatch: {
      if (!at_holder || !leads(kind, who.holds))
        return forbidden("only the holder's leaders dispatch a case");
      if (!in(c.state, {case_state::reported, case_state::triaged, case_state::return_requested,
                        case_state::signed_for}))
        return wrong_state(c, action);
      auto* to = h.find_unit(act.unit);
      if (to == nullptr)
        return refusal{errc::unknown_unit, "no unit " + std::to_string(act.unit)};
      if (!may_dispatch(h, *holder, *to))
        return forbidden(holder->name + " cannot dispatch to " + to->name);
      return case_step{case_state::dispatched, to->code, case_clock::sign, false};
    }
    case case_action::sign:
      if (!at_holder || !handles(kind, who.holds) || kind == unit_kind::centre)
        return forbidden("only the holder's staff sign for a case");
      if (!in(c.state,
              {case_state::reported, case_state::dispatched, case_state::return_requested}))
        return wrong_state(c, action);
      return stay(c, case_state::signed_for, case_clock::handle);
    case case_action::start:
      if (!at_holder || !handles(kind, who.holds))
        return forbidden("only the holder's staff work a case");
      if (!in(c.state, {case_state::signed_for, case_state::reopened}))
        return wrong_state(c, action);
      return stay(c, case_state::in_progress);
    case case_action::resolve:
      if (!at_holder || !handles(kind, who.holds) || kind == unit_kind::centre)
        return forbidden("only the holder's staff resolve a case");
      if (c.state == case_state::whistle_blown && !c.whistle.empty()) {
        // After a whistle the township confirms the departments' result; that starts the
        // rating clock (评哨).
        auto waiting = std::count_if(c.whistle.begin(), c.whistle.end(), [](const whistle_task& t) {
          return t.at != whistle_task::stage::fed_back;
        });
        if (waiting != 0)
          return refusal{errc::invalid_transition,
                         std::to_string(waiting) + " of the summoned departments " +
                             (waiting == 1 ? "has" : "have") + " not fed back yet"};
        return stay(c, case_state::resolved, case_clock::rating);
      }
      if (!in(c.state, working))
        return wrong_state(c, action);
      return stay(c, case_state::resolved, case_clock::stop);
    case case_action::escalate: {
      if (kind != unit_kind::grid && kind != unit_kind::village)
        return forbidden(kind == unit_kind::township
                             ? std::string("a township escalates by blowing the whistle")
                             : "a " + std::string(protocol::to_string(kind)) + " cannot escalate");
      if (!at_holder || !leads(kind, who.holds))
        return forbidden(kind == unit_kind::grid ? "only the grid head or instructor escalates"
                                                 : "only the village secretary escalates");
      if (!in(c.state, {case_state::reported, case_state::signed_for, case_state::in_progress,
                        case_state::reopened}))
        return wrong_state(c, action);
      return case_step{case_state::dispatched, holder->parent, case_clock::sign, false};
    }
    case case_action::propose_whistle: {
      if (kind != unit_kind::township)
        return forbidden("only a township blows the whistle");
      if (!at_holder || who.holds != post::township_module_head)
        return forbidden("only a township module head proposes a whistle");
      if (!in(c.state, working))
        return wrong_state(c, action);
      if (act.departments.empty())
        return refusal{errc::invalid_argument, "a whistle needs at least one department"};
      for (std::size_t i = 0; i < act.departments.size(); ++i) {
        auto* d = h.find_unit(act.departments[i]);
        if (d == nullptr || d->kind != unit_kind::department)
          return refusal{errc::unknown_unit, "no department " + std::to_string(act.departments[i])};
        if (d->parent != holder->parent)
          return forbidden(d->name + " is not a department of this township's county");
        for (std::size_t j = 0; j < i; ++j)
          if (act.departments[j] == act.departments[i])
            return refusal{errc::invalid_argument, d->name + " is named twice"};
      }
      return stay(c, case_state::escalation_requested);
    }
    case case_action::approve_whistle:
    case case_action::decline_whistle:
      if (!at_holder || who.holds != post::township_head)
        return forbidden("only the township head approves or declines a whistle");
      if (c.state != case_state::escalation_requested)
        return wrong_state(c, action);
      if (action == case_action::decline_whistle)
        return stay(c, case_state::in_progress);
      return case_step{case_state::whistle_blown, c.holder, case_clock::whistle, true};
    case case_action::rate: {
      if (!at_holder || kind != unit_kind::township || !leads(kind, who.holds))
        return forbidden("only the township that blew the whistle rates the departments");
      if (!in(c.state, {case_state::resolved, case_state::closed}))
        return refusal{errc::invalid_transition,
                       "cannot rate a case that is " + std::string(protocol::to_string(c.state)) +
                           ": confirm the departments' result (resolve) first"};
      auto task = std::find_if(c.whistle.begin(), c.whistle.end(),
                               [&](const whistle_task& t) { return t.department == act.unit; });
      if (task == c.whistle.end())
        return refusal{errc::invalid_argument, "that department was not summoned"};
      if (task->at != whistle_task::stage::fed_back || task->score != 0)
        return refusal{errc::invalid_transition, task->score != 0
                                                     ? "that department is already rated"
                                                     : "that department has not fed back yet"};
      if (act.score < 1 || act.score > 5)
        return refusal{errc::invalid_argument, "a rating is 1..5"};
      return stay(c, c.state);
    }
    case case_action::close:
      if (!owns(h, who, c, kind))
        return forbidden(c.hotline ? "the hotline closes its own cases"
                                   : "only the holder's leaders close a case");
      if (c.state != case_state::resolved)
        return wrong_state(c, action);
      return stay(c, case_state::closed, case_clock::stop);
    case case_action::reopen:
      if (!owns(h, who, c, kind))
        return forbidden(c.hotline ? "the hotline reopens its own cases"
                                   : "only the holder's leaders reopen a case");
      if (!in(c.state, {case_state::resolved, case_state::closed}))
        return wrong_state(c, action);
      return stay(c, case_state::reopened, case_clock::handle);
    case case_action::return_case:
      if (!at_holder || !leads(kind, who.holds))
        return forbidden("only the holder's leaders return a case");
      if (c.sender == 0 || c.sender == c.holder)
        return refusal{errc::invalid_transition,
                       "the case was reported here: nobody to return it to"};
      if (!in(c.state, {case_state::dispatched, case_state::signed_for}))
        return wrong_state(c, action);
      return case_step{case_state::return_requested, c.sender, case_clock::sign, false};
    case case_action::reject:
    case case_action::mark_duplicate:
      if (!at_holder || !leads(kind, who.holds))
        return forbidden("only the holder's leaders reject a case or mark it a duplicate");
      if (!in(c.state, {case_state::reported, case_state::triaged, case_state::dispatched,
                        case_state::return_requested}))
        return wrong_state(c, action);
      if (action == case_action::mark_duplicate && act.duplicate_of == c.id)
        return refusal{errc::invalid_argument, "a case cannot duplicate itself"};
      return stay(c, action == case_action::reject ? case_state::rejected : case_state::duplicate,
                  case_clock::stop);
    case case_action::remind:
      if (!system && !supervises(h, who, c.holder))
        return forbidden("only a supervising leader or centre reminds");
      return stay(c, c.state);
    case case_action::supervise:
      if (!system && !supervises(h, who, c.holder))
        return forbidden("only a supervising leader or centre raises supervision");
      return stay(c, c.state);
  }
  return refusal{errc::internal, "unhandled action"};
}

std::variant<whistle_task::stage, refusal> decide_task(const protocol::hierarchy& h,
                                                       const whistle_task& task,
                                                       const principal& who,
                                                       const protocol::case_act& act) {
  (void)h;
  if (who.unit != task.department ||
      !one_of(who.holds, {post::department_head, post::department_staff}))
    return forbidden("only the summoned department reports in and feeds back");
  if (act.action == case_action::report_in) {
    if (task.at != whistle_task::stage::summoned)
      return refusal{errc::invalid_transition, "already reported in"};
    return whistle_task::stage::reported_in;
  }
  if (act.action == case_action::feedback) {
    if (task.at != whistle_task::stage::reported_in)
      return refusal{errc::invalid_transition, task.at == whistle_task::stage::summoned
                                                   ? "report in before feeding back"
                                                   : "already fed back"};
    return whistle_task::stage::fed_back;
  }
  return refusal{errc::invalid_argument, "not a department's action"};
}

} // namespace hub::actors
