#pragma once

// Vocabulary shared by every layer: identifiers and the enumerations that appear on the wire
// and in the hierarchy file. Each enumeration has one table of wire names; `to_string` and
// `parse` are the only ways across the text boundary, so a name is spelled in one place.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace hub::protocol {

// -- identifiers ----------------------------------------------------------------------------

/// Administrative division code of a unit: city 411500, county 411502, township 411502001,
/// village 411502001001, grid 411502001001001; departments and centres are 9-digit codes in
/// their county's 9xx range (see protocol/README.md).
using unit_code = std::uint64_t;
/// A person (user) of the hierarchy file.
using person_id = std::uint64_t;
/// Cases and directives are numbered by the hub; 0 means "none".
using case_id = std::uint64_t;
using directive_id = std::uint64_t;
/// Milliseconds since the Unix epoch, UTC.
using timestamp_ms = std::int64_t;

// -- enumerations ---------------------------------------------------------------------------

enum class unit_kind : std::uint8_t { city, county, township, village, grid, department, centre };

/// Posts of people. The role a person acts in follows from the post and its unit.
enum class post : std::uint8_t {
  // grid staff, "一长三员"
  grid_head,       // 网格长
  grid_fulltime,   // 专职网格员
  grid_parttime,   // 兼职网格员
  grid_instructor, // 网格指导员
  // village "两委" cadres
  village_secretary,    // 党支部书记(主任)
  village_discipline,   // 纪检(组织)委员
  village_publicity,    // 宣统委员
  village_security,     // 综治主任
  village_environment,  // 环保主任
  village_property,     // 物业主任 (communities only)
  village_grid_affairs, // 网格事务长 (communities only)
  // township
  township_head,        // 乡镇长 / 街道办主任: approves whistles
  township_module_head, // 模块负责人: proposes whistles for the module
  township_operator,    // 社会治理室
  // county departments and centres
  department_head,
  department_staff,
  county_leader,
  centre_operator, // 社会治理中心 (county or city centre)
  city_leader,
  hotline_operator, // 12345
};

enum class urgency : std::uint8_t { normal, urgent };

/// Where a case stands. The lifecycle is specified in protocol/README.md.
enum class case_state : std::uint8_t {
  reported,             // NEW 上报
  triaged,              // TRIAGED 受理
  dispatched,           // DISPATCHED 派单
  signed_for,           // SIGNED 签收
  in_progress,          // IN_PROGRESS 办理
  resolved,             // RESOLVED 反馈
  closed,               // CLOSED 办结
  escalation_requested, // ESCALATION_REQUESTED 吹哨申请
  whistle_blown,        // WHISTLE_BLOWN 待应哨
  return_requested,     // RETURN_REQUESTED 退单
  reopened,             // REOPENED 重办
  rejected,             // REJECTED
  duplicate,            // DUPLICATE
};

/// Everything a person (or the hub's clock) can do to a case.
enum class case_action : std::uint8_t {
  report,          // create the case
  triage,          // accept a hotline case for handling (centre)
  dispatch,        // send a case to a chosen unit (centre, or a unit to a child)
  sign,            // the holder signs for the case
  start,           // the holder starts work
  resolve,         // the holder reports a result
  escalate,        // hand the case to the parent unit
  propose_whistle, // township module head asks to blow the whistle to departments
  approve_whistle, // township head approves and blows
  decline_whistle, // township head declines; the case stays at the township
  report_in,       // an addressed department signs for the whistle (报到)
  feedback,        // an addressed department reports its result
  rate,            // the township rates one department's response (评哨)
  close,           // the owner closes the case
  reopen,          // the owner (or 12345) is not satisfied
  return_case,     // the holder was wrongly assigned (退单), with a reason
  reject,          // the case is not admissible
  mark_duplicate,  // the case repeats another
  remind,          // 催办: a reminder (automatic at the deadline, or by a supervisor)
  supervise,       // 督办: raised to supervision (automatic, a further limit after overdue)
};

enum class directive_action : std::uint8_t { issue, sign, complete, remind };

/// How a directive chooses its recipients.
enum class target_kind : std::uint8_t {
  subtree, // every unit in the subtrees of `units`
  level,   // every unit of `level` under `units` (e.g. all townships of a county)
  module,  // the head of `module` in every township under `units`
  post,    // every person holding `post` under `units` (e.g. all 综治主任)
  people,  // the named `people`
};

/// The traffic light of a deadline.
enum class deadline_colour : std::uint8_t { green, yellow, red };

/// The highest level a case reached ("微事不出格、小事不出村、大事不出乡").
enum class case_level : std::uint8_t { grid, village, township, department };

/// What a query asks (protocol/README.md, "query").
enum class query_kind : std::uint8_t {
  one_case,   // "case": one case with its history
  cases,      // the cases of a unit's subtree
  directive,  // one directive with its receipts
  directives, // the directives a unit issued, or its inbox
  figures,    // a unit's figures with its children's, over a period
  ranking,    // the units of one kind under a unit, ordered by one rate (两比)
};

/// The days a "figures" or "ranking" query counts (Asia/Shanghai days, UTC+8, no DST).
enum class figure_period : std::uint8_t {
  today, // the day of the answer (the default)
  week,  // from this week's Monday through today
  month, // from the first of this month through today
  all,   // every day
  days,  // from the day of the query's `from` through the day of its `to`
};

/// What a ranking orders by (protocol/README.md, "query": ranking).
enum class rank_by : std::uint8_t {
  resolution,   // resolved / reported, highest first (the default)
  satisfaction, // satisfied / rated, highest first
  response,     // responded / reported, highest first
  overdue,      // overdue / reported, lowest first
  answered,     // whistles answered (resolved), most first
  rating,       // the average rating (评哨), highest first
};

/// Which directives a "directives" query lists.
enum class directive_box : std::uint8_t {
  inbox,  // those addressed to the unit, with its own receipts (the default)
  issued, // those the unit issued, with the issuer's tally
};

/// Which cases a list query keeps, by state.
enum class case_status : std::uint8_t {
  open, // not closed, rejected or a duplicate (the default)
  done, // closed, rejected or a duplicate
  all,
};

/// The order of a case list.
enum class case_order : std::uint8_t {
  deadline, // earliest deadline first; cases without one last (the default)
  changed,  // most recently changed first
};

// -- wire names -----------------------------------------------------------------------------

template <class Enum>
struct enum_names; // specialised below: a std::array of the wire names, in enum order

#define HUB_ENUM_NAMES(Enum, ...)                                                                  \
  template <>                                                                                      \
  struct enum_names<Enum> {                                                                        \
    static constexpr std::array names{__VA_ARGS__};                                                \
  }

using namespace std::string_view_literals;

HUB_ENUM_NAMES(unit_kind, "city"sv, "county"sv, "township"sv, "village"sv, "grid"sv, "department"sv,
               "centre"sv);
HUB_ENUM_NAMES(post, "grid_head"sv, "grid_fulltime"sv, "grid_parttime"sv, "grid_instructor"sv,
               "village_secretary"sv, "village_discipline"sv, "village_publicity"sv,
               "village_security"sv, "village_environment"sv, "village_property"sv,
               "village_grid_affairs"sv, "township_head"sv, "township_module_head"sv,
               "township_operator"sv, "department_head"sv, "department_staff"sv, "county_leader"sv,
               "centre_operator"sv, "city_leader"sv, "hotline_operator"sv);
HUB_ENUM_NAMES(urgency, "normal"sv, "urgent"sv);
HUB_ENUM_NAMES(case_state, "reported"sv, "triaged"sv, "dispatched"sv, "signed"sv, "in_progress"sv,
               "resolved"sv, "closed"sv, "escalation_requested"sv, "whistle_blown"sv,
               "return_requested"sv, "reopened"sv, "rejected"sv, "duplicate"sv);
HUB_ENUM_NAMES(case_action, "report"sv, "triage"sv, "dispatch"sv, "sign"sv, "start"sv, "resolve"sv,
               "escalate"sv, "propose_whistle"sv, "approve_whistle"sv, "decline_whistle"sv,
               "report_in"sv, "feedback"sv, "rate"sv, "close"sv, "reopen"sv, "return"sv, "reject"sv,
               "mark_duplicate"sv, "remind"sv, "supervise"sv);
HUB_ENUM_NAMES(directive_action, "issue"sv, "sign"sv, "complete"sv, "remind"sv);
HUB_ENUM_NAMES(target_kind, "subtree"sv, "level"sv, "module"sv, "post"sv, "people"sv);
HUB_ENUM_NAMES(deadline_colour, "green"sv, "yellow"sv, "red"sv);
HUB_ENUM_NAMES(case_level, "grid"sv, "village"sv, "township"sv, "department"sv);
HUB_ENUM_NAMES(query_kind, "case"sv, "cases"sv, "directive"sv, "directives"sv, "figures"sv,
               "ranking"sv);
HUB_ENUM_NAMES(figure_period, "today"sv, "week"sv, "month"sv, "all"sv, "days"sv);
HUB_ENUM_NAMES(rank_by, "resolution"sv, "satisfaction"sv, "response"sv, "overdue"sv, "answered"sv,
               "rating"sv);
HUB_ENUM_NAMES(directive_box, "inbox"sv, "issued"sv);
HUB_ENUM_NAMES(case_status, "open"sv, "done"sv, "all"sv);
HUB_ENUM_NAMES(case_order, "deadline"sv, "changed"sv);

#undef HUB_ENUM_NAMES

/// Number of values of an enumeration.
template <class Enum>
constexpr std::size_t enum_count = enum_names<Enum>::names.size();

/// The wire name of `value`; "?" for a value outside the table.
template <class Enum>
constexpr std::string_view to_string(Enum value) {
  auto i = static_cast<std::size_t>(value);
  return i < enum_count<Enum> ? enum_names<Enum>::names[i] : std::string_view{"?"};
}

/// The value named `name`, or nullopt when no value has that wire name.
template <class Enum>
constexpr std::optional<Enum> parse(std::string_view name) {
  for (std::size_t i = 0; i < enum_count<Enum>; ++i)
    if (enum_names<Enum>::names[i] == name)
      return static_cast<Enum>(i);
  return std::nullopt;
}

/// The value numbered `index`, or nullopt when out of range (for numeric wire forms).
template <class Enum>
constexpr std::optional<Enum> from_index(std::uint64_t index) {
  if (index < enum_count<Enum>)
    return static_cast<Enum>(index);
  return std::nullopt;
}

// -- fixed sizes ----------------------------------------------------------------------------

/// The ten township modules ("十大模块"); their names live in the hierarchy file.
constexpr std::size_t module_count = 10;
/// The fourteen command channels ("指挥通道"); their names live in the hierarchy file.
constexpr std::size_t channel_count = 14;

} // namespace hub::protocol
