// Loads a .ms model with MindSpore Lite and runs it. The only file that includes Lite headers.
#ifndef DEVICE_BENCH_RUNNER_H_
#define DEVICE_BENCH_RUNNER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace device_bench {

struct RunnerTensor {
  std::string name;
  std::vector<int64_t> shape;
  int data_type = 0;  // MindSpore type id
  size_t bytes = 0;
  size_t elements = 0;
};

class Runner {
 public:
  Runner();
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Builds the model from an in-memory .ms file for the CPU with `threads` threads. Dynamic input
  // dimensions (-1) are resized to 1. On failure returns false with a one-line reason; the
  // runtime's own log is captured and its first error quoted, unless `verbose` (then it is shown).
  bool Build(const void* model_data, size_t model_size, int threads, bool verbose, std::string* error);

  const std::vector<RunnerTensor>& inputs() const { return inputs_; }
  const std::vector<RunnerTensor>& outputs() const { return outputs_; }
  size_t input_bytes_per_sample() const;

  // Writable buffer of input i (stable across Predict calls).
  void* input_data(size_t i);
  // Output i of the last Predict (valid until the next one).
  const void* output_data(size_t i);

  bool Predict(std::string* error);

  // Re-reads output shapes and sizes (they can change after the first Predict of a model
  // with dynamic shapes).
  void RefreshOutputs();

  // MindSpore Lite's version string, e.g. "MindSpore Lite 2.0.0".
  static std::string LiteVersion();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<RunnerTensor> inputs_;
  std::vector<RunnerTensor> outputs_;
};

}  // namespace device_bench

#endif  // DEVICE_BENCH_RUNNER_H_
