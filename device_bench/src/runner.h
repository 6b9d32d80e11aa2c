// Loads a .ms model with MindSpore Lite and runs it. The only file that includes Lite headers.
#ifndef DEVICE_BENCH_RUNNER_H_
#define DEVICE_BENCH_RUNNER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "flags.h"

namespace device_bench {

struct RunnerOptions {
  int threads = 1;
  int cpu_bind_mode = 0;          // Context::SetThreadAffinity: 0 none, 1 big cores, 2 middle cores
  bool enable_fp16 = false;       // SetEnableFP16 on every device info
  std::string device = "CPU";     // CPU, GPU, NPU, Ascend310 (one of AvailableDevices())
  std::vector<InputShapeSpec> input_shapes;  // --inputShapes
  bool verbose = false;           // show MindSpore Lite's own log
};

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

  // Builds the model from an in-memory .ms file. A device other than the CPU is tried first, with
  // the CPU as fallback for operators it lacks. Inputs named in `input_shapes` (or given by
  // position) are resized; remaining dynamic dimensions (-1) become 1. On failure returns false
  // with a one-line reason; the runtime's own log is captured and its first error quoted, unless
  // `verbose` (then it is shown).
  bool Build(const void* model_data, size_t model_size, const RunnerOptions& options, std::string* error);

  // The devices this build of device_bench can use ("CPU" always first).
  static std::vector<std::string> AvailableDevices();

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
