// The benchmark result as a value, and its JSON form (schema "mindedge.bench/1").
#ifndef DEVICE_BENCH_REPORT_H_
#define DEVICE_BENCH_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "accuracy.h"
#include "device_state.h"
#include "effective.h"
#include "flags.h"
#include "power.h"
#include "sysinfo.h"

namespace device_bench {

constexpr char kSchema[] = "mindedge.bench/1";

struct TensorDesc {
  std::string name;
  std::vector<int64_t> shape;
  std::string dtype;   // "float32", ...
  std::string format;  // "NCHW", "NHWC", ...
};

struct CooldownResult {
  bool requested = false;  // --cooldownC given
  double target_c = 0;
  double timeout_s = 0;
  double waited_s = 0;
  bool has_start = false;  // a temperature was readable
  double start_c = 0;
  double end_c = 0;
  std::string sensor;  // which reading was the hottest at the end
  bool reached = false;
};

struct BenchResult {
  std::string tool_version;
  TargetInfo target;
  // model
  std::string model_path;
  std::string model_sha256;
  uint64_t model_bytes = 0;
  std::vector<TensorDesc> inputs;
  std::vector<TensorDesc> outputs;
  // config: the flags as given, plus what they resolved to
  Flags config;
  int64_t samples = -1;       // whole samples in --inDataFile; -1 -> null
  // what the runtime really used (precision, threads, binding, device); null until the first inference
  bool has_effective = false;
  EffectiveReport effective;
  // measurements (milliseconds); NaN -> null
  double init_ms = 0;
  double first_ms = 0;
  std::vector<double> runs_ms;
  double timed_seconds = -1;  // wall time of the timed loop (with --runDelayMs sleeps); < 0 -> null
  int64_t batch = 1;  // images per inference, for throughput
  MemoryInfo memory;
  DeviceState state_start;    // .valid == false -> null
  DeviceState state_end;
  CooldownResult cooldown;
  bool has_power = false;
  PowerReport power;
  bool has_accuracy = false;
  AccuracyReport accuracy;
  int64_t outputs_written = -1;  // -1 -> null
  std::vector<std::string> warnings;
  bool interrupted = false;
  std::string started_at;
};

// Images per second over the timed runs: batch * runs / total seconds (NaN without runs).
double ThroughputIps(const BenchResult& r);

// The JSON document (pretty-printed, ends with a newline).
std::string ToJson(const BenchResult& r);

}  // namespace device_bench

#endif  // DEVICE_BENCH_REPORT_H_
