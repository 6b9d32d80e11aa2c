// Accuracy metrics against reference outputs.
#include <cmath>
#include <limits>
#include <vector>

#include "accuracy.h"
#include "harness.h"

using namespace device_bench;

TEST(accuracy_identical_outputs) {
  AccuracyAccumulator acc({4}, 4);
  const std::vector<float> a{0.1f, 2.0f, -1.0f, 0.5f};
  acc.AddSample(a.data(), a.data());
  acc.AddSample(a.data(), a.data());
  const AccuracyReport r = acc.Result(0.5);
  CHECK_EQ(r.samples, int64_t{2});
  CHECK_EQ(r.elements, int64_t{8});
  CHECK_NEAR(r.max_abs_error, 0, 0);
  CHECK_NEAR(r.mean_rel_error, 0, 0);
  CHECK_NEAR(r.cosine_similarity, 1, 1e-12);
  CHECK_NEAR(r.top1_agreement, 1, 0);
  CHECK_EQ(r.top1_rows, int64_t{2});
  CHECK(r.passed);
}

TEST(accuracy_metrics_by_hand) {
  AccuracyAccumulator acc({2, 2}, 2);  // two outputs of 2 values each
  const std::vector<float> out{1.1f, 2.0f, 4.0f, 0.0f};
  const std::vector<float> ref{1.0f, 2.0f, 2.0f, 0.0f};
  acc.AddSample(out.data(), ref.data());
  const AccuracyReport r = acc.Result(0.5);
  // abs errors: 0.1, 0, 2, 0
  CHECK_NEAR(r.max_abs_error, 2.0, 1e-6);
  CHECK_NEAR(r.mean_abs_error, 2.1 / 4, 1e-6);
  // rel errors: 0.1/1, 0, 2/2, 0/floor -> 0
  CHECK_NEAR(r.max_rel_error, 1.0, 1e-6);
  CHECK_NEAR(r.mean_rel_error, 1.1 / 4, 1e-6);
  // cosine of (1.1,2,4,0) and (1,2,2,0)
  const double dot = 1.1 * 1 + 2 * 2 + 4 * 2;
  const double cos = dot / (std::sqrt(1.21 + 4 + 16) * std::sqrt(1 + 4 + 4));
  CHECK_NEAR(r.cosine_similarity, cos, 1e-6);
  CHECK_NEAR(r.top1_agreement, 1.0, 0);  // argmax of (1.1, 2) and (1, 2) agree
  CHECK(!r.passed);  // 27.5% > 0.5%
  CHECK(acc.Result(30).passed);
}

TEST(accuracy_relative_floor_for_near_zero_references) {
  // A reference of 1e-7 next to a peak of 10: the floor is 1e-2, so an error of 1e-6 is 1e-4
  // relative, not 10.
  AccuracyAccumulator acc({2}, 0);
  const std::vector<float> out{10.0f, 1.1e-6f};
  const std::vector<float> ref{10.0f, 1e-7f};
  acc.AddSample(out.data(), ref.data());
  const AccuracyReport r = acc.Result(0.5);
  CHECK_NEAR(r.max_rel_error, 1e-6 / 1e-2, 1e-7);
  CHECK(std::isnan(r.top1_agreement));  // no classifier output
  CHECK_EQ(r.top1_rows, int64_t{0});
  // All-zero reference: absolute floor 1e-6.
  AccuracyAccumulator z({2}, 2);
  const std::vector<float> zo{1e-6f, 0.0f};
  const std::vector<float> zr{0.0f, 0.0f};
  z.AddSample(zo.data(), zr.data());
  CHECK_NEAR(z.Result(0.5).max_rel_error, 1.0, 1e-6);
}

TEST(accuracy_top1_over_rows) {
  AccuracyAccumulator acc({6}, 3);  // a batch of 2 rows of 3 classes
  const std::vector<float> out{0, 1, 0, 5, 0, 0};
  const std::vector<float> ref{0, 1, 0, 0, 0, 5};
  acc.AddSample(out.data(), ref.data());
  const AccuracyReport r = acc.Result(100);
  CHECK_EQ(r.top1_rows, int64_t{2});
  CHECK_NEAR(r.top1_agreement, 0.5, 0);
}

TEST(accuracy_nonfinite_fails) {
  AccuracyAccumulator acc({2}, 2);
  const std::vector<float> out{std::numeric_limits<float>::quiet_NaN(), 1.0f};
  const std::vector<float> ref{1.0f, 1.0f};
  acc.AddSample(out.data(), ref.data());
  const AccuracyReport r = acc.Result(1e9);
  CHECK_EQ(r.nonfinite, int64_t{1});
  CHECK(std::isinf(r.max_abs_error));
  CHECK(!r.passed);
}

TEST(accuracy_cosine_edge_cases) {
  const float zero[2] = {0, 0};
  const float one[2] = {1, 0};
  const float neg[2] = {-1, 0};
  CHECK_NEAR(CosineSimilarity(zero, zero, 2), 1, 0);
  CHECK_NEAR(CosineSimilarity(zero, one, 2), 0, 0);
  CHECK_NEAR(CosineSimilarity(one, neg, 2), -1, 1e-12);
  AccuracyAccumulator acc({2}, 2);
  acc.AddSample(one, one);
  acc.AddSample(neg, one);
  const AccuracyReport r = acc.Result(0.5);
  CHECK_NEAR(r.cosine_similarity, 0, 1e-12);
  CHECK_NEAR(r.min_cosine_similarity, -1, 1e-12);
}

TEST(accuracy_no_samples) {
  AccuracyAccumulator acc({2}, 2);
  const AccuracyReport r = acc.Result(0.5);
  CHECK_EQ(r.samples, int64_t{0});
  CHECK(std::isnan(r.mean_rel_error));
  CHECK(!r.passed);
}
