// Test doubles for the benchmark phases: a model runner, a clock, a captured log, temp files.
#ifndef DEVICE_BENCH_TESTS_FAKES_H_
#define DEVICE_BENCH_TESTS_FAKES_H_

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "model_runner.h"
#include "session.h"
#include "tensor_data.h"

namespace fakes {

using device_bench::Clock;

// Time that moves only when told to: by Advance, by SleepUntil, or by a FakeRunner's Predict.
class FakeClock final : public Clock {
 public:
  TimePoint Now() const override { return now_; }
  bool SleepUntil(TimePoint deadline) const override {
    if (device_bench::Interrupted()) return false;
    if (deadline > now_) now_ = deadline;
    return true;
  }
  void Advance(Duration d) { now_ += d; }

 private:
  mutable TimePoint now_{};
};

// One float32 input of `in_elements` and one float32 output of `out_elements` (shape [1, n]);
// output[k] = 2 * input[k % in_elements]. Every Predict advances `clock` by `cost` (when set),
// calls `on_predict` with its 1-based number, and fails with "boom" at call `fail_at`.
class FakeRunner final : public device_bench::ModelRunner {
 public:
  FakeRunner(size_t in_elements, size_t out_elements) : in_(in_elements), out_(out_elements) {
    inputs_.push_back({"x", {1, static_cast<int64_t>(in_elements)}, device_bench::kFloat32,
                       in_elements * sizeof(float), in_elements});
    outputs_.push_back({"y", {1, static_cast<int64_t>(out_elements)}, device_bench::kFloat32,
                        out_elements * sizeof(float), out_elements});
  }
  const std::vector<device_bench::RunnerTensor>& inputs() const override { return inputs_; }
  const std::vector<device_bench::RunnerTensor>& outputs() const override { return outputs_; }
  void* input_data(size_t) override { return in_.data(); }
  const void* output_data(size_t) override { return out_.data(); }
  bool Predict(std::string* error) override {
    ++calls;
    if (clock != nullptr) clock->Advance(cost);
    if (on_predict) on_predict(calls);
    if (calls == fail_at) {
      *error = "boom";
      return false;
    }
    for (size_t k = 0; k < out_.size(); ++k) out_[k] = 2 * in_[k % in_.size()];
    return true;
  }
  void RefreshOutputs() override { ++refreshes; }
  const std::vector<float>& input() const { return in_; }

  FakeClock* clock = nullptr;
  Clock::Duration cost{};
  long fail_at = -1;
  std::function<void(long)> on_predict;
  long calls = 0;
  long refreshes = 0;

 private:
  std::vector<float> in_;
  std::vector<float> out_;
  std::vector<device_bench::RunnerTensor> inputs_;
  std::vector<device_bench::RunnerTensor> outputs_;
};

// A log into a temporary file; Text() is everything written so far.
class CapturedLog {
 public:
  CapturedLog() : file_(std::tmpfile()), log_(false, file_) {}
  ~CapturedLog() {
    if (file_ != nullptr) std::fclose(file_);
  }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;
  const device_bench::Log& log() const { return log_; }
  std::string Text() const {
    std::fflush(file_);
    std::string text;
    std::rewind(file_);
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, file_)) > 0) text.append(buf, n);
    std::fseek(file_, 0, SEEK_END);
    return text;
  }

 private:
  std::FILE* file_;
  device_bench::Log log_;
};

// A fresh temporary directory, removed (with the files named by Path) at the end of the scope.
class TempDir {
 public:
  TempDir() {
    const char* t = std::getenv("TMPDIR");
    std::string templ = std::string(t && *t ? t : "/tmp") + "/device_bench_phases.XXXXXX";
    if (mkdtemp(&templ[0]) != nullptr) dir_ = templ;
  }
  ~TempDir() {
    for (const std::string& f : files_) std::remove(f.c_str());
    if (!dir_.empty()) rmdir(dir_.c_str());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  bool ok() const { return !dir_.empty(); }
  std::string Path(const std::string& name) {
    files_.push_back(dir_ + "/" + name);
    return files_.back();
  }

 private:
  std::string dir_;
  std::vector<std::string> files_;
};

inline bool WriteFloats(const std::string& path, const std::vector<float>& values) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  const bool ok = std::fwrite(values.data(), sizeof(float), values.size(), f) == values.size();
  return std::fclose(f) == 0 && ok;
}

inline std::vector<float> ReadFloats(const std::string& path) {
  std::vector<float> out;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return out;
  float v;
  while (std::fread(&v, sizeof v, 1, f) == 1) out.push_back(v);
  std::fclose(f);
  return out;
}

// Clears the signal flag when the test ends, whatever it did.
struct InterruptReset {
  InterruptReset() { device_bench::SetInterrupt(0); }
  ~InterruptReset() { device_bench::SetInterrupt(0); }
};

}  // namespace fakes

#endif  // DEVICE_BENCH_TESTS_FAKES_H_
