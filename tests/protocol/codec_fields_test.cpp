// The MessagePack codec refuses, cleanly: values over their limits or out of range, missing
// required fields, fields a message or action does not take.

#include "protocol/codec.hpp"

#include "frame_edits.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <msgpack.hpp>

namespace hub::protocol {
namespace {

using namespace frame_edits;
using checks::accepted;
using checks::Refused;

// -- limits and ranges --------------------------------------------------------------------------

TEST(codec, strings_and_lists_over_their_limits_are_too_large) {
  EXPECT_THAT(decode_client(with(report_frame, "title", std::string(limits::title_bytes, 'x'))),
              testing::Not(Refused(errc::too_large, "title")));
  EXPECT_THAT(decode_client(with(report_frame, "title", std::string(limits::title_bytes + 1, 'x'))),
              Refused(errc::too_large, "title"));
  EXPECT_THAT(decode_client(with(report_frame, "category", std::string(65, 'x'))),
              Refused(errc::too_large, "category"));
  EXPECT_THAT(decode_client(with(report_frame, "address", std::string(513, 'x'))),
              Refused(errc::too_large, "address"));
  // longer than any field may be: refused by the unpacker, before the field is known
  EXPECT_THAT(
      decode_client(with(report_frame, "description", std::string(limits::text_bytes + 1, 'x'))),
      Refused(errc::too_large, ""));
  const std::string whistle = encode(message(1, samples::act_of(case_action::propose_whistle)));
  EXPECT_THAT(decode_client(with(whistle, "departments", std::vector<int>(17, 1))),
              Refused(errc::too_large, "departments"));
  EXPECT_THAT(decode_client(with(issue_frame, "target.units", std::vector<int>(1025, 1))),
              Refused(errc::too_large, "target.units"));
  directive_issue to_people{0, "t", "", 0, samples::target_of(target_kind::people)};
  to_people.target.people.assign(limits::target_people, 7);
  EXPECT_EQ(accepted(decode_client(encode(message(1, to_people)))).body, client_body(to_people));
  to_people.target.people.push_back(7);
  EXPECT_THAT(decode_client(encode(message(1, to_people))), Refused(errc::too_large, ""));
}

TEST(codec, values_out_of_range_are_refused_with_a_readable_message) {
  const auto e = error_of(decode_client(with(act_frame, "score", 9)));
  EXPECT_EQ(e.code, errc::out_of_range);
  EXPECT_EQ(e.field, "score");
  EXPECT_EQ(e.message, "field 'score': must be 1..5, got 9");
  EXPECT_THAT(decode_client(with(act_frame, "score", 0)), Refused(errc::out_of_range, "score"));
  EXPECT_THAT(decode_client(with(act_frame, "score", 6)), Refused(errc::out_of_range, "score"));
  EXPECT_THAT(decode_client(with(act_frame, "score", 300)), Refused(errc::out_of_range, "score"));
  EXPECT_THAT(decode_client(with(act_frame, "action", "fly")),
              Refused(errc::out_of_range, "action"));
  EXPECT_THAT(decode_client(with(report_frame, "urgency", "very")),
              Refused(errc::out_of_range, "urgency"));
  EXPECT_THAT(decode_client(with(report_frame, "unit", 0)), Refused(errc::out_of_range, "unit"));
  EXPECT_THAT(decode_client(with(report_frame, "lat", 90.0001)),
              Refused(errc::out_of_range, "lat"));
  EXPECT_THAT(decode_client(with(report_frame, "lon", -181)), Refused(errc::out_of_range, "lon"));
  EXPECT_THAT(decode_client(with(issue_frame, "channel", 14)),
              Refused(errc::out_of_range, "channel"));
  EXPECT_THAT(decode_client(with(issue_frame, "deadline", -1)),
              Refused(errc::out_of_range, "deadline"));
  EXPECT_THAT(decode_client(with(issue_frame, "target.kind", "everyone")),
              Refused(errc::out_of_range, "target.kind"));
  EXPECT_THAT(decode_client(with(issue_frame, "target.units", std::vector<int>{1, 0})),
              Refused(errc::out_of_range, "target.units[1]"));
  const auto module_frame =
      encode(message(1, directive_issue{0, "t", "", 0, samples::target_of(target_kind::module)}));
  EXPECT_THAT(decode_client(with(module_frame, "target.module", 10)),
              Refused(errc::out_of_range, "target.module"));
  const auto post_frame =
      encode(message(1, directive_issue{0, "t", "", 0, samples::target_of(target_kind::post)}));
  EXPECT_THAT(decode_client(with(post_frame, "target.post", "mayor")),
              Refused(errc::out_of_range, "target.post"));
}

// -- required fields ----------------------------------------------------------------------------

TEST(codec, every_required_field_of_every_client_message_is_checked) {
  const std::string act_minimal = encode(message(1, samples::act_of(case_action::sign)));
  const std::string directive_act_frame =
      encode(message(1, directive_act{5, directive_action::sign, ""}));
  const std::string subscribe_frame = encode(message(1, subscribe{411502}));
  const std::string unsubscribe_frame = encode(message(1, unsubscribe{411502}));
  const std::vector<std::pair<std::string, std::string>> cases{
      {report_frame, "unit"},
      {report_frame, "category"},
      {report_frame, "title"},
      {act_minimal, "case"},
      {act_minimal, "action"},
      {issue_frame, "channel"},
      {issue_frame, "title"},
      {issue_frame, "target"},
      {issue_frame, "target.kind"},
      {issue_frame, "target.units"},
      {directive_act_frame, "directive"},
      {directive_act_frame, "action"},
      {subscribe_frame, "unit"},
      {unsubscribe_frame, "unit"},
      {report_frame, "lon"} /* lat alone is no location */};
  for (const auto& [frame, field] : cases) {
    SCOPED_TRACE(field);
    EXPECT_THAT(decode_client(without(frame, field)), Refused(errc::missing_field, field));
  }
}

TEST(codec, a_required_text_or_list_must_not_be_empty) {
  EXPECT_THAT(decode_client(with(report_frame, "title", "")),
              Refused(errc::missing_field, "title"));
  EXPECT_THAT(decode_client(with(report_frame, "category", "")),
              Refused(errc::missing_field, "category"));
  EXPECT_THAT(decode_client(with(issue_frame, "target.units", std::vector<int>{})),
              Refused(errc::missing_field, "target.units"));
  // optional texts may be empty
  EXPECT_THAT(decode_client(with(report_frame, "address", "")),
              testing::Not(Refused(errc::missing_field, "address")));
}

TEST(codec, each_case_action_requires_its_fields) {
  const std::vector<std::pair<case_action, std::string>> needs{
      {case_action::dispatch, "unit"},
      {case_action::propose_whistle, "departments"},
      {case_action::rate, "unit"},
      {case_action::rate, "score"},
      {case_action::mark_duplicate, "duplicate_of"},
      {case_action::decline_whistle, "note"},
      {case_action::reopen, "note"},
      {case_action::return_case, "note"},
      {case_action::reject, "note"}};
  for (const auto& [action, field] : needs) {
    SCOPED_TRACE(std::string(to_string(action)) + " " + field);
    const std::string frame = encode(message(1, samples::act_of(action)));
    const auto e = error_of(decode_client(without(frame, field)));
    EXPECT_EQ(e.code, errc::missing_field);
    EXPECT_EQ(e.field, field);
    EXPECT_EQ(e.message, "field '" + field + "' is required for action '" +
                             std::string(to_string(action)) + "'");
  }
  const std::string whistle = encode(message(1, samples::act_of(case_action::propose_whistle)));
  EXPECT_THAT(decode_client(with(whistle, "departments", std::vector<int>{})),
              Refused(errc::missing_field, "departments"));
  const std::string ret = encode(message(1, samples::act_of(case_action::return_case)));
  EXPECT_THAT(decode_client(with(ret, "note", "")), Refused(errc::missing_field, "note"));
}

TEST(codec, a_field_the_action_does_not_use_is_refused) {
  const std::string sign = encode(message(1, samples::act_of(case_action::sign)));
  EXPECT_THAT(decode_client(with(sign, "score", 5)), Refused(errc::unknown_field, "score"));
  EXPECT_THAT(decode_client(with(sign, "unit", 411502)), Refused(errc::unknown_field, "unit"));
  EXPECT_THAT(decode_client(with(act_frame, "departments", std::vector<int>{1})),
              Refused(errc::unknown_field, "departments"));
  EXPECT_THAT(decode_client(with(sign, "note", "any action may say something")),
              testing::Not(Refused(errc::unknown_field, "note")));
  const auto people =
      encode(message(1, directive_issue{0, "t", "", 0, samples::target_of(target_kind::people)}));
  EXPECT_THAT(decode_client(with(people, "target.units", std::vector<int>{1})),
              Refused(errc::unknown_field, "target.units"));
  EXPECT_THAT(decode_client(with(issue_frame, "target.level", "grid")),
              Refused(errc::unknown_field, "target.level"));
}

TEST(codec, a_query_takes_only_the_fields_of_its_what) {
  query inbox;
  inbox.what = query_kind::directives, inbox.unit = 411502001001;
  const std::string directives = encode(message(1, inbox));
  EXPECT_THAT(decode_client(with(directives, "status", "all")),
              Refused(errc::unknown_field, "status"));
  EXPECT_THAT(decode_client(with(directives, "directive", 5)),
              Refused(errc::unknown_field, "directive"));
  EXPECT_THAT(decode_client(with(directives, "box", "outbox")), Refused(errc::out_of_range, "box"));
  EXPECT_THAT(decode_client(without(directives, "unit")), Refused(errc::missing_field, "unit"));
  query list;
  list.what = query_kind::cases, list.unit = 411502;
  EXPECT_THAT(decode_client(with(encode(message(1, list)), "box", "issued")),
              Refused(errc::unknown_field, "box"));
  result box;
  box.id = 1, box.what = query_kind::directives;
  EXPECT_THAT(decode_server(with(encode(server_message{box}), "cases", std::vector<int>{})),
              Refused(errc::unknown_field, "cases"));
}

// figures and ranking: a period, and from/to only with the period `days` (both, in order);
// `level` and `by` only with ranking; no case filters.
TEST(codec, figures_and_ranking_take_a_period_and_their_own_fields) {
  query f;
  f.what = query_kind::figures, f.unit = 411502;
  const std::string figures = encode(message(1, f));
  EXPECT_THAT(decode_client(with(figures, "by", "rating")), Refused(errc::unknown_field, "by"));
  EXPECT_THAT(decode_client(with(figures, "level", "township")),
              Refused(errc::unknown_field, "level"));
  EXPECT_THAT(decode_client(with(figures, "status", "all")),
              Refused(errc::unknown_field, "status"));
  EXPECT_THAT(decode_client(with(figures, "period", "year")),
              Refused(errc::out_of_range, "period"));
  EXPECT_THAT(decode_client(with(figures, "from", 1)), Refused(errc::unknown_field, "from"));
  const std::string days = with(figures, "period", "days");
  EXPECT_THAT(decode_client(days), Refused(errc::missing_field, "from"));
  EXPECT_THAT(decode_client(with(days, "from", 5)), Refused(errc::missing_field, "to"));
  EXPECT_THAT(decode_client(with(with(days, "from", 5), "to", 4)),
              Refused(errc::out_of_range, "to"));
  auto ok = decode_client(with(with(days, "from", 5), "to", 5));
  ASSERT_TRUE(std::holds_alternative<client_message>(ok));
  const auto& q = std::get<query>(std::get<client_message>(ok).body);
  EXPECT_EQ(q.period, figure_period::days);
  EXPECT_EQ(q.from, 5);
  query r;
  r.what = query_kind::ranking, r.unit = 411502;
  const std::string ranking = encode(message(1, r));
  EXPECT_THAT(decode_client(with(ranking, "by", "speed")), Refused(errc::out_of_range, "by"));
  EXPECT_THAT(decode_client(with(ranking, "hotline", 1)), Refused(errc::unknown_field, "hotline"));
  EXPECT_THAT(decode_client(without(ranking, "unit")), Refused(errc::missing_field, "unit"));
  query list;
  list.what = query_kind::cases, list.unit = 411502;
  EXPECT_THAT(decode_client(with(encode(message(1, list)), "period", "week")),
              Refused(errc::unknown_field, "period"));
  result fig;
  fig.id = 1, fig.what = query_kind::figures, fig.figures.unit.unit = 411502;
  EXPECT_THAT(decode_server(with(encode(server_message{fig}), "ranking", std::vector<int>{})),
              Refused(errc::unknown_field, "ranking"));
  EXPECT_THAT(decode_server(without(encode(server_message{fig}), "figures")),
              Refused(errc::missing_field, "figures"));
}

TEST(codec, actions_with_their_own_message_are_refused_in_act) {
  EXPECT_THAT(decode_client(with(act_frame, "action", "report")),
              Refused(errc::out_of_range, "action"));
  const std::string frame = encode(message(1, directive_act{5, directive_action::sign, ""}));
  EXPECT_THAT(decode_client(with(frame, "action", "issue")), Refused(errc::out_of_range, "action"));
}

} // namespace
} // namespace hub::protocol
