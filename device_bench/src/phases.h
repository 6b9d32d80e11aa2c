// The phases of a benchmark run, after TensorFlow Lite's benchmark_model:
//   check params -> log params -> init (load, build) -> fill inputs -> first inference -> what ran -> warm-up
//   -> cooldown -> device state, idle power baseline -> timed loop (power sampled) -> device state
//   -> pass over every sample (--outDataFile, --benchmarkDataFile) -> report.
// Each phase takes what it needs and returns a Status (or fills a typed result); main.cc runs them
// in order. A signal after the first inference makes the remaining phases skip to the report.
// Nothing here needs MindSpore Lite (model building is in main.cc): the model is a ModelRunner.
#ifndef DEVICE_BENCH_PHASES_H_
#define DEVICE_BENCH_PHASES_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "accuracy.h"
#include "flags.h"
#include "model_runner.h"
#include "ms_model.h"
#include "power.h"
#include "report.h"
#include "session.h"
#include "sysfs.h"

namespace device_bench {

constexpr uint64_t kMaxModelBytes = 2ULL << 30;  // FlatBuffers cannot exceed 2 GiB

// ---- Check params -----------------------------------------------------------------------------

// "" when --hostVersion equals the tool's version string ("<version>+<build id>"), else the
// one-line refusal: both strings, whether the version or only the build id differs, and the fix.
std::string VersionMismatch(const std::string& host_version, const std::string& tool_version);

// Sizes of the files CheckParams found readable.
struct CheckedFiles {
  uint64_t model_bytes = 0;
  uint64_t in_bytes = 0;   // --inDataFile
  uint64_t ref_bytes = 0;  // --benchmarkDataFile
};

// --hostVersion, --device (one of `devices`), and every input file readable / output creatable.
Status CheckParams(const Flags& flags, const std::string& tool_version, const std::vector<std::string>& devices,
                   CheckedFiles* files);

// ---- Log params -------------------------------------------------------------------------------

void LogParams(const Flags& flags, const std::string& tool_version, const Log& log);

// ---- Init -------------------------------------------------------------------------------------

struct ModelFile {
  std::vector<uint8_t> bytes;  // released once the runtime has its copy
  MsModelInfo info;
};

// Reads and checks the .ms file; records its path, size and digest in `result`.
Status LoadModel(const Flags& flags, const Log& log, ModelFile* model, BenchResult* result);

// "init: ... ms" and one line per input of the built model.
void LogInit(double init_ms, const ModelRunner& runner, const Log& log);

// ---- Fill inputs ------------------------------------------------------------------------------

// Sample 1 of --inDataFile (its size `in_bytes` must be whole samples; *samples = their count), or
// pseudo-random data with a fixed seed.
Status FillInputs(const Flags& flags, uint64_t in_bytes, ModelRunner* runner, const Log& log, int64_t* samples);

// ---- First inference, warm-up -----------------------------------------------------------------

Status FirstInference(const Flags& flags, ModelRunner* runner, const Clock& clock, const Log& log, double* first_ms);

// ---- What ran --------------------------------------------------------------------------------

// Records in `result` what the runtime really used (effective.h): from its build log (`log_complete`:
// it holds every warning), the CPU, the process's CPUs before the build (`process_cpus`) and its
// threads now (under `proc`, the real / outside tests). Ignored requests go to `result->warnings`.
void RecordEffective(const Flags& flags, const std::string& build_log, bool log_complete,
                     const std::string& process_cpus, const Sysfs& proc, const Log& log, BenchResult* result);

// The accumulator for --benchmarkDataFile, sized from the outputs known after the first inference.
AccuracyAccumulator MakeAccuracy(const ModelRunner& runner);

// --benchmarkDataFile must hold `samples` x the float32 outputs of one sample.
Status CheckReferenceSize(const Flags& flags, uint64_t ref_bytes, int64_t samples, const AccuracyAccumulator& acc);

Status WarmUp(const Flags& flags, ModelRunner* runner, const Log& log);

// ---- Cooldown ---------------------------------------------------------------------------------

// The battery: the supply sampled for power, also read for its temperature.
struct BatteryChoice {
  std::string name;  // "" if none
  std::string dir;   // "/sys/class/power_supply/<name>"
  bool has_power_files = false;
  std::string found;  // the supplies seen, for messages
};

BatteryChoice FindBattery(const Sysfs& fs);

// --cooldownC: polls the hottest temperature every 500 ms until it is below the target (or
// --cooldownTimeoutS passes). Without --cooldownC nothing happens; after a signal only the request
// is recorded.
CooldownResult Cooldown(const Flags& flags, const Sysfs& fs, const std::string& battery_dir, const Clock& clock,
                        const Log& log, std::vector<std::string>* warnings);

// ---- Idle power baseline ----------------------------------------------------------------------

struct PowerRun {
  std::unique_ptr<PowerSampler> sampler;  // null: power not measured
  PowerInputs in;
};

// Starts the sampler (unless --powerSource=none, no battery, or a signal) and records the idle
// baseline; the reasons power is not measured go to `warnings`.
void StartPower(const Flags& flags, const Sysfs& fs, const BatteryChoice& battery, const Clock& clock,
                const Log& log, PowerRun* power, std::vector<std::string>* warnings);

// Stops the sampler and reads the battery status after the timed loop.
void StopPower(const Sysfs& fs, const BatteryChoice& battery, PowerRun* power);

// ---- Timed loop -------------------------------------------------------------------------------

struct TimedRuns {
  bool ran = false;             // false: a signal came first (nothing else is set)
  std::vector<double> runs_ms;  // one per timed run
  double seconds = 0;           // wall time of the loop, --runDelayMs sleeps included
  bool capped = false;          // --maxSeconds stopped it before --loopCount runs
};

// At least --loopCount runs and for at least --minSeconds, but no longer than --maxSeconds (nor more
// than kMaxLoopCount runs); a signal ends it early, keeping the runs so far. `sampler` (may be null)
// is switched to the load phase for the loop. A --maxSeconds stop is appended to `warnings`.
Status TimedLoop(const Flags& flags, ModelRunner* runner, const Clock& clock, const Log& log, PowerSampler* sampler,
                 TimedRuns* out, std::vector<std::string>* warnings);

// ---- Pass over every sample -------------------------------------------------------------------

// With --outDataFile and/or --benchmarkDataFile (and no signal yet): runs every one of `samples`
// samples of --inDataFile once, writes all outputs as float32 to --outDataFile (*written = samples;
// not written when interrupted) and/or adds them to `accuracy` (may be null without
// --benchmarkDataFile). Ok also when interrupted: the accuracy then covers the samples so far.
Status SamplePass(const Flags& flags, uint64_t samples, ModelRunner* runner, const Clock& clock, const Log& log,
                  AccuracyAccumulator* accuracy, int64_t* written);

// Reads one sample (all inputs, in order) from `in` straight into the input tensors.
bool ReadSample(std::FILE* in, ModelRunner* runner);

// ---- Report -----------------------------------------------------------------------------------

// Fills the rest of `result`: target, memory, tensors, batch, power (analysed from `power`),
// accuracy (when `accuracy` is not null and saw a sample), interrupted; logs power, accuracy and
// every warning.
void AssembleReport(const Flags& flags, const ModelRunner& runner, const MsModelInfo& info, const PowerRun& power,
                    const AccuracyAccumulator* accuracy, const Log& log, BenchResult* result);

// The JSON document to --jsonOut (atomically) and, unless --quiet, to `out`.
Status WriteReport(const BenchResult& result, const Flags& flags, std::FILE* out);

// The exit status once the report is out: 128 + signal when interrupted, kExitAccuracy when the
// accuracy check failed, else Ok.
Status FinalStatus(const BenchResult& result, const Flags& flags, int signal, const Log& log);

}  // namespace device_bench

#endif  // DEVICE_BENCH_PHASES_H_
