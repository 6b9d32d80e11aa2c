// Latency statistics.
#ifndef DEVICE_BENCH_STATS_H_
#define DEVICE_BENCH_STATS_H_

#include <cstddef>
#include <vector>

namespace device_bench {

struct Summary {
  size_t count = 0;
  // All NaN when count == 0 (written as null in JSON).
  double min, p50, p90, p99, mean, std, max;
};

// Percentile q in [0, 100] of an ascending-sorted, non-empty sample, interpolating linearly
// between the closest ranks: position (n - 1) * q / 100 (NumPy's default "linear" method).
double PercentileSorted(const std::vector<double>& sorted, double q);

// min, p50, p90, p99, mean, population standard deviation (divides by n) and max.
Summary Summarize(const std::vector<double>& values);

}  // namespace device_bench

#endif  // DEVICE_BENCH_STATS_H_
