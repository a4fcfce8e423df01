#pragma once

// A latency histogram in the manner of HDR histograms: values (microseconds) fall into
// logarithmic buckets, each power of two split into 32 linear sub-buckets, so every recorded
// value is kept within about 3 % of itself, in a fixed 15 KiB, whatever the count.
// Percentiles are read from the buckets (never from an average); each is reported as the
// upper edge of its bucket, clamped to the largest value seen, so it is never below the true
// percentile by more than a bucket's width.

#include <array>
#include <cstdint>

namespace hub::sim {

class histogram {
public:
  static constexpr int sub_bits = 5; // 32 sub-buckets per power of two
  static constexpr int sub_count = 1 << sub_bits;
  static constexpr int powers = 64 - sub_bits;

  void record(std::int64_t value_us);
  void merge(const histogram& other);
  void clear() { *this = histogram{}; }

  std::uint64_t count() const { return count_; }
  std::int64_t max() const { return max_; }
  std::int64_t min() const { return count_ == 0 ? 0 : min_; }
  /// The value at or below which `p` (0..100) of the recorded values lie; 0 when empty.
  std::int64_t percentile(double p) const;

  /// The bucket of `value` and the largest value that falls in bucket `index`.
  static int index_of(std::int64_t value);
  static std::int64_t upper_edge(int index);

private:
  std::array<std::uint64_t, (powers + 1) * sub_count> buckets_{};
  std::uint64_t count_ = 0;
  std::int64_t max_ = 0, min_ = 0;
};

} // namespace hub::sim
