// Comparison of model outputs with reference outputs (--benchmarkDataFile): error metrics over
// every element of every sample, cosine similarity and top-1 agreement. Pure, no Lite.
#ifndef DEVICE_BENCH_ACCURACY_H_
#define DEVICE_BENCH_ACCURACY_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace device_bench {

// Relative error of an element: |out - ref| / max(|ref|, kRelFloorFraction * peak, kRelFloorAbs),
// peak = max |ref| of the same output tensor in the same sample. The floor keeps reference values
// near zero (small logits, probabilities of unlikely classes) from turning noise into huge errors.
constexpr double kRelFloorFraction = 1e-3;
constexpr double kRelFloorAbs = 1e-6;

struct AccuracyReport {
  int64_t samples = 0;
  int64_t elements = 0;          // compared, over all samples
  double max_abs_error = 0;
  double mean_abs_error = 0;
  double max_rel_error = 0;      // fractions (0.01 = 1%)
  double mean_rel_error = 0;     // the metric --accuracyThreshold applies to (in percent there)
  double cosine_similarity = 0;  // mean over samples of the cosine of (all outputs, all references)
  double min_cosine_similarity = 0;
  double top1_agreement = 0;     // share of rows of output 0 whose argmax matches; NaN if not a classifier
  int64_t top1_rows = 0;
  int64_t nonfinite = 0;         // NaN/Inf outputs (they fail the check)
  double threshold_pct = 0;
  bool passed = false;
};

class AccuracyAccumulator {
 public:
  // `output_elements`: float32 values of each output in one sample, in order. `classes`: size of
  // the last dimension of output 0; rows of that size get a top-1 comparison (none when < 2).
  AccuracyAccumulator(std::vector<size_t> output_elements, size_t classes);

  size_t floats_per_sample() const { return floats_per_sample_; }
  // One sample: all outputs concatenated, and the matching reference values.
  void AddSample(const float* out, const float* ref);
  // Metrics so far; passed = no non-finite output and mean_rel_error * 100 <= threshold_pct.
  AccuracyReport Result(double threshold_pct) const;

 private:
  std::vector<size_t> output_elements_;
  size_t floats_per_sample_ = 0;
  size_t classes_ = 0;
  int64_t samples_ = 0;
  int64_t elements_ = 0;
  double max_abs_ = 0;
  double sum_abs_ = 0;
  double max_rel_ = 0;
  double sum_rel_ = 0;
  double sum_cos_ = 0;
  double min_cos_ = 1;
  int64_t top1_rows_ = 0;
  int64_t top1_agree_ = 0;
  int64_t nonfinite_ = 0;
};

// Cosine similarity of two vectors; 1 when both are all zero, 0 when only one is.
double CosineSimilarity(const float* a, const float* b, size_t n);

}  // namespace device_bench

#endif  // DEVICE_BENCH_ACCURACY_H_
