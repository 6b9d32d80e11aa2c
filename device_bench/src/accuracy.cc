#include "accuracy.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace device_bench {

double CosineSimilarity(const float* a, const float* b, size_t n) {
  double dot = 0;
  double na = 0;
  double nb = 0;
  for (size_t i = 0; i < n; ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  if (na == 0 && nb == 0) return 1.0;
  if (na == 0 || nb == 0) return 0.0;
  return dot / (std::sqrt(na) * std::sqrt(nb));
}

AccuracyAccumulator::AccuracyAccumulator(std::vector<size_t> output_elements, size_t classes)
    : output_elements_(std::move(output_elements)), classes_(classes) {
  for (size_t n : output_elements_) floats_per_sample_ += n;
  if (output_elements_.empty() || classes_ < 2 || output_elements_[0] % classes_ != 0) classes_ = 0;
}

void AccuracyAccumulator::AddSample(const float* out, const float* ref) {
  const double inf = std::numeric_limits<double>::infinity();
  size_t offset = 0;
  for (size_t n : output_elements_) {
    const float* o = out + offset;
    const float* r = ref + offset;
    double peak = 0;
    for (size_t i = 0; i < n; ++i) peak = std::max(peak, std::fabs(static_cast<double>(r[i])));
    const double floor = std::max(kRelFloorFraction * peak, kRelFloorAbs);
    for (size_t i = 0; i < n; ++i) {
      double abs_err;
      double rel_err;
      if (!std::isfinite(o[i]) || !std::isfinite(r[i])) {
        ++nonfinite_;
        abs_err = rel_err = inf;
      } else {
        abs_err = std::fabs(static_cast<double>(o[i]) - r[i]);
        rel_err = abs_err / std::max(std::fabs(static_cast<double>(r[i])), floor);
      }
      max_abs_ = std::max(max_abs_, abs_err);
      max_rel_ = std::max(max_rel_, rel_err);
      sum_abs_ += abs_err;
      sum_rel_ += rel_err;
    }
    elements_ += static_cast<int64_t>(n);
    offset += n;
  }
  const double cos = CosineSimilarity(out, ref, floats_per_sample_);
  sum_cos_ += cos;
  min_cos_ = std::min(min_cos_, cos);
  if (classes_ >= 2) {
    for (size_t row = 0; row * classes_ < output_elements_[0]; ++row) {
      const float* o = out + row * classes_;
      const float* r = ref + row * classes_;
      const size_t ao = static_cast<size_t>(std::max_element(o, o + classes_) - o);
      const size_t ar = static_cast<size_t>(std::max_element(r, r + classes_) - r);
      ++top1_rows_;
      if (ao == ar) ++top1_agree_;
    }
  }
  ++samples_;
}

AccuracyReport AccuracyAccumulator::Result(double threshold_pct) const {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  AccuracyReport r;
  r.samples = samples_;
  r.elements = elements_;
  r.threshold_pct = threshold_pct;
  r.nonfinite = nonfinite_;
  if (elements_ == 0) {
    r.max_abs_error = r.mean_abs_error = r.max_rel_error = r.mean_rel_error = nan;
  } else {
    r.max_abs_error = max_abs_;
    r.mean_abs_error = sum_abs_ / static_cast<double>(elements_);
    r.max_rel_error = max_rel_;
    r.mean_rel_error = sum_rel_ / static_cast<double>(elements_);
  }
  r.cosine_similarity = samples_ > 0 ? sum_cos_ / static_cast<double>(samples_) : nan;
  r.min_cosine_similarity = samples_ > 0 ? min_cos_ : nan;
  r.top1_rows = top1_rows_;
  r.top1_agreement = top1_rows_ > 0 ? static_cast<double>(top1_agree_) / static_cast<double>(top1_rows_) : nan;
  r.passed = samples_ > 0 && nonfinite_ == 0 && r.mean_rel_error * 100.0 <= threshold_pct;
  return r;
}

}  // namespace device_bench
