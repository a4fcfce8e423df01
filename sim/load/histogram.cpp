#include "sim/load/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace hub::sim {

// Values below sub_count sit in bucket `value` exactly (power 0). A larger value with its
// highest bit at position b (b >= sub_bits) is in power b - sub_bits + 1, sub-bucket given by
// the sub_bits bits below the highest one.
int histogram::index_of(std::int64_t value) {
  if (value < sub_count)
    return static_cast<int>(std::max<std::int64_t>(value, 0));
  const auto v = static_cast<std::uint64_t>(value);
  const int top = 63 - std::countl_zero(v);
  const int power = top - sub_bits + 1;
  const int sub = static_cast<int>((v >> (top - sub_bits)) & (sub_count - 1));
  return power * sub_count + sub;
}

std::int64_t histogram::upper_edge(int index) {
  const int power = index / sub_count;
  const int sub = index % sub_count;
  if (power == 0)
    return sub;
  const int shift = power - 1;
  // The bucket holds [(sub_count + sub) << shift, (sub_count + sub + 1) << shift).
  return (static_cast<std::int64_t>(sub_count + sub + 1) << shift) - 1;
}

void histogram::record(std::int64_t value_us) {
  value_us = std::max<std::int64_t>(value_us, 0);
  ++buckets_[static_cast<std::size_t>(index_of(value_us))];
  min_ = count_ == 0 ? value_us : std::min(min_, value_us);
  max_ = std::max(max_, value_us);
  ++count_;
}

void histogram::merge(const histogram& other) {
  if (other.count_ == 0)
    return;
  for (std::size_t i = 0; i < buckets_.size(); ++i)
    buckets_[i] += other.buckets_[i];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
}

std::int64_t histogram::percentile(double p) const {
  if (count_ == 0)
    return 0;
  // The rank of the value asked for, 1-based: p = 99 of 1000 values is the 990th.
  auto rank = static_cast<std::uint64_t>(
      std::ceil(std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(count_)));
  rank = std::max<std::uint64_t>(rank, 1);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank)
      return std::min(upper_edge(static_cast<int>(i)), max_);
  }
  return max_;
}

} // namespace hub::sim
