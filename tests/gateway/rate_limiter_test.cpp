#include "gateway/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace hub::gateway {
namespace {

using namespace std::chrono_literals;

TEST(rate_limiter, a_full_bucket_allows_the_burst_then_the_rate) {
  auto t0 = rate_limiter::clock::time_point{} + 1h;
  rate_limiter r{100, 200, t0};
  int allowed = 0;
  for (int i = 0; i < 300; ++i)
    allowed += r.try_take(t0) ? 1 : 0;
  EXPECT_EQ(allowed, 200);
  EXPECT_FALSE(r.try_take(t0 + 5ms)); // half a token
  EXPECT_TRUE(r.try_take(t0 + 10ms)); // one token after 10 ms at 100/s
  EXPECT_FALSE(r.try_take(t0 + 10ms));
  allowed = 0;
  for (int i = 0; i < 300; ++i)
    allowed += r.try_take(t0 + 1010ms) ? 1 : 0;
  EXPECT_EQ(allowed, 100); // a second's worth
}

TEST(rate_limiter, saving_up_stops_at_the_burst) {
  auto t0 = rate_limiter::clock::time_point{} + 1h;
  rate_limiter r{100, 200, t0};
  int allowed = 0;
  for (int i = 0; i < 1000; ++i)
    allowed += r.try_take(t0 + 1h) ? 1 : 0;
  EXPECT_EQ(allowed, 200);
}

TEST(rate_limiter, time_going_backwards_grants_nothing) {
  auto t0 = rate_limiter::clock::time_point{} + 1h;
  rate_limiter r{1, 1, t0};
  EXPECT_TRUE(r.try_take(t0));
  EXPECT_FALSE(r.try_take(t0 - 10s));
  EXPECT_FALSE(r.try_take(t0 + 500ms));
  EXPECT_TRUE(r.try_take(t0 + 1s));
}

} // namespace
} // namespace hub::gateway
