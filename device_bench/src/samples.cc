// Phase "pass over every sample": --outDataFile and --benchmarkDataFile.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "fileio.h"
#include "phases.h"
#include "tensor_data.h"

namespace device_bench {
namespace {

// The open input, reference and output files of the pass; closed (the output discarded unless
// committed) when it goes out of scope.
struct SampleFiles {
  std::FILE* in = nullptr;
  std::FILE* ref = nullptr;
  std::vector<char> in_buffer;
  AtomicFileWriter out;

  ~SampleFiles() {
    if (in != nullptr) std::fclose(in);
    if (ref != nullptr) std::fclose(ref);
  }
};

Status OpenFiles(const Flags& flags, bool compare, SampleFiles* f) {
  f->in = std::fopen(flags.in_data_file.c_str(), "rb");
  if (f->in == nullptr) {
    return Status::User("input data file " + Quoted(flags.in_data_file) + " cannot be opened: " + std::strerror(errno));
  }
  f->in_buffer.resize(4 << 20);
  std::setvbuf(f->in, f->in_buffer.data(), _IOFBF, f->in_buffer.size());
  if (compare) {
    f->ref = std::fopen(flags.benchmark_data_file.c_str(), "rb");
    if (f->ref == nullptr) {
      return Status::User("benchmark data file " + Quoted(flags.benchmark_data_file) +
                          " cannot be opened: " + std::strerror(errno));
    }
  }
  std::string why;
  if (!flags.out_data_file.empty() && !f->out.Open(flags.out_data_file, &why, 4 << 20)) {
    return Status::User("output data file " + Quoted(flags.out_data_file) + " " + why);
  }
  return Status::Ok();
}

// All outputs of the last Predict, as float32, into `dst`.
Status CollectOutputs(ModelRunner* runner, uint64_t sample, float* dst) {
  size_t offset = 0;
  for (size_t i = 0; i < runner->outputs().size(); ++i) {
    const RunnerTensor& t = runner->outputs()[i];
    const void* data = runner->output_data(i);
    if (data == nullptr) {
      return Status::Internal("sample " + std::to_string(sample) + ": output '" + t.name + "' has no data");
    }
    if (!ConvertToFloat32(t.data_type, data, t.elements, dst + offset)) {
      return Status::Internal("output '" + t.name + "' has type " + TypeName(t.data_type) +
                              ", which cannot be written as float32");
    }
    offset += t.elements;
  }
  return Status::Ok();
}

}  // namespace

Status SamplePass(const Flags& flags, uint64_t samples, ModelRunner* runner, const Clock& clock, const Log& log,
                  AccuracyAccumulator* accuracy, int64_t* written) {
  const bool writing = !flags.out_data_file.empty();
  const bool compare = !flags.benchmark_data_file.empty() && accuracy != nullptr;
  if ((!writing && !compare) || Interrupted()) return Status::Ok();
  log.Info("phase: samples");
  SampleFiles files;
  Status status = OpenFiles(flags, compare, &files);
  if (!status.ok()) return status;
  size_t total_elements = 0;
  for (const RunnerTensor& t : runner->outputs()) total_elements += t.elements;
  std::vector<float> sample_out(total_elements);  // all outputs of one sample, as float32
  std::vector<float> ref_sample(compare ? accuracy->floats_per_sample() : 0);
  const uint64_t step = std::max<uint64_t>(1, samples / 10);
  const Clock::TimePoint t0 = clock.Now();
  uint64_t done = 0;
  std::string why;
  for (; done < samples && !Interrupted(); ++done) {
    if (!ReadSample(files.in, runner)) {
      return Status::User("input data file " + Quoted(flags.in_data_file) + " ended early at sample " +
                          std::to_string(done) + " of " + std::to_string(samples) + " (was it changed?)");
    }
    if (!runner->Predict(&why)) {
      return Status::Internal("sample " + std::to_string(done) + " of " + Quoted(flags.in_data_file) + ": " + why);
    }
    status = CollectOutputs(runner, done, sample_out.data());
    if (!status.ok()) return status;
    if (writing) files.out.Write(sample_out.data(), sample_out.size() * sizeof(float));
    if (compare) {
      if (std::fread(ref_sample.data(), sizeof(float), ref_sample.size(), files.ref) != ref_sample.size()) {
        return Status::User("benchmark data file " + Quoted(flags.benchmark_data_file) + " ended early at sample " +
                            std::to_string(done) + " (was it changed?)");
      }
      accuracy->AddSample(sample_out.data(), ref_sample.data());
    }
    if ((done + 1) % step == 0 || done + 1 == samples) {
      log.Info("samples: %llu/%llu", static_cast<unsigned long long>(done + 1), static_cast<unsigned long long>(samples));
    }
  }
  if (Interrupted()) {
    if (writing) {
      files.out.Abort();
      log.Info("samples: interrupted after %llu; %s not written", static_cast<unsigned long long>(done),
               flags.out_data_file.c_str());
    }
    return Status::Ok();
  }
  if (writing) {
    if (!files.out.Commit(&why)) {
      return Status::Internal("output data file " + Quoted(flags.out_data_file) + " " + why);
    }
    *written = static_cast<int64_t>(done);
  }
  log.Info("samples: %llu in %.1f s%s%s", static_cast<unsigned long long>(done), MsBetween(t0, clock.Now()) / 1000.0,
           writing ? " -> " : "", writing ? flags.out_data_file.c_str() : "");
  return Status::Ok();
}

}  // namespace device_bench
