// device_bench: benchmarks a MindSpore Lite .ms model and prints one JSON document.
//
// Sequence (after TensorFlow Lite's benchmark_model): check params -> log params -> init (build)
// -> fill inputs -> first inference -> warm-up -> cooldown -> device state -> idle power baseline
// -> timed runs (power sampled) -> device state -> pass over every sample (--outDataFile,
// --benchmarkDataFile) -> JSON. A signal at any point after the first inference skips to the JSON.

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "accuracy.h"
#include "device_state.h"
#include "fileio.h"
#include "flags.h"
#include "ms_model.h"
#include "power.h"
#include "report.h"
#include "runner.h"
#include "sha256.h"
#include "sysfs.h"
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
constexpr int kExitAccuracy = 3;
constexpr uint64_t kMaxModelBytes = 2ULL << 30;  // FlatBuffers cannot exceed 2 GiB

volatile std::sig_atomic_t g_signal = 0;

extern "C" void OnSignal(int sig) {
  g_signal = sig;
  std::signal(sig, SIG_DFL);  // a second signal ends the process at once
}

bool Interrupted() { return g_signal != 0; }

using Clock = std::chrono::steady_clock;

double MsBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double SecondsSince(Clock::time_point a) { return std::chrono::duration<double>(Clock::now() - a).count(); }

// Sleeps until `deadline` in short slices; returns false as soon as a signal arrives.
bool SleepUntil(Clock::time_point deadline) {
  while (!Interrupted()) {
    const auto now = Clock::now();
    if (now >= deadline) return true;
    std::this_thread::sleep_for(std::min<Clock::duration>(deadline - now, std::chrono::milliseconds(10)));
  }
  return false;
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

// One pass over every sample of --inDataFile: writes all outputs as float32 (--outDataFile) and/or
// compares them with the reference outputs (--benchmarkDataFile). Returns the exit code (kExitOk
// also when interrupted: then *written stays -1 and the accuracy covers the samples so far).
int RunAllSamples(const Flags& flags, uint64_t samples, Runner* runner, const Log& log, int64_t* written,
                  AccuracyAccumulator* accuracy) {
  std::string why;
  std::FILE* in = std::fopen(flags.in_data_file.c_str(), "rb");
  if (in == nullptr) {
    return Fail(kExitUser, "input data file " + Quoted(flags.in_data_file) + " cannot be opened: " +
                               std::strerror(errno));
  }
  std::vector<char> in_buffer(4 << 20);
  std::setvbuf(in, in_buffer.data(), _IOFBF, in_buffer.size());
  std::FILE* ref = nullptr;
  std::vector<float> ref_sample;
  if (accuracy != nullptr) {
    ref = std::fopen(flags.benchmark_data_file.c_str(), "rb");
    if (ref == nullptr) {
      std::fclose(in);
      return Fail(kExitUser, "benchmark data file " + Quoted(flags.benchmark_data_file) + " cannot be opened: " +
                                 std::strerror(errno));
    }
    ref_sample.resize(accuracy->floats_per_sample());
  }
  auto close_all = [&]() {
    std::fclose(in);
    if (ref != nullptr) std::fclose(ref);
  };
  const bool writing = !flags.out_data_file.empty();
  AtomicFileWriter out;
  if (writing && !out.Open(flags.out_data_file, &why, 4 << 20)) {
    close_all();
    return Fail(kExitUser, "output data file " + Quoted(flags.out_data_file) + " " + why);
  }
  size_t total_elements = 0;
  for (const RunnerTensor& t : runner->outputs()) total_elements += t.elements;
  std::vector<float> sample_out(total_elements);  // all outputs of one sample, as float32
  const uint64_t step = std::max<uint64_t>(1, samples / 10);
  const auto t0 = Clock::now();
  uint64_t done = 0;
  for (; done < samples && !Interrupted(); ++done) {
    if (!ReadSample(in, runner)) {
      close_all();
      return Fail(kExitUser, "input data file " + Quoted(flags.in_data_file) + " ended early at sample " +
                                 std::to_string(done) + " of " + std::to_string(samples) + " (was it changed?)");
    }
    std::string error;
    if (!runner->Predict(&error)) {
      close_all();
      return Fail(kExitInternal, "sample " + std::to_string(done) + " of " + Quoted(flags.in_data_file) + ": " + error);
    }
    size_t offset = 0;
    for (size_t i = 0; i < runner->outputs().size(); ++i) {
      const RunnerTensor& t = runner->outputs()[i];
      const void* data = runner->output_data(i);
      if (data == nullptr) {
        close_all();
        return Fail(kExitInternal, "sample " + std::to_string(done) + ": output '" + t.name + "' has no data");
      }
      if (!ConvertToFloat32(t.data_type, data, t.elements, sample_out.data() + offset)) {
        close_all();
        return Fail(kExitInternal, "output '" + t.name + "' has type " + TypeName(t.data_type) +
                                       ", which cannot be written as float32");
      }
      offset += t.elements;
    }
    if (writing) out.Write(sample_out.data(), sample_out.size() * sizeof(float));
    if (accuracy != nullptr) {
      if (std::fread(ref_sample.data(), sizeof(float), ref_sample.size(), ref) != ref_sample.size()) {
        close_all();
        return Fail(kExitUser, "benchmark data file " + Quoted(flags.benchmark_data_file) + " ended early at sample " +
                                   std::to_string(done) + " (was it changed?)");
      }
      accuracy->AddSample(sample_out.data(), ref_sample.data());
    }
    if ((done + 1) % step == 0 || done + 1 == samples) {
      log.Info("samples: %llu/%llu", static_cast<unsigned long long>(done + 1), static_cast<unsigned long long>(samples));
    }
  }
  close_all();
  if (Interrupted()) {
    if (writing) {
      out.Abort();
      log.Info("samples: interrupted after %llu; %s not written", static_cast<unsigned long long>(done),
               flags.out_data_file.c_str());
    }
    return kExitOk;
  }
  if (writing) {
    if (!out.Commit(&why)) return Fail(kExitInternal, "output data file " + Quoted(flags.out_data_file) + " " + why);
    *written = static_cast<int64_t>(done);
  }
  log.Info("samples: %llu in %.1f s%s%s", static_cast<unsigned long long>(done), MsBetween(t0, Clock::now()) / 1000.0,
           writing ? " -> " : "", writing ? flags.out_data_file.c_str() : "");
  return kExitOk;
}

// The battery: the supply sampled for power, also read for its temperature.
struct BatteryChoice {
  std::string name;  // "" if none
  std::string dir;   // "/sys/class/power_supply/<name>"
  bool has_power_files = false;
  std::string found;  // the supplies seen, for messages
};

BatteryChoice FindBattery(const Sysfs& fs) {
  BatteryChoice b;
  const std::vector<SupplyInfo> supplies = ListSupplies(fs);
  for (const SupplyInfo& s : supplies) b.found += (b.found.empty() ? "" : ", ") + s.name + (s.type.empty() ? "" : " (" + s.type + ")");
  int index = ChooseBatterySupply(supplies);
  b.has_power_files = index >= 0;
  if (index < 0) {  // a battery without current/voltage files still has a temperature
    for (size_t i = 0; i < supplies.size() && index < 0; ++i) {
      if (supplies[i].type == "Battery") index = static_cast<int>(i);
    }
  }
  if (index >= 0) {
    b.name = supplies[static_cast<size_t>(index)].name;
    b.dir = std::string(kPowerSupplyDir) + "/" + b.name;
  }
  return b;
}

std::string Fixed1(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// --cooldownC: polls the hottest temperature every 500 ms until it is below the target.
CooldownResult Cooldown(const Flags& flags, const Sysfs& fs, const std::string& battery_dir, const Log& log,
                        std::vector<std::string>* warnings) {
  CooldownResult c;
  c.requested = true;
  c.target_c = flags.cooldown_c;
  c.timeout_s = flags.cooldown_timeout_s;
  double temp = 0;
  std::string sensor;
  if (!HottestTemperature(ReadDeviceState(fs, battery_dir, nullptr), &temp, &sensor)) {
    const std::string msg = "--cooldownC: no temperature readable (battery temp, " + fs.Path("/sys/class/thermal") +
                            "/thermal_zone*/temp): timing without waiting";
    warnings->push_back(msg);
    log.Info("cooldown: %s", msg.c_str());
    return c;
  }
  c.has_start = true;
  c.start_c = temp;
  const auto t0 = Clock::now();
  if (temp >= c.target_c) {
    log.Info("cooldown: waiting: %.1f C at %s, target below %.1f C (timeout %.0f s)", temp, sensor.c_str(),
             c.target_c, c.timeout_s);
  }
  while (temp >= c.target_c && !Interrupted() && SecondsSince(t0) < c.timeout_s) {
    const auto deadline = std::min(Clock::now() + std::chrono::milliseconds(500),
                                   t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(c.timeout_s)));
    if (!SleepUntil(deadline)) break;
    double t = 0;
    std::string s;
    if (HottestTemperature(ReadDeviceState(fs, battery_dir, nullptr), &t, &s)) {
      temp = t;
      sensor = s;
    }
  }
  c.waited_s = SecondsSince(t0);
  c.end_c = temp;
  c.sensor = sensor;
  c.reached = temp < c.target_c;
  if (c.reached) {
    log.Info("cooldown: %.1f C at %s after %.1f s", temp, sensor.c_str(), c.waited_s);
  } else if (!Interrupted()) {
    const std::string msg = "--cooldownC=" + Fixed1(c.target_c) + ": still " + Fixed1(temp) + " C at " + sensor +
                            " after " + Fixed1(c.waited_s) + " s (--cooldownTimeoutS); timing anyway";
    warnings->push_back(msg);
    log.Info("cooldown: %s", msg.c_str());
  }
  return c;
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
  if (!flags.host_version.empty() && flags.host_version != DEVICE_BENCH_VERSION) {
    return Fail(kExitUser, "version mismatch: the host tools are version " + flags.host_version +
                               " but this device_bench is version " + DEVICE_BENCH_VERSION +
                               "; rebuild device_bench from the same mindedge checkout (mindedge sdk build) and push it again");
  }
  const std::vector<std::string> devices = Runner::AvailableDevices();
  if (std::find(devices.begin(), devices.end(), flags.device) == devices.end()) {
    std::string list;
    for (const std::string& d : devices) list += (list.empty() ? "" : ", ") + d;
    return Fail(kExitUser, "device " + flags.device + " not available in this build (available: " + list +
                               "); build device_bench against a MindSpore Lite package with " + flags.device +
                               " support, or use --device=CPU");
  }
  result.config = flags;
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
  uint64_t ref_size = 0;
  if (!flags.benchmark_data_file.empty() && !StatReadableFile(flags.benchmark_data_file, &ref_size, &why)) {
    return Fail(kExitUser, "benchmark data file " + Quoted(flags.benchmark_data_file) + " " + why);
  }
  if (!flags.out_data_file.empty() && !CheckCreatable(flags.out_data_file, &why)) {
    return Fail(kExitUser, "output data file " + Quoted(flags.out_data_file) + " " + why);
  }
  if (!flags.json_out.empty() && !CheckCreatable(flags.json_out, &why)) {
    return Fail(kExitUser, "JSON output file " + Quoted(flags.json_out) + " " + why);
  }

  // Log params.
  log.Info("version %s", DEVICE_BENCH_VERSION);
  log.Info("modelFile=%s device=%s numThreads=%ld cpuBindMode=%ld enableFp16=%s inputShapes=%s",
           flags.model_file.c_str(), flags.device.c_str(), flags.num_threads, flags.cpu_bind_mode,
           flags.enable_fp16 ? "true" : "false", flags.input_shapes.empty() ? "-" : flags.input_shapes.c_str());
  log.Info("loopCount=%ld warmUpLoopCount=%ld minSeconds=%g maxSeconds=%g runDelayMs=%ld", flags.loop_count,
           flags.warmup_loop_count, flags.min_seconds, flags.max_seconds, flags.run_delay_ms);
  log.Info("inDataFile=%s outDataFile=%s benchmarkDataFile=%s jsonOut=%s",
           flags.in_data_file.empty() ? "(random)" : flags.in_data_file.c_str(),
           flags.out_data_file.empty() ? "-" : flags.out_data_file.c_str(),
           flags.benchmark_data_file.empty() ? "-" : flags.benchmark_data_file.c_str(),
           flags.json_out.empty() ? "-" : flags.json_out.c_str());
  log.Info("powerSource=%s powerIntervalMs=%ld sysfsRoot=%s", flags.power_source.c_str(), flags.power_interval_ms,
           flags.sysfs_root.c_str());

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
  RunnerOptions options;
  options.threads = static_cast<int>(flags.num_threads);
  options.cpu_bind_mode = static_cast<int>(flags.cpu_bind_mode);
  options.enable_fp16 = flags.enable_fp16;
  options.device = flags.device;
  options.input_shapes = flags.parsed_input_shapes;
  options.verbose = flags.verbose;
  auto t0 = Clock::now();
  if (!runner.Build(model.data(), model.size(), options, &why)) {
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

  // The reference outputs must cover every sample (output sizes are known after the first run).
  std::vector<size_t> output_elements;
  for (const RunnerTensor& t : runner.outputs()) output_elements.push_back(t.elements);
  const std::vector<int64_t>& out0 = runner.outputs().front().shape;
  AccuracyAccumulator accuracy(output_elements, out0.empty() ? 0 : static_cast<size_t>(std::max<int64_t>(out0.back(), 0)));
  if (!flags.benchmark_data_file.empty()) {
    const uint64_t expected = static_cast<uint64_t>(result.samples) * accuracy.floats_per_sample() * sizeof(float);
    if (ref_size != expected) {
      return Fail(kExitUser, "benchmark data file " + Quoted(flags.benchmark_data_file) + " has " +
                                 std::to_string(ref_size) + " bytes, expected " + std::to_string(expected) + " (" +
                                 std::to_string(result.samples) + " samples x " +
                                 std::to_string(accuracy.floats_per_sample()) +
                                 " float32 outputs, in the layout --outDataFile writes)");
    }
  }

  const Sysfs fs(flags.sysfs_root);
  const BatteryChoice battery = FindBattery(fs);

  // Warm-up.
  if (flags.warmup_loop_count > 0 && !Interrupted()) log.Info("phase: warmup");
  for (long i = 0; i < flags.warmup_loop_count && !Interrupted(); ++i) {
    if (!runner.Predict(&why)) return Fail(kExitInternal, "warm-up run " + std::to_string(i) + ": " + why);
  }

  // Cooldown.
  if (flags.has_cooldown && !Interrupted()) {
    log.Info("phase: cooldown");
    result.cooldown = Cooldown(flags, fs, battery.dir, log, &result.warnings);
  } else if (flags.has_cooldown) {
    result.cooldown.requested = true;
    result.cooldown.target_c = flags.cooldown_c;
    result.cooldown.timeout_s = flags.cooldown_timeout_s;
  }

  // Device state before timing.
  if (!Interrupted()) result.state_start = ReadDeviceState(fs, battery.dir, &result.warnings);

  // Power: idle baseline.
  PowerInputs power_in;
  std::unique_ptr<PowerSampler> sampler;
  if (flags.power_source == "none") {
    result.warnings.push_back("power not measured: --powerSource=none");
  } else if (!battery.has_power_files) {
    result.warnings.push_back("power not measured: no battery with current_now and voltage_now under " +
                              fs.Path(kPowerSupplyDir) + (battery.found.empty() ? " (no supplies)" : " (found: " + battery.found + ")"));
  } else if (!Interrupted()) {
    sampler.reset(new PowerSampler(fs, battery.dir, static_cast<int>(flags.power_interval_ms)));
    if (!sampler->Start(&why)) {
      result.warnings.push_back("power not measured: " + why);
      sampler.reset();
    }
  }
  if (sampler) {
    power_in.supply = battery.name;
    power_in.interval_ms = static_cast<double>(flags.power_interval_ms);
    power_in.idle_target_ms = std::max<double>(static_cast<double>(flags.power_idle_ms), 10.0 * power_in.interval_ms);
    if (!fs.ReadLine(battery.dir + "/status", &power_in.status_start, &why)) power_in.status_start.clear();
    const auto idle_start = Clock::now();
    sampler->SetPhase(PowerPhase::kIdle);
    sampler->WaitForSamples(1, 1000);
    log.Info("phase: idle (%s, %.0f ms, sampling %s every %ld ms)", power_in.status_start.empty() ? "no status" : power_in.status_start.c_str(),
             power_in.idle_target_ms, fs.Path(battery.dir).c_str(), flags.power_interval_ms);
    SleepUntil(idle_start + std::chrono::microseconds(static_cast<int64_t>(power_in.idle_target_ms * 1000)));
    power_in.idle_seconds = SecondsSince(idle_start);
  }

  // Timed runs: at least --loopCount, and for at least --minSeconds, but no longer than --maxSeconds.
  if (!Interrupted()) {
    const long loop_cap = kMaxLoopCount;
    const bool any = flags.loop_count > 0 || flags.min_seconds > 0;
    if (any) {
      result.runs_ms.reserve(static_cast<size_t>(std::min(std::max(flags.loop_count, 1000L), loop_cap)));
      log.Info("phase: load");
    }
    if (sampler) sampler->SetPhase(PowerPhase::kLoad);
    const auto loop_start = Clock::now();
    const auto delay = std::chrono::milliseconds(flags.run_delay_ms);
    auto now = loop_start;
    auto last_progress = loop_start;
    bool capped = false;
    long i = 0;
    while (any && !Interrupted()) {
      const double elapsed = std::chrono::duration<double>(now - loop_start).count();
      if (i >= flags.loop_count && elapsed >= flags.min_seconds) break;
      if ((flags.max_seconds > 0 && elapsed >= flags.max_seconds) || i >= loop_cap) {
        capped = i < flags.loop_count;
        break;
      }
      if (i > 0 && flags.run_delay_ms > 0) {
        if (!SleepUntil(now + delay)) break;
      }
      const auto a = Clock::now();
      const bool ok = runner.Predict(&why);
      now = Clock::now();
      if (!ok) return Fail(kExitInternal, "timed run " + std::to_string(i) + ": " + why);
      result.runs_ms.push_back(MsBetween(a, now));
      ++i;
      if (now - last_progress >= std::chrono::seconds(1)) {
        last_progress = now;
        log.Info("timed: %ld runs, %.1f s", i, std::chrono::duration<double>(now - loop_start).count());
      }
    }
    result.timed_seconds = SecondsSince(loop_start);
    if (sampler) sampler->SetPhase(PowerPhase::kOff);
    power_in.load_seconds = result.timed_seconds;
    if (capped) {
      result.warnings.push_back("--maxSeconds stopped timing after " + std::to_string(i) + " of " +
                                std::to_string(flags.loop_count) + " runs");
    }
    if (!result.runs_ms.empty()) {
      std::vector<double> sorted(result.runs_ms);
      std::sort(sorted.begin(), sorted.end());
      log.Info("timed: %zu runs in %.3f s, p50 %.4f ms, min %.4f ms", sorted.size(), result.timed_seconds,
               sorted[sorted.size() / 2], sorted.front());
    }
  }
  if (sampler) {
    sampler->Stop();
    if (!fs.ReadLine(battery.dir + "/status", &power_in.status_end, &why)) power_in.status_end.clear();
  }
  result.state_end = ReadDeviceState(fs, battery.dir, nullptr);

  // All samples -> --outDataFile and/or comparison with --benchmarkDataFile.
  const bool compare = !flags.benchmark_data_file.empty();
  if ((!flags.out_data_file.empty() || compare) && !Interrupted()) {
    log.Info("phase: samples");
    const int code = RunAllSamples(flags, static_cast<uint64_t>(result.samples), &runner, log, &result.outputs_written,
                                   compare ? &accuracy : nullptr);
    if (code != kExitOk) return code;
  }

  // Report.
  result.target = GetTargetInfo(flags.sysfs_root);
  result.memory = GetMemoryInfo();
  result.inputs = Describe(runner.inputs(), info.inputs);
  result.outputs = Describe(runner.outputs(), info.outputs);
  const std::vector<int64_t>& shape0 = runner.inputs().front().shape;
  result.batch = shape0.size() >= 2 && shape0[0] > 0 ? shape0[0] : 1;
  if (sampler) {
    power_in.samples = sampler->samples();
    power_in.read_errors = sampler->read_errors();
    power_in.last_error = sampler->last_error();
    power_in.inferences = static_cast<int64_t>(result.runs_ms.size());
    result.power = AnalyzePower(power_in, &result.warnings);
    result.has_power = true;
    const PowerReport& p = result.power;
    log.Info("power: %s %s/%s %s; idle %.3f W (%lld samples), load %.3f W (%lld samples), %.4f mJ/inference",
             p.supply.c_str(), p.current_unit.c_str(), p.voltage_unit.c_str(), p.sign_convention.c_str(),
             p.idle.mean_power_w, static_cast<long long>(p.idle.samples), p.load.mean_power_w,
             static_cast<long long>(p.load.samples), p.energy_per_inference_mj);
  }
  if (compare && accuracy.Result(flags.accuracy_threshold).samples > 0) {
    result.accuracy = accuracy.Result(flags.accuracy_threshold);
    result.has_accuracy = true;
    const AccuracyReport& a = result.accuracy;
    log.Info("accuracy: %lld samples, mean relative error %.4g%% (threshold %.4g%%), max abs %.4g, cosine %.6f, "
             "top-1 agreement %.4f: %s",
             static_cast<long long>(a.samples), a.mean_rel_error * 100, a.threshold_pct, a.max_abs_error,
             a.cosine_similarity, a.top1_agreement, a.passed ? "passed" : "FAILED");
  }
  result.interrupted = Interrupted();
  for (const std::string& w : result.warnings) log.Info("warning: %s", w.c_str());

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
  if (result.has_accuracy && !result.accuracy.passed) {
    std::fprintf(stderr,
                 "device_bench: error: accuracy check failed: mean relative error %.4g%% exceeds --accuracyThreshold=%g%% "
                 "(max abs error %g, %lld non-finite outputs) against %s\n",
                 result.accuracy.mean_rel_error * 100, flags.accuracy_threshold, result.accuracy.max_abs_error,
                 static_cast<long long>(result.accuracy.nonfinite), Quoted(flags.benchmark_data_file).c_str());
    return kExitAccuracy;
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
