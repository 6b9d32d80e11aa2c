#include "stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace device_bench {

double PercentileSorted(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return std::numeric_limits<double>::quiet_NaN();
  if (q <= 0) return sorted.front();
  if (q >= 100) return sorted.back();
  const double pos = (static_cast<double>(sorted.size()) - 1.0) * q / 100.0;
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

Summary Summarize(const std::vector<double>& values) {
  Summary s;
  s.count = values.size();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  s.min = s.p50 = s.p90 = s.p99 = s.mean = s.std = s.max = nan;
  if (values.empty()) return s;
  std::vector<double> sorted(values);
  std::sort(sorted.begin(), sorted.end());
  s.min = sorted.front();
  s.max = sorted.back();
  s.p50 = PercentileSorted(sorted, 50);
  s.p90 = PercentileSorted(sorted, 90);
  s.p99 = PercentileSorted(sorted, 99);
  // Two passes: the mean first, then squared deviations from it (numerically stable enough).
  double sum = 0;
  for (double v : values) sum += v;
  s.mean = sum / static_cast<double>(values.size());
  double sq = 0;
  for (double v : values) sq += (v - s.mean) * (v - s.mean);
  s.std = std::sqrt(sq / static_cast<double>(values.size()));
  return s;
}

}  // namespace device_bench
