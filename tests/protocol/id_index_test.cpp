#include "protocol/detail/id_index.hpp"

#include <gtest/gtest.h>

namespace hub::testing {
namespace {

using protocol::detail::id_index;

TEST(id_index_test, finds_every_key_and_nothing_else) {
  id_index index;
  EXPECT_EQ(index.find(7), id_index::absent); // never sized: empty, not a crash
  // Unit codes share their high digits and differ in the low ones; multiples of a power of
  // two are the classic bad case for a table indexed by low bits.
  std::vector<std::uint64_t> keys;
  for (std::uint64_t township = 0; township < 40; ++township)
    for (std::uint64_t grid = 0; grid < 50; ++grid)
      keys.push_back(411502000000ull + township * 1000 + grid);
  for (std::uint64_t k = 1; k <= 500; ++k)
    keys.push_back(k << 20);
  index.reset(keys.size());
  for (std::uint32_t i = 0; i < keys.size(); ++i)
    ASSERT_TRUE(index.insert(keys[i], i));
  EXPECT_EQ(index.size(), keys.size());
  for (std::uint32_t i = 0; i < keys.size(); ++i)
    ASSERT_EQ(index.find(keys[i]), i) << keys[i];
  EXPECT_EQ(index.find(0), id_index::absent);
  EXPECT_EQ(index.find(411502000050ull), id_index::absent);
  EXPECT_EQ(index.find(501ull << 20), id_index::absent);
}

TEST(id_index_test, a_duplicate_key_keeps_its_first_value) {
  id_index index;
  index.reset(2);
  EXPECT_TRUE(index.insert(411500, 0));
  EXPECT_FALSE(index.insert(411500, 1));
  EXPECT_EQ(index.find(411500), 0u);
  EXPECT_EQ(index.size(), 1u);
}

TEST(id_index_test, reset_forgets_the_old_keys) {
  id_index index;
  index.reset(1);
  index.insert(5, 0);
  index.reset(1);
  EXPECT_EQ(index.find(5), id_index::absent);
  EXPECT_EQ(index.size(), 0u);
}

} // namespace
} // namespace hub::testing
