// Phase "report": the rest of the result, the JSON document, the exit status.
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "fileio.h"
#include "phases.h"
#include "sysinfo.h"
#include "tensor_data.h"

namespace device_bench {
namespace {

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
    out.push_back({tensors[i].name, tensors[i].shape, TypeName(tensors[i].data_type), FormatOf(recorded, tensors[i], i)});
  }
  return out;
}

}  // namespace

void AssembleReport(const Flags& flags, const ModelRunner& runner, const MsModelInfo& info, const PowerRun& power,
                    const AccuracyAccumulator* accuracy, const Log& log, BenchResult* result) {
  result->target = GetTargetInfo(flags.sysfs_root);
  result->memory = GetMemoryInfo();
  result->inputs = Describe(runner.inputs(), info.inputs);
  result->outputs = Describe(runner.outputs(), info.outputs);
  if (!runner.inputs().empty()) {
    const std::vector<int64_t>& shape0 = runner.inputs().front().shape;
    result->batch = shape0.size() >= 2 && shape0[0] > 0 ? shape0[0] : 1;
  }
  if (power.sampler) {
    PowerInputs in = power.in;
    in.samples = power.sampler->samples();
    in.read_errors = power.sampler->read_errors();
    in.last_error = power.sampler->last_error();
    in.inferences = static_cast<int64_t>(result->runs_ms.size());
    result->power = AnalyzePower(in, &result->warnings);
    result->has_power = true;
    const PowerReport& p = result->power;
    log.Info("power: %s %s/%s %s; idle %.3f W (%lld samples), load %.3f W (%lld samples), %.4f mJ/inference",
             p.supply.c_str(), p.current_unit.c_str(), p.voltage_unit.c_str(), p.sign_convention.c_str(),
             p.idle.mean_power_w, static_cast<long long>(p.idle.samples), p.load.mean_power_w,
             static_cast<long long>(p.load.samples), p.energy_per_inference_mj);
  }
  if (accuracy != nullptr && accuracy->Result(flags.accuracy_threshold).samples > 0) {
    result->accuracy = accuracy->Result(flags.accuracy_threshold);
    result->has_accuracy = true;
    const AccuracyReport& a = result->accuracy;
    log.Info("accuracy: %lld samples, mean relative error %.4g%% (threshold %.4g%%), max abs %.4g, cosine %.6f, "
             "top-1 agreement %.4f: %s",
             static_cast<long long>(a.samples), a.mean_rel_error * 100, a.threshold_pct, a.max_abs_error,
             a.cosine_similarity, a.top1_agreement, a.passed ? "passed" : "FAILED");
  }
  result->interrupted = Interrupted();
  for (const std::string& w : result->warnings) log.Info("warning: %s", w.c_str());
}

Status WriteReport(const BenchResult& result, const Flags& flags, std::FILE* out) {
  const std::string json = ToJson(result);
  std::string why;
  if (!flags.json_out.empty() && !WriteFileAtomic(flags.json_out, json, &why)) {
    return Status::Internal("JSON output file " + Quoted(flags.json_out) + " " + why);
  }
  if (!flags.quiet) {
    std::fputs(json.c_str(), out);
    if (std::fflush(out) != 0) return Status::Internal(std::string("cannot write to stdout: ") + std::strerror(errno));
  }
  return Status::Ok();
}

Status FinalStatus(const BenchResult& result, const Flags& flags, int signal, const Log& log) {
  if (result.interrupted) {
    log.Info("interrupted by signal %d", signal);
    return {128 + signal, ""};
  }
  if (result.has_accuracy && !result.accuracy.passed) {
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "accuracy check failed: mean relative error %.4g%% exceeds --accuracyThreshold=%g%% "
                  "(max abs error %g, %lld non-finite outputs) against ",
                  result.accuracy.mean_rel_error * 100, flags.accuracy_threshold, result.accuracy.max_abs_error,
                  static_cast<long long>(result.accuracy.nonfinite));
    return {kExitAccuracy, buf + Quoted(flags.benchmark_data_file)};
  }
  return Status::Ok();
}

}  // namespace device_bench
