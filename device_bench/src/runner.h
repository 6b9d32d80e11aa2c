// Loads a .ms model with MindSpore Lite and runs it. The only file that includes Lite headers.
#ifndef DEVICE_BENCH_RUNNER_H_
#define DEVICE_BENCH_RUNNER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "flags.h"
#include "model_runner.h"

namespace device_bench {

struct RunnerOptions {
  int threads = 1;
  int cpu_bind_mode = 0;          // Context::SetThreadAffinity: 0 none, 1 big cores, 2 middle cores
  bool enable_fp16 = false;       // SetEnableFP16 on every device info
  std::string device = "CPU";     // CPU, GPU, NPU, Ascend310 (one of AvailableDevices())
  std::vector<InputShapeSpec> input_shapes;  // --inputShapes
  bool verbose = false;           // show MindSpore Lite's own log
};

// The MindSpore Lite implementation of ModelRunner.
class Runner final : public ModelRunner {
 public:
  Runner();
  ~Runner() override;
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

  const std::vector<RunnerTensor>& inputs() const override { return inputs_; }
  const std::vector<RunnerTensor>& outputs() const override { return outputs_; }
  void* input_data(size_t i) override;
  const void* output_data(size_t i) override;
  bool Predict(std::string* error) override;
  void RefreshOutputs() override;

  // MindSpore Lite's version string, e.g. "MindSpore Lite 2.0.0".
  static std::string LiteVersion();

  // MindSpore Lite's log while Build ran (captured even with `verbose`, which then also shows it), and
  // whether it holds every warning (false: no capture file, or GLOG_v filters warnings out).
  const std::string& build_log() const { return build_log_; }
  bool build_log_complete() const { return build_log_complete_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<RunnerTensor> inputs_;
  std::vector<RunnerTensor> outputs_;
  std::string build_log_;
  bool build_log_complete_ = false;
};

}  // namespace device_bench

#endif  // DEVICE_BENCH_RUNNER_H_
