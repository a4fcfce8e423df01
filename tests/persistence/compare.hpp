#pragma once

// Field-by-field comparisons of the stored records, for the round-trip and recovery tests
// (the record types have no operator== of their own).

#include "actors/journal.hpp"

#include <gtest/gtest.h>

namespace hub::testing {

inline void expect_same(const actors::case_record& a, const actors::case_record& b,
                        const std::string& where = {}) {
  SCOPED_TRACE("case " + std::to_string(a.id) + " " + where);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.origin, b.origin);
  EXPECT_EQ(a.holder, b.holder);
  EXPECT_EQ(a.sender, b.sender);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.level, b.level);
  EXPECT_EQ(a.category, b.category);
  EXPECT_EQ(a.urgency, b.urgency);
  EXPECT_EQ(a.hotline, b.hotline);
  EXPECT_EQ(a.reopened, b.reopened);
  EXPECT_EQ(a.responded, b.responded);
  EXPECT_EQ(a.supervised, b.supervised);
  EXPECT_EQ(a.colour, b.colour);
  EXPECT_EQ(a.clock_start, b.clock_start);
  EXPECT_EQ(a.deadline, b.deadline);
  EXPECT_EQ(a.proposed, b.proposed);
  EXPECT_EQ(a.whistle, b.whistle);
  EXPECT_EQ(a.title, b.title);
  EXPECT_EQ(a.description, b.description);
  EXPECT_EQ(a.address, b.address);
  EXPECT_EQ(a.external_id, b.external_id);
  EXPECT_EQ(a.lat, b.lat);
  EXPECT_EQ(a.lon, b.lon);
  EXPECT_EQ(a.history, b.history);
}

inline void expect_same(const actors::department_task& a, const actors::department_task& b) {
  EXPECT_EQ(a.township, b.township);
  EXPECT_EQ(a.task, b.task);
  EXPECT_EQ(a.category, b.category);
  EXPECT_EQ(a.urgency, b.urgency);
  EXPECT_EQ(a.summoned_at, b.summoned_at);
  EXPECT_EQ(a.reminders, b.reminders);
  EXPECT_EQ(a.next_check, b.next_check);
}

inline void expect_same(const actors::directive_info& a, const actors::directive_info& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.issuer_unit, b.issuer_unit);
  EXPECT_EQ(a.issuer, b.issuer);
  EXPECT_EQ(a.issued_at, b.issued_at);
  EXPECT_TRUE(a.what == b.what) << "the directive's content differs";
}

} // namespace hub::testing
