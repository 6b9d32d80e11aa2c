// device_bench: benchmarks a MindSpore Lite .ms model and prints one JSON document.
//
// Sequence (after TensorFlow Lite's benchmark_model): check params -> log params -> init (build)
// -> fill inputs -> first inference -> warm-up -> timed runs -> optional --outDataFile pass -> JSON.

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "fileio.h"
#include "flags.h"
#include "ms_model.h"
#include "report.h"
#include "runner.h"
#include "sha256.h"
#include "sysinfo.h"
#include "tensor_data.h"

#ifndef DEVICE_BENCH_VERSION
#error "DEVICE_BENCH_VERSION must be defined by the build"
#endif

namespace device_bench {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitInternal = 1;
constexpr int kExitUser = 2;
constexpr uint64_t kMaxModelBytes = 2ULL << 30;  // FlatBuffers cannot exceed 2 GiB

volatile std::sig_atomic_t g_signal = 0;

extern "C" void OnSignal(int sig) {
  g_signal = sig;
  std::signal(sig, SIG_DFL);  // a second signal ends the process at once
}

using Clock = std::chrono::steady_clock;

double MsBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "device_bench: error: %s\n", message.c_str());
  return code;
}

class Log {
 public:
  explicit Log(bool quiet) : quiet_(quiet) {}
  void Info(const char* fmt, ...) const __attribute__((format(printf, 2, 3))) {
    if (quiet_) return;
    std::va_list args;
    va_start(args, fmt);
    std::fputs("device_bench: ", stderr);
    std::vfprintf(stderr, fmt, args);
    std::fputc('\n', stderr);
    va_end(args);
  }

 private:
  bool quiet_;
};

std::string Quoted(const std::string& path) { return "'" + path + "'"; }

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

// The format recorded in the .ms file for a runtime tensor (matched by name, else by position).
std::string FormatOf(const std::vector<MsTensorInfo>& recorded, const RunnerTensor& t, size_t index) {
  for (const MsTensorInfo& r : recorded) {
    if (r.name == t.name) return FormatName(r.format);
  }
  if (index < recorded.size()) return FormatName(recorded[index].format);
  return "unknown";
}

std::vector<TensorDesc> Describe(const std::vector<RunnerTensor>& tensors, const std::vector<MsTensorInfo>& recorded) {
  std::vector<TensorDesc> out;
  for (size_t i = 0; i < tensors.size(); ++i) {
    out.push_back({tensors[i].name, tensors[i].shape, TypeName(tensors[i].data_type),
                   FormatOf(recorded, tensors[i], i)});
  }
  return out;
}

// Reads one sample (all inputs, in order) from `in` straight into the input tensors.
bool ReadSample(std::FILE* in, Runner* runner) {
  for (size_t i = 0; i < runner->inputs().size(); ++i) {
    const size_t n = runner->inputs()[i].bytes;
    if (std::fread(runner->input_data(i), 1, n, in) != n) return false;
  }
  return true;
}

// Runs every sample of --inDataFile once and writes all outputs as float32.
// Returns the exit code (kExitOk also when interrupted; *written stays -1 then).
int WriteAllOutputs(const Flags& flags, uint64_t samples, Runner* runner, const Log& log, int64_t* written) {
  std::string why;
  std::FILE* in = std::fopen(flags.in_data_file.c_str(), "rb");
  if (in == nullptr) {
    return Fail(kExitUser, "input data file " + Quoted(flags.in_data_file) + " cannot be opened: " +
                               std::strerror(errno));
  }
  std::vector<char> in_buffer(4 << 20);
  std::setvbuf(in, in_buffer.data(), _IOFBF, in_buffer.size());
  AtomicFileWriter out;
  if (!out.Open(flags.out_data_file, &why, 4 << 20)) {
    std::fclose(in);
    return Fail(kExitUser, "output data file " + Quoted(flags.out_data_file) + " " + why);
  }
  bool all_float32 = true;
  size_t max_elements = 0;
  for (const RunnerTensor& t : runner->outputs()) {
    all_float32 = all_float32 && t.data_type == kFloat32;
    max_elements = std::max(max_elements, t.elements);
  }
  std::vector<float> converted(all_float32 ? 0 : max_elements);
  const uint64_t step = std::max<uint64_t>(1, samples / 10);
  const auto t0 = Clock::now();
  uint64_t done = 0;
  for (; done < samples && g_signal == 0; ++done) {
    if (!ReadSample(in, runner)) {
      std::fclose(in);
      return Fail(kExitUser, "input data file " + Quoted(flags.in_data_file) + " ended early at sample " +
                                 std::to_string(done) + " of " + std::to_string(samples) + " (was it changed?)");
    }
    std::string error;
    if (!runner->Predict(&error)) {
      std::fclose(in);
      return Fail(kExitInternal, "sample " + std::to_string(done) + " of " + Quoted(flags.in_data_file) + ": " + error);
    }
    for (size_t i = 0; i < runner->outputs().size(); ++i) {
      const RunnerTensor& t = runner->outputs()[i];
      const void* data = runner->output_data(i);
      if (data == nullptr) {
        std::fclose(in);
        return Fail(kExitInternal, "sample " + std::to_string(done) + ": output '" + t.name + "' has no data");
      }
      if (t.data_type == kFloat32) {
        out.Write(data, t.elements * sizeof(float));
      } else if (ConvertToFloat32(t.data_type, data, t.elements, converted.data())) {
        out.Write(converted.data(), t.elements * sizeof(float));
      } else {
        std::fclose(in);
        return Fail(kExitInternal, "output '" + t.name + "' has type " + TypeName(t.data_type) +
                                       ", which cannot be written as float32");
      }
    }
    if ((done + 1) % step == 0 || done + 1 == samples) {
      log.Info("outDataFile: %llu/%llu samples", static_cast<unsigned long long>(done + 1),
               static_cast<unsigned long long>(samples));
    }
  }
  std::fclose(in);
  if (g_signal != 0) {
    out.Abort();
    log.Info("outDataFile: interrupted after %llu samples; %s not written", static_cast<unsigned long long>(done),
             flags.out_data_file.c_str());
    return kExitOk;
  }
  if (!out.Commit(&why)) return Fail(kExitInternal, "output data file " + Quoted(flags.out_data_file) + " " + why);
  log.Info("outDataFile: %llu samples in %.1f s -> %s", static_cast<unsigned long long>(done),
           MsBetween(t0, Clock::now()) / 1000.0, flags.out_data_file.c_str());
  *written = static_cast<int64_t>(done);
  return kExitOk;
}

int Run(int argc, char** argv) {
  BenchResult result;
  result.started_at = UtcNowIso8601();
  result.tool_version = DEVICE_BENCH_VERSION;

  // Check params.
  const ParseResult parsed = ParseFlags(argc, argv);
  if (!parsed.ok) {
    std::fprintf(stderr, "device_bench: error: %s\n\n%s", parsed.error.c_str(), Usage("device_bench").c_str());
    return kExitUser;
  }
  const Flags& flags = parsed.flags;
  if (flags.help) {
    std::fputs(Usage("device_bench").c_str(), stdout);
    return kExitOk;
  }
  if (flags.version) {
    const std::string lite = Runner::LiteVersion();
    std::printf("device_bench %s (%s)\n", DEVICE_BENCH_VERSION, lite.empty() ? "MindSpore Lite" : lite.c_str());
    return kExitOk;
  }
  const Log log(flags.quiet);
  std::string why;
  uint64_t model_size = 0;
  if (!StatReadableFile(flags.model_file, &model_size, &why)) {
    return Fail(kExitUser, "model file " + Quoted(flags.model_file) + " " + why);
  }
  uint64_t in_size = 0;
  if (!flags.in_data_file.empty() && !StatReadableFile(flags.in_data_file, &in_size, &why)) {
    return Fail(kExitUser, "input data file " + Quoted(flags.in_data_file) + " " + why);
  }
  if (!flags.out_data_file.empty() && !CheckCreatable(flags.out_data_file, &why)) {
    return Fail(kExitUser, "output data file " + Quoted(flags.out_data_file) + " " + why);
  }
  if (!flags.json_out.empty() && !CheckCreatable(flags.json_out, &why)) {
    return Fail(kExitUser, "JSON output file " + Quoted(flags.json_out) + " " + why);
  }

  // Log params.
  log.Info("version %s", DEVICE_BENCH_VERSION);
  log.Info("modelFile=%s loopCount=%ld warmUpLoopCount=%ld numThreads=%ld", flags.model_file.c_str(),
           flags.loop_count, flags.warmup_loop_count, flags.num_threads);
  log.Info("inDataFile=%s outDataFile=%s jsonOut=%s",
           flags.in_data_file.empty() ? "(random)" : flags.in_data_file.c_str(),
           flags.out_data_file.empty() ? "-" : flags.out_data_file.c_str(),
           flags.json_out.empty() ? "-" : flags.json_out.c_str());

  // Read and check the model file.
  std::vector<uint8_t> model;
  if (!ReadWholeFile(flags.model_file, kMaxModelBytes, &model, &why)) {
    return Fail(kExitUser, "model file " + Quoted(flags.model_file) + " " + why);
  }
  result.model_path = flags.model_file;
  result.model_bytes = model.size();
  result.model_sha256 = Sha256Hex(model.data(), model.size());
  const MsModelInfo info = InspectMsModel(model.data(), model.size());
  if (!info.ok) return Fail(kExitUser, "model file " + Quoted(flags.model_file) + " " + info.error);
  log.Info("model: %zu bytes, %zu nodes, %zu tensors, written by %s", model.size(), info.node_count,
           info.tensor_count, info.version.empty() ? "unknown" : info.version.c_str());

  // Init.
  Runner runner;
  auto t0 = Clock::now();
  if (!runner.Build(model.data(), model.size(), static_cast<int>(flags.num_threads), flags.verbose, &why)) {
    return Fail(kExitUser, "model file " + Quoted(flags.model_file) + ": " + why);
  }
  result.init_ms = MsBetween(t0, Clock::now());
  std::vector<uint8_t>().swap(model);  // the runtime keeps its own copy
  log.Info("init: %.3f ms", result.init_ms);
  for (const RunnerTensor& t : runner.inputs()) {
    log.Info("input '%s': %s %s, %zu bytes", t.name.c_str(), TypeName(t.data_type).c_str(),
             ShapeText(t.shape).c_str(), t.bytes);
  }

  // Fill inputs.
  const uint64_t bytes_per_sample = runner.input_bytes_per_sample();
  if (!flags.in_data_file.empty()) {
    const InputSizeCheck check = CheckInputSize(in_size, bytes_per_sample);
    if (!check.ok) return Fail(kExitUser, "input data file " + Quoted(flags.in_data_file) + " " + check.error);
    result.in_data_file = flags.in_data_file;
    result.samples = static_cast<int64_t>(check.samples);
    std::FILE* in = std::fopen(flags.in_data_file.c_str(), "rb");
    const bool read_ok = in != nullptr && ReadSample(in, &runner);
    if (in != nullptr) std::fclose(in);
    if (!read_ok) return Fail(kExitUser, "input data file " + Quoted(flags.in_data_file) + " cannot be read");
    log.Info("inputs: sample 1 of %llu from %s", static_cast<unsigned long long>(check.samples),
             flags.in_data_file.c_str());
  } else {
    SplitMix64 rng(kDefaultSeed);
    for (size_t i = 0; i < runner.inputs().size(); ++i) {
      FillPseudoRandom(runner.inputs()[i].data_type, runner.input_data(i), runner.inputs()[i].bytes, &rng);
    }
    log.Info("inputs: pseudo-random uniform [0,1), seed 0x%llx", static_cast<unsigned long long>(kDefaultSeed));
  }

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);

  // First inference.
  t0 = Clock::now();
  if (!runner.Predict(&why)) return Fail(kExitInternal, "model file " + Quoted(flags.model_file) + ": " + why);
  result.first_ms = MsBetween(t0, Clock::now());
  runner.RefreshOutputs();
  log.Info("first inference: %.3f ms", result.first_ms);

  // Warm-up.
  for (long i = 0; i < flags.warmup_loop_count && g_signal == 0; ++i) {
    if (!runner.Predict(&why)) return Fail(kExitInternal, "warm-up run " + std::to_string(i) + ": " + why);
  }

  // Timed runs.
  result.runs_ms.reserve(static_cast<size_t>(flags.loop_count));
  for (long i = 0; i < flags.loop_count && g_signal == 0; ++i) {
    const auto a = Clock::now();
    const bool ok = runner.Predict(&why);
    const auto b = Clock::now();
    if (!ok) return Fail(kExitInternal, "timed run " + std::to_string(i) + ": " + why);
    result.runs_ms.push_back(MsBetween(a, b));
  }
  if (!result.runs_ms.empty()) {
    std::vector<double> sorted(result.runs_ms);
    std::sort(sorted.begin(), sorted.end());
    log.Info("timed: %zu runs, p50 %.4f ms, min %.4f ms", sorted.size(), sorted[sorted.size() / 2], sorted.front());
  }

  // All samples -> --outDataFile.
  if (!flags.out_data_file.empty() && g_signal == 0) {
    result.out_data_file = flags.out_data_file;
    const int code = WriteAllOutputs(flags, static_cast<uint64_t>(result.samples), &runner, log,
                                     &result.outputs_written);
    if (code != kExitOk) return code;
  } else if (!flags.out_data_file.empty()) {
    result.out_data_file = flags.out_data_file;
  }

  // Report.
  result.target = GetTargetInfo();
  result.memory = GetMemoryInfo();
  result.threads = flags.num_threads;
  result.loops = flags.loop_count;
  result.warmup = flags.warmup_loop_count;
  result.inputs = Describe(runner.inputs(), info.inputs);
  result.outputs = Describe(runner.outputs(), info.outputs);
  const std::vector<int64_t>& shape0 = runner.inputs().front().shape;
  result.batch = shape0.size() >= 2 && shape0[0] > 0 ? shape0[0] : 1;
  result.interrupted = g_signal != 0;

  const std::string json = ToJson(result);
  if (!flags.json_out.empty() && !WriteFileAtomic(flags.json_out, json, &why)) {
    return Fail(kExitInternal, "JSON output file " + Quoted(flags.json_out) + " " + why);
  }
  if (!flags.quiet) {
    std::fputs(json.c_str(), stdout);
    if (std::fflush(stdout) != 0) return Fail(kExitInternal, std::string("cannot write to stdout: ") + std::strerror(errno));
  }
  if (result.interrupted) {
    log.Info("interrupted by signal %d", static_cast<int>(g_signal));
    return 128 + static_cast<int>(g_signal);
  }
  return kExitOk;
}

}  // namespace
}  // namespace device_bench

int main(int argc, char** argv) {
  try {
    return device_bench::Run(argc, argv);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "device_bench: error: out of memory\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "device_bench: error: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "device_bench: error: internal error: unknown exception\n");
  }
  return 1;
}
