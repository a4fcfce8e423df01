#pragma once

// Sample messages shared by codec_test.cpp and json_test.cpp: every message type, fully
// populated and minimal, every case.act action and every directive target kind, each valid.

#include "protocol/messages.hpp"

#include <string>
#include <vector>

namespace hub::protocol::samples {

/// A named sample, so that a failing loop iteration says which message it was.
template <class Message>
struct sample {
  std::string name;
  Message msg;
};

inline directive_target target_of(target_kind kind) {
  directive_target t;
  t.kind = kind;
  switch (kind) {
    case target_kind::subtree: t.units = {411502, 411503}; break;
    case target_kind::level: t.units = {411502}, t.level = unit_kind::township; break;
    case target_kind::module: t.units = {411502}, t.module = 0; break; // module 0: a default value
    case target_kind::post: t.units = {411500}, t.holder = post::village_security; break;
    case target_kind::people: t.people = {1, 2, 88600}; break;
  }
  return t;
}

/// case.act with exactly the fields `action` requires (protocol/README.md).
inline case_act act_of(case_action action) {
  case_act a;
  a.id = 1001;
  a.action = action;
  switch (action) {
    case case_action::dispatch: a.unit = 411502001; break;
    case case_action::propose_whistle: a.departments = {411502901, 411502902}; break;
    case case_action::rate: a.unit = 411502901, a.score = 4; break;
    case case_action::mark_duplicate: a.duplicate_of = 998; break;
    case case_action::decline_whistle:
    case case_action::reopen:
    case case_action::return_case:
    case case_action::reject: a.note = "理由: wrongly assigned"; break;
    default: break;
  }
  return a;
}

inline std::vector<sample<client_message>> client_samples() {
  std::vector<sample<client_message>> out;
  case_report full_report{411502001001001,
                          "enforce.noise",
                          urgency::urgent,
                          "噪音扰民 noise at night",
                          "工地夜间施工 \"quotes\", back\\slash, tab\t, newline\n, emoji 😀",
                          32.1234567,
                          114.0987654,
                          "浉河区 some street 1",
                          "SR-2024-000123"};
  out.push_back({"case.report full", {1, full_report}});
  case_report minimal_report;
  minimal_report.unit = 411502001001001, minimal_report.category = "enforce.noise";
  minimal_report.title = "t";
  out.push_back({"case.report minimal", {2, minimal_report}});
  case_report south_west;
  south_west.unit = 411502001001001, south_west.category = "c", south_west.title = "t";
  south_west.lat = -90, south_west.lon = -180; // the corners are inside the range
  out.push_back({"case.report corner", {3, south_west}});

  case_act full_act{1001, case_action::rate, "好 good", {}, 411502901, 5, 0};
  out.push_back({"case.act full", {4, full_act}});
  for (std::size_t i = 1; i < enum_count<case_action>; ++i) { // 0 = report: not a case.act
    const auto action = static_cast<case_action>(i);
    out.push_back({"case.act " + std::string(to_string(action)), {100 + i, act_of(action)}});
  }

  directive_issue full_issue{13, "防汛 flood duty", "body text", 1'700'000'000'000,
                             target_of(target_kind::post)};
  out.push_back({"directive.issue full", {5, full_issue}});
  for (std::size_t i = 0; i < enum_count<target_kind>; ++i) {
    const auto kind = static_cast<target_kind>(i);
    directive_issue issue{0, "t", "", 0, target_of(kind)};
    out.push_back({"directive.issue " + std::string(to_string(kind)), {200 + i, issue}});
  }

  out.push_back({"directive.act full", {6, directive_act{77, directive_action::complete, "done"}}});
  out.push_back({"directive.act minimal", {7, directive_act{77, directive_action::sign, ""}}});
  out.push_back({"directive.act remind", {8, directive_act{77, directive_action::remind, ""}}});

  out.push_back({"subscribe full", {9, subscribe{411502, 18'446'744'073'709'551'615ull}}});
  out.push_back({"subscribe minimal", {10, subscribe{411502}}});
  out.push_back({"subscribe from the first event", {11, subscribe{411502, 0}}});
  out.push_back({"unsubscribe", {18'446'744'073'709'551'615ull, unsubscribe{411502}}});

  query one_case;
  one_case.what = query_kind::one_case, one_case.case_ref = 0x1234'0000'0000'0042;
  one_case.limit = 200, one_case.cursor = "s200";
  out.push_back({"query case", {11, one_case}});
  query case_minimal;
  case_minimal.case_ref = 1;
  out.push_back({"query case minimal", {12, case_minimal}});
  query cases;
  cases.what = query_kind::cases, cases.unit = 411502001, cases.status = case_status::all;
  cases.state = case_state::whistle_blown, cases.colour = deadline_colour::green; // a default
  cases.category = "enforce.noise", cases.level = urgency::normal, cases.held_at = unit_kind::grid;
  cases.hotline = false, cases.from = 1, cases.to = 1'800'000'000'000;
  cases.order = case_order::changed, cases.limit = 1, cases.cursor = "1.2";
  out.push_back({"query cases full", {13, cases}});
  query cases_minimal;
  cases_minimal.what = query_kind::cases, cases_minimal.unit = 411500;
  out.push_back({"query cases minimal", {14, cases_minimal}});
  query directive;
  directive.what = query_kind::directive, directive.directive_ref = 77;
  directive.unit = 411502001, directive.lagging = directive_action::sign;
  directive.limit = 3, directive.cursor = "411502001001001.0";
  out.push_back({"query directive full", {15, directive}});
  query directive_minimal;
  directive_minimal.what = query_kind::directive, directive_minimal.directive_ref = 77;
  out.push_back({"query directive minimal", {16, directive_minimal}});
  query issued;
  issued.what = query_kind::directives, issued.unit = 411502, issued.box = directive_box::issued;
  issued.limit = 200, issued.cursor = "18446742278141151615.2199023255553.0";
  out.push_back({"query directives full", {17, issued}});
  query inbox;
  inbox.what = query_kind::directives, inbox.unit = 411502001001;
  out.push_back({"query directives minimal", {18, inbox}});
  query figures;
  figures.what = query_kind::figures, figures.unit = 411502, figures.period = figure_period::days;
  figures.from = 1'795'536'000'000, figures.to = 1'795'622'400'000;
  figures.limit = 1, figures.cursor = "x"; // every query's; a figures result has one page
  out.push_back({"query figures full", {19, figures}});
  query figures_minimal;
  figures_minimal.what = query_kind::figures, figures_minimal.unit = 411500;
  out.push_back({"query figures minimal", {20, figures_minimal}});
  query ranking;
  ranking.what = query_kind::ranking, ranking.unit = 411502;
  ranking.held_at = unit_kind::department, ranking.by = rank_by::rating;
  ranking.period = figure_period::month;
  out.push_back({"query ranking full", {21, ranking}});
  query ranking_minimal;
  ranking_minimal.what = query_kind::ranking, ranking_minimal.unit = 411500;
  out.push_back({"query ranking minimal", {22, ranking_minimal}});
  return out;
}

inline std::vector<sample<server_message>> server_samples() {
  std::vector<sample<server_message>> out;
  out.push_back({"ack full", ack{5, 1001, 77, 123456}});
  out.push_back({"ack minimal", ack{5, 0, 0, 0}});
  out.push_back({"error full", error{5, errc::forbidden, "not your case"}});
  out.push_back({"error minimal", error{0, errc::malformed, ""}});
  out.push_back({"error internal", error{1, errc::internal, "x"}});

  case_event full_event{42,
                        1'700'000'000'123,
                        1001,
                        case_action::propose_whistle,
                        case_state::escalation_requested,
                        411502001,
                        411502001001,
                        88000,
                        "enforce.noise",
                        urgency::urgent,
                        deadline_colour::red,
                        1'700'000'900'000,
                        "需要住建局 and 生态环境局",
                        {411502901, 411502902},
                        0};
  out.push_back({"case.event full", full_event});
  case_event rated = full_event;
  rated.action = case_action::rate, rated.score = 5, rated.departments = {};
  out.push_back({"case.event rate", rated});
  case_event duplicate = full_event;
  duplicate.action = case_action::mark_duplicate, duplicate.state = case_state::duplicate;
  duplicate.departments = {}, duplicate.duplicate_of = 0x1234'0000'0000'0042; // beyond 2^53
  out.push_back({"case.event mark_duplicate", duplicate});
  case_event minimal_event;
  minimal_event.seq = 1, minimal_event.id = 1, minimal_event.unit = 411502001001001;
  out.push_back({"case.event minimal", minimal_event});

  directive_event full_directive{43,        1'700'000'000'456,
                                 77,        directive_action::sign,
                                 411502001, 88001,
                                 13,        "防汛 flood duty",
                                 18100,     9000,
                                 12,        411502001001};
  out.push_back({"directive.event full", full_directive});
  directive_event minimal_directive;
  minimal_directive.seq = 1, minimal_directive.id = 1, minimal_directive.unit = 411500;
  out.push_back({"directive.event minimal", minimal_directive});

  unit_figures figures{120,   10,    3,    5000, 4900, 4700, 3000, 2800, {{3000, 1000, 600, 100}},
                       18100, 17000, 16000};
  out.push_back({"aggregate full", aggregate{411502, 1'700'000'000'789, figures}});
  out.push_back({"aggregate minimal", aggregate{411502, 0, {}}});
  unit_figures partial;
  partial.closed_at = {0, 0, 0, 4'294'967'295u};
  out.push_back({"aggregate partial", aggregate{411502, 1, partial}});

  out.push_back({"gap", gap{411502, 10, 5000}});
  out.push_back({"gap zeros", gap{411502, 0, 0}});

  case_summary row{0x1234'0000'0000'0042,
                   "噪音扰民 \"quoted\"",
                   "enforce.noise",
                   urgency::urgent,
                   case_state::whistle_blown,
                   deadline_colour::yellow,
                   1'700'000'900'000,
                   411502001,
                   411502001001001,
                   case_level::department,
                   true,
                   1'700'000'000'000,
                   1'700'000'500'000};
  result list{15, 12001, query_kind::cases, {}, {row, row}, {}, 4000, "1700000900000.42", {},
              {}, {}};
  list.cases[1].id = 2, list.cases[1].hotline = false, list.cases[1].reached = case_level::grid;
  out.push_back({"result cases", list});
  out.push_back(
      {"result cases empty", result{16, 0, query_kind::cases, {}, {}, {}, 0, "", {}, {}, {}}});
  case_detail detail;
  detail.summary = row;
  detail.description = "描述", detail.address = "浉河区", detail.external_id = "SR-1";
  detail.lat = 32.1, detail.lon = 114.2;
  detail.held_by = {411502001001001, 411502001001, 411502001};
  detail.first = 2;
  detail.steps.push_back({1'700'000'000'000,
                          case_action::approve_whistle,
                          case_state::whistle_blown,
                          411502001,
                          0,
                          41150200101,
                          "吹哨",
                          {411502901, 411502902},
                          0,
                          0});
  detail.steps.push_back({1'700'000'100'000,
                          case_action::rate,
                          case_state::resolved,
                          411502001,
                          0,
                          41150200101,
                          "",
                          {411502901},
                          5,
                          0});
  detail.steps.push_back({1'700'000'200'000,
                          case_action::escalate,
                          case_state::dispatched,
                          411502001,
                          411502001001,
                          41150200100101,
                          "",
                          {},
                          0,
                          0});
  detail.steps.push_back({1'700'000'300'000,
                          case_action::mark_duplicate,
                          case_state::duplicate,
                          411502001,
                          0,
                          41150200100101,
                          "",
                          {},
                          0,
                          99});
  out.push_back({"result case",
                 result{17, 12002, query_kind::one_case, detail, {}, {}, 30, "s4", {}, {}, {}}});
  case_detail bare;
  bare.summary.id = 1, bare.summary.unit = 411502001001001;
  bare.summary.origin = 411502001001001, bare.summary.reported_at = 1, bare.summary.changed_at = 1;
  bare.held_by = {411502001001001};
  out.push_back({"result case minimal",
                 result{18, 0, query_kind::one_case, bare, {}, {}, 0, "", {}, {}, {}}});
  directive_detail receipts;
  receipts.id = 77, receipts.unit = 411502, receipts.by = 41150201, receipts.channel = 13;
  receipts.title = "防汛", receipts.body = "值班", receipts.issued_at = 1'700'000'000'000;
  receipts.deadline = 1'700'000'900'000;
  receipts.scope = {411502, 239, 120, 31};
  receipts.children = {{411502001, 20, 10, 3}, {411502002, 19, 0, 0}};
  receipts.laggards = {{411502001001, 0, directive_action::sign},
                       {411502001002, 41150200100204, directive_action::issue}};
  result with_receipts;
  with_receipts.id = 19, with_receipts.seq = 12003, with_receipts.what = query_kind::directive;
  with_receipts.directive = receipts, with_receipts.total = 208, with_receipts.cursor = "1.2";
  out.push_back({"result directive", with_receipts});
  result bare_receipts;
  bare_receipts.id = 20, bare_receipts.what = query_kind::directive;
  bare_receipts.directive.id = 1, bare_receipts.directive.unit = 411500;
  bare_receipts.directive.scope.unit = 411500;
  out.push_back({"result directive minimal", bare_receipts});
  directive_row own;
  own.id = 77, own.unit = 411502, own.by = 41150201, own.channel = 13, own.title = "防汛";
  own.issued_at = 1'700'000'000'000, own.deadline = 1'700'000'900'000;
  own.total = 239, own.signed_count = 120, own.done = 31;
  directive_row addressed;
  addressed.id = 78, addressed.unit = 411500, addressed.issued_at = 1'700'000'100'000;
  addressed.person = 41150200100104, addressed.action = directive_action::complete;
  result box;
  box.id = 21, box.seq = 12004, box.what = query_kind::directives;
  box.directives = {own, addressed}, box.total = 9, box.cursor = "1.78.41150200100104";
  out.push_back({"result directives", box});
  result empty_box;
  empty_box.id = 22, empty_box.what = query_kind::directives;
  out.push_back({"result directives empty", empty_box});
  figure_row unit_row;
  unit_row.unit = 411502, unit_row.open = 120, unit_row.yellow = 10, unit_row.red = 3;
  unit_row.reported = 500, unit_row.responded = 490, unit_row.resolved = 470;
  unit_row.rated = 30, unit_row.satisfied = 28, unit_row.overdue = 12, unit_row.score_sum = 140;
  unit_row.closed_at = {300, 100, 60, 10};
  unit_row.resolution = 940, unit_row.satisfaction = 933, unit_row.response = 980;
  unit_row.overdue_share = 24, unit_row.rating = 467;
  figure_row quiet_row;
  quiet_row.unit = 411502100;
  result with_figures;
  with_figures.id = 23, with_figures.seq = 12005, with_figures.what = query_kind::figures;
  with_figures.figures.from = 1'795'536'000'000, with_figures.figures.to = 1'795'622'400'000;
  with_figures.figures.unit = unit_row;
  with_figures.figures.children = {unit_row, quiet_row};
  with_figures.figures.children[0].unit = 411502001;
  out.push_back({"result figures", with_figures});
  result bare_figures;
  bare_figures.id = 24, bare_figures.what = query_kind::figures;
  bare_figures.figures.unit.unit = 411500;
  out.push_back({"result figures minimal", bare_figures});
  result ranked;
  ranked.id = 25, ranked.seq = 12006, ranked.what = query_kind::ranking;
  ranked.ranking.unit = 411502, ranked.ranking.level = unit_kind::department;
  ranked.ranking.by = rank_by::rating, ranked.ranking.from = 1'795'536'000'000;
  ranked.ranking.to = 1'795'622'400'000;
  ranked.ranking.rows = {unit_row, quiet_row};
  ranked.ranking.rows[0].unit = 411502901, ranked.ranking.rows[0].rank = 1;
  out.push_back({"result ranking", ranked});
  result bare_ranking;
  bare_ranking.id = 26, bare_ranking.what = query_kind::ranking;
  bare_ranking.ranking.unit = 411500, bare_ranking.ranking.level = unit_kind::county;
  out.push_back({"result ranking minimal", bare_ranking});
  return out;
}

} // namespace hub::protocol::samples
