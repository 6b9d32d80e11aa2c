#include <initializer_list>
#include <string>
#include <vector>

#include "flags.h"
#include "harness.h"

using device_bench::ParseFlags;
using device_bench::ParseResult;

namespace {
ParseResult Parse(std::initializer_list<const char*> args) {
  std::vector<const char*> argv{"device_bench"};
  argv.insert(argv.end(), args.begin(), args.end());
  return ParseFlags(static_cast<int>(argv.size()), argv.data());
}
}  // namespace

TEST(flags_defaults) {
  const ParseResult r = Parse({"--modelFile=m.ms"});
  CHECK(r.ok);
  CHECK_EQ(r.flags.model_file, std::string("m.ms"));
  CHECK_EQ(r.flags.loop_count, 100L);
  CHECK_EQ(r.flags.warmup_loop_count, 10L);
  CHECK_EQ(r.flags.num_threads, 1L);
  CHECK(r.flags.in_data_file.empty());
  CHECK(r.flags.out_data_file.empty());
  CHECK(r.flags.json_out.empty());
  CHECK(!r.flags.quiet);
  CHECK(!r.flags.help);
}

TEST(flags_equals_and_space_forms) {
  const ParseResult r = Parse({"--modelFile", "a b.ms", "--loopCount=5", "--warmUpLoopCount", "0", "--numThreads=4",
                               "--inDataFile=in.bin", "--outDataFile", "out.bin", "--jsonOut=r.json", "--quiet"});
  CHECK(r.ok);
  CHECK_EQ(r.flags.model_file, std::string("a b.ms"));
  CHECK_EQ(r.flags.loop_count, 5L);
  CHECK_EQ(r.flags.warmup_loop_count, 0L);
  CHECK_EQ(r.flags.num_threads, 4L);
  CHECK_EQ(r.flags.in_data_file, std::string("in.bin"));
  CHECK_EQ(r.flags.out_data_file, std::string("out.bin"));
  CHECK_EQ(r.flags.json_out, std::string("r.json"));
  CHECK(r.flags.quiet);
}

TEST(flags_value_may_contain_equals) {
  const ParseResult r = Parse({"--modelFile=dir=x/m.ms"});
  CHECK(r.ok);
  CHECK_EQ(r.flags.model_file, std::string("dir=x/m.ms"));
}

TEST(flags_bool_values) {
  CHECK(Parse({"--modelFile=m", "--quiet=true"}).flags.quiet);
  CHECK(!Parse({"--modelFile=m", "--quiet=false"}).flags.quiet);
  const ParseResult bad = Parse({"--modelFile=m", "--quiet=maybe"});
  CHECK(!bad.ok);
  CHECK_CONTAINS(bad.error, "--quiet");
}

TEST(flags_help_and_version_need_no_model) {
  CHECK(Parse({"--help"}).ok);
  CHECK(Parse({"--help"}).flags.help);
  CHECK(Parse({"-h"}).flags.help);
  CHECK(Parse({"--version"}).flags.version);
}

TEST(flags_errors) {
  struct Case {
    std::vector<const char*> args;
    const char* expect;
  };
  const std::vector<Case> cases = {
      {{}, "missing required flag --modelFile"},
      {{"--modelFile=m", "--bogus=1"}, "unknown flag '--bogus'"},
      {{"--modelFile=m", "--loopcount=1"}, "unknown flag '--loopcount'"},
      {{"--modelFile=m", "extra"}, "unexpected argument 'extra'"},
      {{"--modelFile=m", "-x"}, "unexpected argument '-x'"},
      {{"--modelFile"}, "needs a value"},
      {{"--modelFile="}, "needs a non-empty value"},
      {{"--modelFile=m", "--loopCount=abc"}, "expected an integer, got 'abc'"},
      {{"--modelFile=m", "--loopCount=10x"}, "expected an integer"},
      {{"--modelFile=m", "--loopCount= 10"}, "expected an integer"},
      {{"--modelFile=m", "--loopCount="}, "empty value"},
      {{"--modelFile=m", "--loopCount=-1"}, "out of range"},
      {{"--modelFile=m", "--loopCount=99999999999999999999"}, "out of range"},
      {{"--modelFile=m", "--numThreads=0"}, "out of range [1, 256]"},
      {{"--modelFile=m", "--numThreads=257"}, "out of range"},
      {{"--modelFile=m", "--warmUpLoopCount=1.5"}, "expected an integer"},
      {{"--modelFile=m", "--loopCount=1", "--loopCount=2"}, "more than once"},
      {{"--modelFile=m", "--outDataFile=o"}, "--outDataFile needs --inDataFile"},
      {{"--modelFile=m", "--inDataFile=x", "--outDataFile=x"}, "must differ"},
  };
  for (const Case& c : cases) {
    std::vector<const char*> argv{"device_bench"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    const ParseResult r = ParseFlags(static_cast<int>(argv.size()), argv.data());
    CHECK(!r.ok);
    CHECK_CONTAINS(r.error, c.expect);
    CHECK(r.error.find('\n') == std::string::npos);
  }
}

TEST(flags_limits_accepted) {
  const ParseResult r = Parse({"--modelFile=m", "--loopCount=0", "--numThreads=256", "--warmUpLoopCount=+3"});
  CHECK(r.ok);
  CHECK_EQ(r.flags.loop_count, 0L);
  CHECK_EQ(r.flags.num_threads, 256L);
  CHECK_EQ(r.flags.warmup_loop_count, 3L);
}

TEST(flags_usage_mentions_every_flag) {
  const std::string u = device_bench::Usage("device_bench");
  for (const char* f : {"--modelFile", "--loopCount", "--warmUpLoopCount", "--numThreads", "--inDataFile",
                        "--outDataFile", "--jsonOut", "--quiet", "--help", "--version", "default 100",
                        "default 10", "default 1)"}) {
    CHECK_CONTAINS(u, f);
  }
}

TEST(flags_new_defaults) {
  const ParseResult r = Parse({"--modelFile=m.ms"});
  CHECK(r.ok);
  CHECK_EQ(r.flags.cpu_bind_mode, 0L);
  CHECK(!r.flags.enable_fp16);
  CHECK_EQ(r.flags.device, std::string("CPU"));
  CHECK(r.flags.input_shapes.empty() && r.flags.parsed_input_shapes.empty());
  CHECK(r.flags.benchmark_data_file.empty());
  CHECK_NEAR(r.flags.accuracy_threshold, 0.5, 0);
  CHECK_NEAR(r.flags.min_seconds, 0, 0);
  CHECK_NEAR(r.flags.max_seconds, 0, 0);
  CHECK_EQ(r.flags.run_delay_ms, 0L);
  CHECK(!r.flags.has_cooldown);
  CHECK_NEAR(r.flags.cooldown_timeout_s, 300, 0);
  CHECK_EQ(r.flags.power_source, std::string("auto"));
  CHECK_EQ(r.flags.power_interval_ms, 50L);
  CHECK_EQ(r.flags.power_idle_ms, 1000L);
  CHECK_EQ(r.flags.sysfs_root, std::string("/"));
  CHECK(r.flags.host_version.empty());
}

TEST(flags_new_values) {
  const ParseResult r =
      Parse({"--modelFile=m", "--cpuBindMode=2", "--enableFp16", "--device=gpu", "--inputShapes=1,28,28,1",
             "--inDataFile=x.bin", "--benchmarkDataFile", "ref.bin", "--accuracyThreshold=1.5", "--minSeconds=2.5",
             "--maxSeconds=10", "--runDelayMs=20", "--cooldownC=38.5", "--cooldownTimeoutS=60",
             "--powerSource=SYSFS", "--powerIntervalMs=20", "--powerIdleMs=500", "--sysfsRoot=/tmp/fake//",
             "--hostVersion=0.1.0+g1a2b3c4d5e6f"});
  CHECK(r.ok);
  CHECK_EQ(r.error, std::string(""));
  CHECK_EQ(r.flags.cpu_bind_mode, 2L);
  CHECK(r.flags.enable_fp16);
  CHECK_EQ(r.flags.device, std::string("GPU"));
  CHECK_EQ(r.flags.input_shapes, std::string("1,28,28,1"));
  CHECK_EQ(r.flags.parsed_input_shapes.size(), size_t{1});
  CHECK_EQ(r.flags.benchmark_data_file, std::string("ref.bin"));
  CHECK_NEAR(r.flags.accuracy_threshold, 1.5, 0);
  CHECK_NEAR(r.flags.min_seconds, 2.5, 0);
  CHECK_NEAR(r.flags.max_seconds, 10, 0);
  CHECK_EQ(r.flags.run_delay_ms, 20L);
  CHECK(r.flags.has_cooldown);
  CHECK_NEAR(r.flags.cooldown_c, 38.5, 0);
  CHECK_NEAR(r.flags.cooldown_timeout_s, 60, 0);
  CHECK_EQ(r.flags.power_source, std::string("sysfs"));
  CHECK_EQ(r.flags.power_interval_ms, 20L);
  CHECK_EQ(r.flags.power_idle_ms, 500L);
  CHECK_EQ(r.flags.sysfs_root, std::string("/tmp/fake"));
  CHECK_EQ(r.flags.host_version, std::string("0.1.0+g1a2b3c4d5e6f"));
  CHECK(!Parse({"--modelFile=m", "--enableFp16=false"}).flags.enable_fp16);
  CHECK_EQ(Parse({"--modelFile=m", "--device=Ascend310"}).flags.device, std::string("Ascend310"));
  CHECK_EQ(Parse({"--modelFile=m", "--device", "npu"}).flags.device, std::string("NPU"));
  CHECK_EQ(Parse({"--modelFile=m", "--powerSource=none"}).flags.power_source, std::string("none"));
  CHECK_EQ(Parse({"--modelFile=m", "--sysfsRoot=/"}).flags.sysfs_root, std::string("/"));
  CHECK_NEAR(Parse({"--modelFile=m", "--cooldownC=-5"}).flags.cooldown_c, -5, 0);
  CHECK_NEAR(Parse({"--modelFile=m", "--minSeconds=.5"}).flags.min_seconds, 0.5, 0);
  CHECK(Parse({"--modelFile=m", "--minSeconds=3", "--maxSeconds=0"}).ok);  // 0 = no cap
}

TEST(flags_new_errors) {
  struct Case {
    std::vector<const char*> args;
    const char* expect;
  };
  const std::vector<Case> cases = {
      {{"--modelFile=m", "--cpuBindMode=3"}, "out of range [0, 2]"},
      {{"--modelFile=m", "--cpuBindMode=-1"}, "out of range"},
      {{"--modelFile=m", "--enableFp16=yes"}, "takes no value or true/false"},
      {{"--modelFile=m", "--device=TPU"}, "unknown device 'TPU' (one of CPU, GPU, NPU, Ascend310)"},
      {{"--modelFile=m", "--device="}, "needs a non-empty value"},
      {{"--modelFile=m", "--inputShapes=1,x,3"}, "--inputShapes"},
      {{"--modelFile=m", "--inputShapes=1,0,3"}, "not a positive integer"},
      {{"--modelFile=m", "--benchmarkDataFile=r.bin"}, "--benchmarkDataFile needs --inDataFile"},
      {{"--modelFile=m", "--inDataFile=i", "--benchmarkDataFile=r", "--outDataFile=r"}, "must differ"},
      {{"--modelFile=m", "--accuracyThreshold=-1"}, "out of range"},
      {{"--modelFile=m", "--accuracyThreshold=abc"}, "expected a number, got 'abc'"},
      {{"--modelFile=m", "--accuracyThreshold=1e3"}, "expected a number"},
      {{"--modelFile=m", "--minSeconds=1..2"}, "expected a number"},
      {{"--modelFile=m", "--minSeconds=."}, "expected a number"},
      {{"--modelFile=m", "--minSeconds="}, "empty value"},
      {{"--modelFile=m", "--minSeconds=-1"}, "out of range"},
      {{"--modelFile=m", "--maxSeconds=nan"}, "expected a number"},
      {{"--modelFile=m", "--minSeconds=5", "--maxSeconds=2"}, "--minSeconds (5) is larger than --maxSeconds (2)"},
      {{"--modelFile=m", "--runDelayMs=-5"}, "out of range"},
      {{"--modelFile=m", "--runDelayMs=1.5"}, "expected an integer"},
      {{"--modelFile=m", "--cooldownC=200"}, "out of range [-50, 150]"},
      {{"--modelFile=m", "--cooldownTimeoutS=-1"}, "out of range"},
      {{"--modelFile=m", "--powerSource=rapl"}, "unknown source 'rapl' (one of auto, sysfs, none)"},
      {{"--modelFile=m", "--powerIntervalMs=0"}, "out of range [1, 60000]"},
      {{"--modelFile=m", "--powerIdleMs=-1"}, "out of range"},
      {{"--modelFile=m", "--sysfsRoot="}, "needs a non-empty value"},
      {{"--modelFile=m", "--hostVersion"}, "needs a value"},
      {{"--modelFile=m", "--hostVersion=1", "--hostVersion=2"}, "more than once"},
  };
  for (const Case& c : cases) {
    std::vector<const char*> argv{"device_bench"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    const ParseResult r = ParseFlags(static_cast<int>(argv.size()), argv.data());
    CHECK(!r.ok);
    CHECK_CONTAINS(r.error, c.expect);
    CHECK(r.error.find('\n') == std::string::npos);
  }
}

TEST(flags_input_shapes_forms) {
  using device_bench::InputShapeSpec;
  using device_bench::ParseInputShapes;
  std::vector<InputShapeSpec> s;
  std::string why;
  CHECK(ParseInputShapes("1,28,28,1", &s, &why));
  CHECK_EQ(s.size(), size_t{1});
  CHECK(s[0].name.empty());
  CHECK_EQ(s[0].dims.size(), size_t{4});
  CHECK_EQ(s[0].dims[1], int64_t{28});
  CHECK(ParseInputShapes("1,28,28,1:1,10", &s, &why));  // Lite style: by position
  CHECK_EQ(s.size(), size_t{2});
  CHECK(s[1].name.empty());
  CHECK_EQ(s[1].dims.size(), size_t{2});
  CHECK(ParseInputShapes("x:4,28,28,1;y:1,10", &s, &why));
  CHECK_EQ(s.size(), size_t{2});
  CHECK_EQ(s[0].name, std::string("x"));
  CHECK_EQ(s[0].dims[0], int64_t{4});
  CHECK_EQ(s[1].name, std::string("y"));
  CHECK(ParseInputShapes("input:0:1,3", &s, &why));  // TF-style names keep their ':'
  CHECK_EQ(s[0].name, std::string("input:0"));
  CHECK(ParseInputShapes("x:7", &s, &why));
  CHECK_EQ(s[0].dims.size(), size_t{1});
  for (const char* bad : {"", "1,,2", "1,2,", ",1", "1:", ":1", "x:", "x:1;x:2", "x:1;;y:2", "x:1;3",
                          "x:-1,2", "x:1,+2", "1 ,2", "x"}) {
    CHECK(!ParseInputShapes(bad, &s, &why));
    CHECK(!why.empty());
  }
}

TEST(flags_usage_lists_new_flags_with_defaults) {
  const std::string u = device_bench::Usage("device_bench");
  for (const char* f : {"--cpuBindMode", "--enableFp16", "--device", "--inputShapes", "--benchmarkDataFile",
                        "--accuracyThreshold", "--minSeconds", "--maxSeconds", "--runDelayMs", "--cooldownC",
                        "--cooldownTimeoutS", "--powerSource", "--powerIntervalMs", "--powerIdleMs", "--sysfsRoot",
                        "--hostVersion", "default 0.5", "default 50", "default auto", "default 300",
                        "default CPU", "default /", "exit 3"}) {
    CHECK_CONTAINS(u, f);
  }
}
