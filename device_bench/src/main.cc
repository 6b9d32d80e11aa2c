// device_bench: benchmarks a MindSpore Lite .ms model and prints one JSON document.
//
// The phases (phases.h), after TensorFlow Lite's benchmark_model: check params -> log params ->
// init (build) -> fill inputs -> first inference -> what ran -> warm-up -> cooldown -> device state -> idle
// power baseline -> timed runs (power sampled) -> device state -> pass over every sample
// (--outDataFile, --benchmarkDataFile) -> JSON. A signal at any point after the first inference
// skips to the JSON. This file is the sequence, plus the one phase that needs MindSpore Lite:
// building the model.

#include <cstdio>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "build_version.h"
#include "device_state.h"
#include "effective.h"
#include "flags.h"
#include "phases.h"
#include "runner.h"
#include "sysinfo.h"

namespace device_bench {
namespace {

// Init: builds `model` with MindSpore Lite, then releases the file's bytes (the runtime keeps its
// own copy).
Status BuildModel(const Flags& flags, const Clock& clock, ModelFile* model, Runner* runner, double* init_ms) {
  RunnerOptions options;
  options.threads = static_cast<int>(flags.num_threads);
  options.cpu_bind_mode = static_cast<int>(flags.cpu_bind_mode);
  options.enable_fp16 = flags.enable_fp16;
  options.device = flags.device;
  options.input_shapes = flags.parsed_input_shapes;
  options.verbose = flags.verbose;
  std::string why;
  const Clock::TimePoint t0 = clock.Now();
  if (!runner->Build(model->bytes.data(), model->bytes.size(), options, &why)) {
    return Status::User("model file " + Quoted(flags.model_file) + ": " + why);
  }
  *init_ms = MsBetween(t0, clock.Now());
  std::vector<uint8_t>().swap(model->bytes);
  return Status::Ok();
}

int Finish(const Status& status) {
  if (!status.error.empty()) std::fprintf(stderr, "device_bench: error: %s\n", status.error.c_str());
  return status.code;
}

int Run(int argc, char** argv) {
  BenchResult result;
  result.started_at = UtcNowIso8601();
  result.tool_version = ToolVersion();

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
    std::printf("device_bench %s (%s)\n", ToolVersion(), lite.empty() ? "MindSpore Lite" : lite.c_str());
    return kExitOk;
  }
  CheckedFiles files;
  Status s = CheckParams(flags, result.tool_version, Runner::AvailableDevices(), &files);
  if (!s.ok()) return Finish(s);
  result.config = flags;
  const Log log(flags.quiet);
  const SteadyClock clock;
  LogParams(flags, result.tool_version, log);

  ModelFile model;
  Runner runner;
  const Sysfs proc("/");  // this process's own threads: always the real /proc
  const std::string process_cpus = ReadProcessCpus(proc);  // before the runtime can pin anything
  if (!(s = LoadModel(flags, log, &model, &result)).ok()) return Finish(s);
  if (!(s = BuildModel(flags, clock, &model, &runner, &result.init_ms)).ok()) return Finish(s);
  LogInit(result.init_ms, runner, log);
  if (!(s = FillInputs(flags, files.in_bytes, &runner, log, &result.samples)).ok()) return Finish(s);

  InstallSignalHandlers();
  if (!(s = FirstInference(flags, &runner, clock, log, &result.first_ms)).ok()) return Finish(s);
  RecordEffective(flags, runner.build_log(), runner.build_log_complete(), process_cpus, proc, log, &result);
  AccuracyAccumulator accuracy = MakeAccuracy(runner);
  if (!(s = CheckReferenceSize(flags, files.ref_bytes, result.samples, accuracy)).ok()) return Finish(s);
  const Sysfs fs(flags.sysfs_root);
  const BatteryChoice battery = FindBattery(fs);
  if (!(s = WarmUp(flags, &runner, log)).ok()) return Finish(s);
  result.cooldown = Cooldown(flags, fs, battery.dir, clock, log, &result.warnings);

  if (!Interrupted()) result.state_start = ReadDeviceState(fs, battery.dir, &result.warnings);
  PowerRun power;
  StartPower(flags, fs, battery, clock, log, &power, &result.warnings);
  TimedRuns timed;
  if (!(s = TimedLoop(flags, &runner, clock, log, power.sampler.get(), &timed, &result.warnings)).ok()) return Finish(s);
  if (timed.ran) {
    result.runs_ms = std::move(timed.runs_ms);
    result.timed_seconds = timed.seconds;
    power.in.load_seconds = timed.seconds;
  }
  StopPower(fs, battery, &power);
  result.state_end = ReadDeviceState(fs, battery.dir, nullptr);

  AccuracyAccumulator* compare = flags.benchmark_data_file.empty() ? nullptr : &accuracy;
  s = SamplePass(flags, static_cast<uint64_t>(result.samples), &runner, clock, log, compare, &result.outputs_written);
  if (!s.ok()) return Finish(s);

  AssembleReport(flags, runner, model.info, power, compare, log, &result);
  if (!(s = WriteReport(result, flags, stdout)).ok()) return Finish(s);
  return Finish(FinalStatus(result, flags, InterruptSignal(), log));
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
