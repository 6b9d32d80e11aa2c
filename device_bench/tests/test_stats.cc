#include <cmath>
#include <vector>

#include "harness.h"
#include "stats.h"

using device_bench::PercentileSorted;
using device_bench::Summarize;
using device_bench::Summary;

TEST(stats_percentile_linear_interpolation) {
  // NumPy: np.percentile([1,2,3,4], [50, 90, 99]) == [2.5, 3.7, 3.97]
  const std::vector<double> v{1, 2, 3, 4};
  CHECK_NEAR(PercentileSorted(v, 50), 2.5, 1e-12);
  CHECK_NEAR(PercentileSorted(v, 90), 3.7, 1e-12);
  CHECK_NEAR(PercentileSorted(v, 99), 3.97, 1e-12);
  CHECK_NEAR(PercentileSorted(v, 0), 1, 0);
  CHECK_NEAR(PercentileSorted(v, 100), 4, 0);
}

TEST(stats_percentile_single_and_odd) {
  CHECK_NEAR(PercentileSorted({7}, 50), 7, 0);
  CHECK_NEAR(PercentileSorted({7}, 99), 7, 0);
  CHECK_NEAR(PercentileSorted({1, 2, 10}, 50), 2, 0);
  // np.percentile(range(1, 101), 90) == 90.1 ; 99 -> 99.01
  std::vector<double> hundred;
  for (int i = 1; i <= 100; ++i) hundred.push_back(i);
  CHECK_NEAR(PercentileSorted(hundred, 90), 90.1, 1e-9);
  CHECK_NEAR(PercentileSorted(hundred, 99), 99.01, 1e-9);
  CHECK_NEAR(PercentileSorted(hundred, 50), 50.5, 1e-9);
}

TEST(stats_summary_unsorted_input) {
  const Summary s = Summarize({4, 1, 3, 2});
  CHECK_EQ(s.count, size_t{4});
  CHECK_NEAR(s.min, 1, 0);
  CHECK_NEAR(s.max, 4, 0);
  CHECK_NEAR(s.p50, 2.5, 1e-12);
  CHECK_NEAR(s.mean, 2.5, 1e-12);
  CHECK_NEAR(s.std, std::sqrt(1.25), 1e-12);  // population std, like np.std
}

TEST(stats_summary_constant_and_empty) {
  const Summary c = Summarize({0.05, 0.05, 0.05});
  CHECK_NEAR(c.std, 0, 1e-15);
  CHECK_NEAR(c.p99, 0.05, 1e-15);
  const Summary e = Summarize({});
  CHECK_EQ(e.count, size_t{0});
  CHECK(std::isnan(e.min) && std::isnan(e.p50) && std::isnan(e.mean) && std::isnan(e.std) && std::isnan(e.max));
}

TEST(stats_std_is_stable_for_large_offsets) {
  // Naive sum-of-squares loses all precision here; two-pass does not.
  const Summary s = Summarize({1e9 + 1, 1e9 + 2, 1e9 + 3});
  CHECK_NEAR(s.std, std::sqrt(2.0 / 3.0), 1e-6);
}

TEST(stats_percentile_edge_cases) {
  // Two values: every percentile interpolates between them.
  CHECK_NEAR(PercentileSorted({1, 3}, 50), 2, 1e-12);
  CHECK_NEAR(PercentileSorted({1, 3}, 99), 2.98, 1e-12);
  // Out-of-range q clamps to the ends; empty input is NaN.
  CHECK_NEAR(PercentileSorted({1, 2, 3}, -5), 1, 0);
  CHECK_NEAR(PercentileSorted({1, 2, 3}, 150), 3, 0);
  CHECK(std::isnan(PercentileSorted({}, 50)));
  // Ties: interpolating between equal neighbours gives the tie.
  CHECK_NEAR(PercentileSorted({1, 2, 2, 2, 9}, 50), 2, 0);
  // q that lands exactly on a rank: no interpolation error (np.percentile(range(11), 90) == 9).
  std::vector<double> eleven;
  for (int i = 0; i <= 10; ++i) eleven.push_back(i);
  CHECK_NEAR(PercentileSorted(eleven, 90), 9, 1e-12);
  CHECK_NEAR(PercentileSorted(eleven, 99), 9.9, 1e-12);
  // p99 of 1000 runs with one outlier at the top stays below the outlier.
  std::vector<double> runs(999, 1.0);
  runs.push_back(100.0);
  const Summary s = Summarize(runs);
  CHECK_NEAR(s.p99, 1.0, 0);
  CHECK_NEAR(s.max, 100.0, 0);
}
