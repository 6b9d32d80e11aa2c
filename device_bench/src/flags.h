// Command-line flags of device_bench (names follow MindSpore Lite's `benchmark` tool where one exists).
#ifndef DEVICE_BENCH_FLAGS_H_
#define DEVICE_BENCH_FLAGS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace device_bench {

// One entry of --inputShapes: the input it names ("" = by position) and its new dimensions.
struct InputShapeSpec {
  std::string name;
  std::vector<int64_t> dims;
};

struct Flags {
  std::string model_file;     // --modelFile (required)
  long loop_count = 100;      // --loopCount: timed runs (0 = none, e.g. only an --outDataFile pass)
  long warmup_loop_count = 10;  // --warmUpLoopCount
  long num_threads = 1;       // --numThreads
  long cpu_bind_mode = 0;     // --cpuBindMode: 0 none, 1 big cores, 2 middle cores (Context::SetThreadAffinity)
  bool enable_fp16 = false;   // --enableFp16 (CPUDeviceInfo::SetEnableFP16)
  std::string device = "CPU";  // --device: CPU, GPU, NPU or Ascend310 (canonical spelling)
  std::string input_shapes;   // --inputShapes as given ("" = keep the model's shapes)
  std::vector<InputShapeSpec> parsed_input_shapes;  // parsed from input_shapes
  std::string in_data_file;   // --inDataFile: raw float32 samples, empty = pseudo-random input
  std::string out_data_file;  // --outDataFile: outputs of every sample of --inDataFile
  std::string benchmark_data_file;  // --benchmarkDataFile: reference outputs of every sample
  double accuracy_threshold = 0.5;  // --accuracyThreshold: max mean relative error, in percent
  double min_seconds = 0;     // --minSeconds: time at least this long (0 = off)
  double max_seconds = 0;     // --maxSeconds: time at most this long (0 = off)
  long run_delay_ms = 0;      // --runDelayMs: sleep between timed runs
  bool has_cooldown = false;  // --cooldownC given
  double cooldown_c = 0;      // --cooldownC: wait until the temperature is below this before timing
  double cooldown_timeout_s = 300;  // --cooldownTimeoutS: give up waiting after this long
  std::string power_source = "auto";  // --powerSource: auto, sysfs or none
  long power_interval_ms = 50;  // --powerIntervalMs
  long power_idle_ms = 1000;  // --powerIdleMs: idle baseline (at least 10 sampling intervals)
  std::string sysfs_root = "/";  // --sysfsRoot: prefix of every /sys and /proc read
  std::string host_version;   // --hostVersion: must equal the binary's version when given
  std::string json_out;       // --jsonOut: also write the JSON document there
  bool quiet = false;         // --quiet: no JSON on stdout, no progress on stderr
  bool verbose = false;       // --verbose: pass MindSpore Lite's own log through
  bool help = false;          // --help
  bool version = false;       // --version
};

struct ParseResult {
  bool ok = false;
  Flags flags;
  std::string error;  // set when !ok: one line, no prefix
};

// Parses argv[1..argc). Accepts `--flag=value` and `--flag value`; boolean flags take no value
// (or `=true`/`=false`). Rejects unknown flags, positional arguments, repeated flags, bad or
// out-of-range numbers and a missing --modelFile (unless --help or --version is given).
ParseResult ParseFlags(int argc, const char* const* argv);

// Parses --inputShapes. Accepted forms:
//   "1,28,28,1"                  one input, by position
//   "1,28,28,1:1,10"             several inputs by position (MindSpore Lite benchmark style)
//   "x:1,28,28,1;y:1,10"         by input name (a name may itself contain ':'; the last one separates)
// Every dimension is a positive integer. Returns false with a one-line reason.
bool ParseInputShapes(const std::string& text, std::vector<InputShapeSpec>* out, std::string* why);

// "CPU", "GPU", "NPU", "Ascend310" for any capitalisation of those names; "" otherwise.
std::string CanonicalDevice(const std::string& name);

// The usage text (several lines, ends with a newline).
std::string Usage(const std::string& program);

// Limits enforced by ParseFlags (exposed for tests and the usage text).
constexpr long kMaxLoopCount = 10000000;
constexpr long kMaxThreads = 256;

}  // namespace device_bench

#endif  // DEVICE_BENCH_FLAGS_H_
