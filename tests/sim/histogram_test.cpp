// The simulator's latency histogram: percentiles read from log buckets, within a bucket's
// width of the true value, never from an average.

#include "sim/load/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace hub::testing {
namespace {

using sim::histogram;

TEST(histogram_test, small_values_are_exact) {
  histogram h;
  for (int v = 1; v <= 20; ++v)
    h.record(v);
  EXPECT_EQ(h.count(), 20u);
  EXPECT_EQ(h.min(), 1);
  EXPECT_EQ(h.max(), 20);
  EXPECT_EQ(h.percentile(50), 10);
  EXPECT_EQ(h.percentile(95), 19);
  EXPECT_EQ(h.percentile(100), 20);
  EXPECT_EQ(h.percentile(0), 1);
}

TEST(histogram_test, an_empty_histogram_answers_zero) {
  histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(99), 0);
  EXPECT_EQ(h.max(), 0);
}

TEST(histogram_test, percentiles_stay_within_a_bucket_of_the_sorted_truth) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> latency(std::log(2000.0), 1.2); // microseconds
  std::vector<std::int64_t> values;
  histogram h;
  for (int i = 0; i < 100'000; ++i) {
    auto v = static_cast<std::int64_t>(latency(rng));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double p : {50.0, 90.0, 99.0, 99.9}) {
    auto truth = values[static_cast<std::size_t>(std::ceil(p / 100 * values.size())) - 1];
    auto got = h.percentile(p);
    EXPECT_GE(got, truth) << p;                                    // never below ...
    EXPECT_LE(got, truth + truth / histogram::sub_count + 1) << p; // ... by more than a bucket
  }
  EXPECT_EQ(h.max(), values.back());
}

TEST(histogram_test, a_merge_is_the_histogram_of_both) {
  histogram a, b, both;
  for (int v = 0; v < 1000; ++v) {
    (v % 3 == 0 ? a : b).record(v * 37);
    both.record(v * 37);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), both.count());
  EXPECT_EQ(a.max(), both.max());
  EXPECT_EQ(a.min(), both.min());
  for (double p : {1.0, 50.0, 99.0})
    EXPECT_EQ(a.percentile(p), both.percentile(p));
}

TEST(histogram_test, buckets_cover_every_value_and_their_edges_hold_them) {
  for (std::int64_t v : {0LL, 31LL, 32LL, 33LL, 63LL, 64LL, 1000LL, 123456789LL, (1LL << 62) + 5}) {
    auto i = histogram::index_of(v);
    EXPECT_GE(histogram::upper_edge(i), v) << v;
    if (i > 0) {
      EXPECT_LT(histogram::upper_edge(i - 1), v) << v;
    }
  }
}

} // namespace
} // namespace hub::testing
