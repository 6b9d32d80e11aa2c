// Command-line flags of device_bench (names follow MindSpore Lite's `benchmark` tool).
#ifndef DEVICE_BENCH_FLAGS_H_
#define DEVICE_BENCH_FLAGS_H_

#include <string>

namespace device_bench {

struct Flags {
  std::string model_file;     // --modelFile (required)
  long loop_count = 100;      // --loopCount: timed runs (0 = none, e.g. only an --outDataFile pass)
  long warmup_loop_count = 10;  // --warmUpLoopCount
  long num_threads = 1;       // --numThreads
  std::string in_data_file;   // --inDataFile: raw float32 samples, empty = pseudo-random input
  std::string out_data_file;  // --outDataFile: outputs of every sample of --inDataFile
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

// The usage text (several lines, ends with a newline).
std::string Usage(const std::string& program);

// Limits enforced by ParseFlags (exposed for tests and the usage text).
constexpr long kMaxLoopCount = 10000000;
constexpr long kMaxThreads = 256;

}  // namespace device_bench

#endif  // DEVICE_BENCH_FLAGS_H_
