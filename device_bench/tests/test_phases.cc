// The phases that need no real model: params, fill inputs, first inference, the pass over every
// sample, and the report (with a fake runner).
#include <csignal>
#include <string>
#include <vector>

#include "fakes.h"
#include "fileio.h"
#include "harness.h"
#include "phases.h"

using namespace device_bench;
using fakes::CapturedLog;
using fakes::FakeClock;
using fakes::FakeRunner;
using fakes::TempDir;

namespace {

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

TEST(version_mismatch_message) {
  CHECK_EQ(VersionMismatch("0.1.0+g1a2b3c", "0.1.0+g1a2b3c"), std::string(""));
  const std::string other = VersionMismatch("0.2.0+g1a2b3c", "0.1.0+g1a2b3c");
  CHECK_EQ(other, std::string("version mismatch: the host tools are version 0.2.0+g1a2b3c but this device_bench "
                              "is version 0.1.0+g1a2b3c (a different mindedge version); run `mindedge sdk build`"));
  const std::string commit = VersionMismatch("0.1.0+g999", "0.1.0+g1a2b3c");
  CHECK_CONTAINS(commit, "0.1.0+g999");
  CHECK_CONTAINS(commit, "0.1.0+g1a2b3c");
  CHECK_CONTAINS(commit, "same version 0.1.0, but built from another commit/source");
  CHECK(EndsWith(commit, "; run `mindedge sdk build`"));
  // A bare version from an old host: the build id is what differs.
  CHECK_CONTAINS(VersionMismatch("0.1.0", "0.1.0+unknown"), "built from another commit/source");
  CHECK_CONTAINS(VersionMismatch("0.1.0+unknown", "0.1.0+unknownx"), "built from another commit/source");
}

TEST(check_params_refusals) {
  TempDir dir;
  CHECK(dir.ok());
  const std::string model = dir.Path("m.ms");
  std::string why;
  CHECK(WriteFileAtomic(model, "0123456789", &why));
  const std::vector<std::string> cpu{"CPU"};
  Flags f;
  f.model_file = model;
  CheckedFiles files;
  CHECK(CheckParams(f, "0.1.0+abc", cpu, &files).ok());
  CHECK_EQ(files.model_bytes, uint64_t{10});

  f.host_version = "0.1.0+abc";
  CHECK(CheckParams(f, "0.1.0+abc", cpu, &files).ok());
  f.host_version = "0.1.0+def";
  Status s = CheckParams(f, "0.1.0+abc", cpu, &files);
  CHECK_EQ(s.code, kExitUser);
  CHECK_CONTAINS(s.error, "version mismatch: the host tools are version 0.1.0+def but this device_bench is version "
                          "0.1.0+abc");
  f.host_version.clear();

  f.device = "GPU";
  s = CheckParams(f, "v", cpu, &files);
  CHECK_EQ(s.code, kExitUser);
  CHECK_CONTAINS(s.error, "device GPU not available in this build (available: CPU)");
  CHECK(CheckParams(f, "v", {"CPU", "GPU"}, &files).ok());
  f.device = "CPU";

  Flags missing = f;
  missing.model_file = dir.Path("missing.ms");
  CHECK_EQ(CheckParams(missing, "v", cpu, &files).error, "model file '" + missing.model_file + "' does not exist");
  Flags in = f;
  in.in_data_file = dir.Path("missing.bin");
  CHECK_CONTAINS(CheckParams(in, "v", cpu, &files).error, "input data file '");
  Flags json = f;
  json.json_out = dir.Path("nodir") + "/out.json";
  CHECK_CONTAINS(CheckParams(json, "v", cpu, &files).error, "JSON output file '");
  Flags ref = f;
  ref.in_data_file = model;
  ref.benchmark_data_file = model;
  CHECK(CheckParams(ref, "v", cpu, &files).ok());
  CHECK_EQ(files.in_bytes, uint64_t{10});
  CHECK_EQ(files.ref_bytes, uint64_t{10});
}

TEST(log_params_lines) {
  Flags f;
  f.model_file = "m.ms";
  f.json_out = "out.json";
  CapturedLog log;
  LogParams(f, "0.1.0+abc", log.log());
  CHECK_EQ(log.Text(),
           std::string("device_bench: version 0.1.0+abc\n"
                       "device_bench: modelFile=m.ms device=CPU numThreads=1 cpuBindMode=0 enableFp16=false "
                       "inputShapes=-\n"
                       "device_bench: loopCount=100 warmUpLoopCount=10 minSeconds=0 maxSeconds=0 runDelayMs=0\n"
                       "device_bench: inDataFile=(random) outDataFile=- benchmarkDataFile=- jsonOut=out.json\n"
                       "device_bench: powerSource=auto powerIntervalMs=50 sysfsRoot=/\n"));
  Log quiet(true, stdout);  // --quiet: nothing at all (stdout would show up in the test output)
  LogParams(f, "v", quiet);
}

TEST(fill_inputs_from_file_and_random) {
  TempDir dir;
  CHECK(dir.ok());
  FakeRunner runner(2, 2);
  CapturedLog log;
  Flags f;
  int64_t samples = -1;
  CHECK(FillInputs(f, 0, &runner, log.log(), &samples).ok());
  CHECK_EQ(samples, int64_t{-1});
  CHECK(runner.input()[0] != 0 || runner.input()[1] != 0);
  CHECK_CONTAINS(log.Text(), "inputs: pseudo-random uniform [0,1), seed 0x6d696e6465646765");

  f.in_data_file = dir.Path("in.bin");
  CHECK(fakes::WriteFloats(f.in_data_file, {1, 2, 3, 4, 5, 6}));
  CHECK(FillInputs(f, 24, &runner, log.log(), &samples).ok());
  CHECK_EQ(samples, int64_t{3});
  CHECK_EQ(runner.input()[0], 1.0f);
  CHECK_EQ(runner.input()[1], 2.0f);
  CHECK_CONTAINS(log.Text(), "inputs: sample 1 of 3 from " + f.in_data_file);
  const Status partial = FillInputs(f, 20, &runner, log.log(), &samples);  // 2.5 samples
  CHECK_EQ(partial.code, kExitUser);
  CHECK_CONTAINS(partial.error, "input data file '" + f.in_data_file + "' has 20 bytes");
}

TEST(first_inference_times_and_refreshes) {
  FakeClock clock;
  FakeRunner runner(1, 3);
  runner.clock = &clock;
  runner.cost = std::chrono::microseconds(1500);
  CapturedLog log;
  Flags f;
  f.model_file = "m.ms";
  double first_ms = 0;
  CHECK(FirstInference(f, &runner, clock, log.log(), &first_ms).ok());
  CHECK_NEAR(first_ms, 1.5, 1e-9);
  CHECK_EQ(runner.refreshes, 1L);
  CHECK_EQ(log.Text(), std::string("device_bench: first inference: 1.500 ms\n"));
  runner.fail_at = 2;
  const Status s = FirstInference(f, &runner, clock, log.log(), &first_ms);
  CHECK_EQ(s.code, kExitInternal);
  CHECK_EQ(s.error, std::string("model file 'm.ms': boom"));

  const AccuracyAccumulator acc = MakeAccuracy(runner);
  CHECK_EQ(acc.floats_per_sample(), size_t{3});
  f.benchmark_data_file = "ref.bin";
  CHECK(CheckReferenceSize(f, 5 * 3 * 4, 5, acc).ok());
  const Status bad = CheckReferenceSize(f, 100, 5, acc);
  CHECK_EQ(bad.code, kExitUser);
  CHECK_EQ(bad.error, std::string("benchmark data file 'ref.bin' has 100 bytes, expected 60 (5 samples x 3 float32 "
                                  "outputs, in the layout --outDataFile writes)"));
}

namespace {

// 5 samples of 2 floats in in.bin; the fake's outputs are 2 x the inputs, 3 values per sample.
struct SampleCase {
  TempDir dir;
  FakeClock clock;
  FakeRunner runner{2, 3};
  CapturedLog log;
  Flags flags;
  std::vector<float> expected;  // all outputs of all samples

  SampleCase() {
    flags.in_data_file = dir.Path("in.bin");
    std::vector<float> in;
    for (int s = 0; s < 5; ++s) {
      in.push_back(static_cast<float>(s));
      in.push_back(static_cast<float>(10 + s));
      for (int k = 0; k < 3; ++k) expected.push_back(2.0f * in[static_cast<size_t>(2 * s + k % 2)]);
    }
    fakes::WriteFloats(flags.in_data_file, in);
  }
  Status Run(AccuracyAccumulator* acc, int64_t* written) {
    return SamplePass(flags, 5, &runner, clock, log.log(), acc, written);
  }
};

}  // namespace

TEST(sample_pass_writes_every_output) {
  fakes::InterruptReset reset;
  SampleCase c;
  int64_t written = -1;
  CHECK(c.Run(nullptr, &written).ok());  // neither --outDataFile nor --benchmarkDataFile: nothing
  CHECK_EQ(c.runner.calls, 0L);
  CHECK_EQ(c.log.Text(), std::string(""));

  c.flags.out_data_file = c.dir.Path("out.bin");
  CHECK(c.Run(nullptr, &written).ok());
  CHECK_EQ(written, int64_t{5});
  CHECK(fakes::ReadFloats(c.flags.out_data_file) == c.expected);
  CHECK_CONTAINS(c.log.Text(), "device_bench: phase: samples\ndevice_bench: samples: 1/5\n");
  CHECK_CONTAINS(c.log.Text(), "device_bench: samples: 5/5\ndevice_bench: samples: 5 in 0.0 s -> " +
                                   c.flags.out_data_file + "\n");
}

TEST(sample_pass_compares_with_the_reference) {
  fakes::InterruptReset reset;
  SampleCase c;
  c.flags.benchmark_data_file = c.dir.Path("ref.bin");
  CHECK(fakes::WriteFloats(c.flags.benchmark_data_file, c.expected));
  AccuracyAccumulator acc = MakeAccuracy(c.runner);
  int64_t written = -1;
  CHECK(c.Run(&acc, &written).ok());
  CHECK_EQ(written, int64_t{-1});  // no --outDataFile
  const AccuracyReport r = acc.Result(0.5);
  CHECK_EQ(r.samples, int64_t{5});
  CHECK_NEAR(r.max_abs_error, 0, 0);
  CHECK(r.passed);

  std::vector<float> short_ref(c.expected.begin(), c.expected.begin() + 6);  // 2 samples
  CHECK(fakes::WriteFloats(c.flags.benchmark_data_file, short_ref));
  AccuracyAccumulator acc2 = MakeAccuracy(c.runner);
  const Status s = c.Run(&acc2, &written);
  CHECK_EQ(s.code, kExitUser);
  CHECK_EQ(s.error, "benchmark data file '" + c.flags.benchmark_data_file + "' ended early at sample 2 (was it changed?)");
}

TEST(sample_pass_signal_and_failures) {
  fakes::InterruptReset reset;
  SampleCase c;
  c.flags.out_data_file = c.dir.Path("out.bin");
  c.runner.on_predict = [](long call) {
    if (call == 3) SetInterrupt(SIGINT);
  };
  int64_t written = -1;
  CHECK(c.Run(nullptr, &written).ok());  // interrupted: ok, and nothing written
  CHECK_EQ(written, int64_t{-1});
  CHECK_EQ(c.runner.calls, 3L);
  uint64_t size = 0;
  std::string why;
  CHECK(!StatReadableFile(c.flags.out_data_file, &size, &why));
  CHECK_CONTAINS(c.log.Text(), "samples: interrupted after 3; " + c.flags.out_data_file + " not written");
  SetInterrupt(0);

  SampleCase fail;
  fail.flags.out_data_file = fail.dir.Path("out.bin");
  fail.runner.fail_at = 2;
  Status s = fail.Run(nullptr, &written);
  CHECK_EQ(s.code, kExitInternal);
  CHECK_EQ(s.error, "sample 1 of '" + fail.flags.in_data_file + "': boom");
  CHECK(!StatReadableFile(fail.flags.out_data_file, &size, &why));  // no partial output

  SampleCase shrunk;  // the input file lost samples since the size check
  shrunk.flags.out_data_file = shrunk.dir.Path("out.bin");
  CHECK(fakes::WriteFloats(shrunk.flags.in_data_file, {1, 2, 3}));
  s = shrunk.Run(nullptr, &written);
  CHECK_EQ(s.code, kExitUser);
  CHECK_EQ(s.error, "input data file '" + shrunk.flags.in_data_file + "' ended early at sample 1 of 5 (was it changed?)");
}

TEST(report_assembly_and_exit_status) {
  fakes::InterruptReset reset;
  TempDir dir;
  CHECK(dir.ok());
  FakeRunner runner(4, 10);
  CapturedLog log;
  Flags f;
  f.benchmark_data_file = "ref.bin";
  f.json_out = dir.Path("out.json");
  f.quiet = true;
  MsModelInfo info;
  info.inputs.push_back({"x", 43, {1, 4}, 1});  // NHWC
  info.outputs.push_back({"other", 43, {1, 10}, 0});
  AccuracyAccumulator acc = MakeAccuracy(runner);
  std::vector<float> out(10, 1.0f), ref(10, 1.0f);
  ref[3] = 2.0f;  // 1 of 10 elements 50% off: mean relative error 5%
  acc.AddSample(out.data(), ref.data());
  BenchResult r;
  r.tool_version = "0.1.0+abc";
  r.runs_ms = {1.0, 2.0};
  r.warnings.push_back("w1");
  AssembleReport(f, runner, info, PowerRun(), &acc, log.log(), &r);
  CHECK_EQ(r.inputs.size(), size_t{1});
  CHECK_EQ(r.inputs[0].format, std::string("NHWC"));  // by name
  CHECK_EQ(r.outputs[0].format, std::string("NCHW"));  // by position
  CHECK_EQ(r.inputs[0].dtype, std::string("float32"));
  CHECK_EQ(r.batch, int64_t{1});
  CHECK(!r.has_power);
  CHECK(r.has_accuracy);
  CHECK(!r.accuracy.passed);
  CHECK(!r.interrupted);
  CHECK(!r.target.arch.empty());
  CHECK_CONTAINS(log.Text(), "accuracy: 1 samples, mean relative error 5% (threshold 0.5%)");
  CHECK_CONTAINS(log.Text(), "FAILED\ndevice_bench: warning: w1\n");

  CHECK(WriteReport(r, f, stdout).ok());  // --quiet: the file only
  std::vector<uint8_t> json;
  std::string why;
  CHECK(ReadWholeFile(f.json_out, 1 << 20, &json, &why));
  CHECK(std::string(json.begin(), json.end()) == ToJson(r));
  Flags unwritable = f;
  unwritable.json_out = dir.Path("nodir") + "/out.json";
  CHECK_EQ(WriteReport(r, unwritable, stdout).code, kExitInternal);

  Status s = FinalStatus(r, f, 0, log.log());
  CHECK_EQ(s.code, kExitAccuracy);
  CHECK_EQ(s.error, std::string("accuracy check failed: mean relative error 5% exceeds --accuracyThreshold=0.5% "
                                "(max abs error 1, 0 non-finite outputs) against 'ref.bin'"));
  r.interrupted = true;  // a signal wins over the accuracy
  s = FinalStatus(r, f, SIGTERM, log.log());
  CHECK_EQ(s.code, 128 + SIGTERM);
  CHECK_EQ(s.error, std::string(""));
  CHECK_CONTAINS(log.Text(), "device_bench: interrupted by signal 15\n");
  r.interrupted = false;
  r.accuracy.passed = true;
  CHECK(FinalStatus(r, f, 0, log.log()).ok());

  SetInterrupt(SIGINT);
  BenchResult partial;
  AssembleReport(f, runner, info, PowerRun(), nullptr, log.log(), &partial);
  CHECK(partial.interrupted);
  CHECK(!partial.has_accuracy);
}
