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
