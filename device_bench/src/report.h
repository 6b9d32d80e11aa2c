// The benchmark result as a value, and its JSON form (schema "mindedge.bench/1").
#ifndef DEVICE_BENCH_REPORT_H_
#define DEVICE_BENCH_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "sysinfo.h"

namespace device_bench {

constexpr char kSchema[] = "mindedge.bench/1";

struct TensorDesc {
  std::string name;
  std::vector<int64_t> shape;
  std::string dtype;   // "float32", ...
  std::string format;  // "NCHW", "NHWC", ...
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
  // config
  int64_t threads = 1;
  int64_t loops = 0;
  int64_t warmup = 0;
  std::string in_data_file;   // "" -> null
  int64_t samples = -1;       // -1 -> null (no --inDataFile)
  std::string out_data_file;  // "" -> null
  // measurements (milliseconds); NaN -> null
  double init_ms = 0;
  double first_ms = 0;
  std::vector<double> runs_ms;
  int64_t batch = 1;  // images per inference, for throughput
  MemoryInfo memory;
  int64_t outputs_written = -1;  // -1 -> null
  bool interrupted = false;
  std::string started_at;
};

// Images per second over the timed runs: batch * runs / total seconds (NaN without runs).
double ThroughputIps(const BenchResult& r);

// The JSON document (pretty-printed, ends with a newline).
std::string ToJson(const BenchResult& r);

}  // namespace device_bench

#endif  // DEVICE_BENCH_REPORT_H_
