// Phases "init" (the model file; building it with MindSpore Lite is in main.cc), "fill inputs",
// "first inference" and "warm-up".
#include <algorithm>
#include <cstdio>

#include "fileio.h"
#include "phases.h"
#include "sha256.h"
#include "tensor_data.h"

namespace device_bench {
namespace {

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

Status LoadModel(const Flags& flags, const Log& log, ModelFile* model, BenchResult* result) {
  std::string why;
  if (!ReadWholeFile(flags.model_file, kMaxModelBytes, &model->bytes, &why)) {
    return Status::User("model file " + Quoted(flags.model_file) + " " + why);
  }
  result->model_path = flags.model_file;
  result->model_bytes = model->bytes.size();
  result->model_sha256 = Sha256Hex(model->bytes.data(), model->bytes.size());
  model->info = InspectMsModel(model->bytes.data(), model->bytes.size());
  const MsModelInfo& info = model->info;
  if (!info.ok) return Status::User("model file " + Quoted(flags.model_file) + " " + info.error);
  log.Info("model: %zu bytes, %zu nodes, %zu tensors, written by %s", model->bytes.size(), info.node_count,
           info.tensor_count, info.version.empty() ? "unknown" : info.version.c_str());
  return Status::Ok();
}

void LogInit(double init_ms, const ModelRunner& runner, const Log& log) {
  log.Info("init: %.3f ms", init_ms);
  for (const RunnerTensor& t : runner.inputs()) {
    log.Info("input '%s': %s %s, %zu bytes", t.name.c_str(), TypeName(t.data_type).c_str(),
             ShapeText(t.shape).c_str(), t.bytes);
  }
}

bool ReadSample(std::FILE* in, ModelRunner* runner) {
  for (size_t i = 0; i < runner->inputs().size(); ++i) {
    const size_t n = runner->inputs()[i].bytes;
    if (std::fread(runner->input_data(i), 1, n, in) != n) return false;
  }
  return true;
}

Status FillInputs(const Flags& flags, uint64_t in_bytes, ModelRunner* runner, const Log& log, int64_t* samples) {
  if (flags.in_data_file.empty()) {
    SplitMix64 rng(kDefaultSeed);
    for (size_t i = 0; i < runner->inputs().size(); ++i) {
      FillPseudoRandom(runner->inputs()[i].data_type, runner->input_data(i), runner->inputs()[i].bytes, &rng);
    }
    log.Info("inputs: pseudo-random uniform [0,1), seed 0x%llx", static_cast<unsigned long long>(kDefaultSeed));
    return Status::Ok();
  }
  const InputSizeCheck check = CheckInputSize(in_bytes, runner->input_bytes_per_sample());
  if (!check.ok) return Status::User("input data file " + Quoted(flags.in_data_file) + " " + check.error);
  *samples = static_cast<int64_t>(check.samples);
  std::FILE* in = std::fopen(flags.in_data_file.c_str(), "rb");
  const bool read_ok = in != nullptr && ReadSample(in, runner);
  if (in != nullptr) std::fclose(in);
  if (!read_ok) return Status::User("input data file " + Quoted(flags.in_data_file) + " cannot be read");
  log.Info("inputs: sample 1 of %llu from %s", static_cast<unsigned long long>(check.samples),
           flags.in_data_file.c_str());
  return Status::Ok();
}

Status FirstInference(const Flags& flags, ModelRunner* runner, const Clock& clock, const Log& log, double* first_ms) {
  std::string why;
  const Clock::TimePoint t0 = clock.Now();
  if (!runner->Predict(&why)) return Status::Internal("model file " + Quoted(flags.model_file) + ": " + why);
  *first_ms = MsBetween(t0, clock.Now());
  runner->RefreshOutputs();
  log.Info("first inference: %.3f ms", *first_ms);
  return Status::Ok();
}

AccuracyAccumulator MakeAccuracy(const ModelRunner& runner) {
  std::vector<size_t> output_elements;
  for (const RunnerTensor& t : runner.outputs()) output_elements.push_back(t.elements);
  size_t classes = 0;
  if (!runner.outputs().empty()) {
    const std::vector<int64_t>& out0 = runner.outputs().front().shape;
    classes = out0.empty() ? 0 : static_cast<size_t>(std::max<int64_t>(out0.back(), 0));
  }
  return AccuracyAccumulator(output_elements, classes);
}

Status CheckReferenceSize(const Flags& flags, uint64_t ref_bytes, int64_t samples, const AccuracyAccumulator& acc) {
  if (flags.benchmark_data_file.empty()) return Status::Ok();
  const uint64_t expected = static_cast<uint64_t>(samples) * acc.floats_per_sample() * sizeof(float);
  if (ref_bytes == expected) return Status::Ok();
  return Status::User("benchmark data file " + Quoted(flags.benchmark_data_file) + " has " + std::to_string(ref_bytes) +
                      " bytes, expected " + std::to_string(expected) + " (" + std::to_string(samples) +
                      " samples x " + std::to_string(acc.floats_per_sample()) +
                      " float32 outputs, in the layout --outDataFile writes)");
}

Status WarmUp(const Flags& flags, ModelRunner* runner, const Log& log) {
  if (flags.warmup_loop_count > 0 && !Interrupted()) log.Info("phase: warmup");
  std::string why;
  for (long i = 0; i < flags.warmup_loop_count && !Interrupted(); ++i) {
    if (!runner->Predict(&why)) return Status::Internal("warm-up run " + std::to_string(i) + ": " + why);
  }
  return Status::Ok();
}

}  // namespace device_bench
