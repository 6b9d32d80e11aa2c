// What the benchmark phases need of a loaded model: its tensors, their buffers and Predict.
// Runner (runner.h) implements it with MindSpore Lite; tests use fakes.
#ifndef DEVICE_BENCH_MODEL_RUNNER_H_
#define DEVICE_BENCH_MODEL_RUNNER_H_

#include <cstddef>
#include <cstdint>
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

class ModelRunner {
 public:
  virtual ~ModelRunner() = default;

  virtual const std::vector<RunnerTensor>& inputs() const = 0;
  virtual const std::vector<RunnerTensor>& outputs() const = 0;
  // Writable buffer of input i (stable across Predict calls).
  virtual void* input_data(size_t i) = 0;
  // Output i of the last Predict (valid until the next one).
  virtual const void* output_data(size_t i) = 0;
  // One inference; false with a one-line reason.
  virtual bool Predict(std::string* error) = 0;
  // Re-reads output shapes and sizes (they can change after the first Predict of a model with
  // dynamic shapes).
  virtual void RefreshOutputs() = 0;

  // Bytes of one sample: all inputs, in order.
  size_t input_bytes_per_sample() const {
    size_t total = 0;
    for (const RunnerTensor& t : inputs()) total += t.bytes;
    return total;
  }
};

}  // namespace device_bench

#endif  // DEVICE_BENCH_MODEL_RUNNER_H_
