// sysinfo parsers, Lite log parsing, file helpers, the JSON report.
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "fileio.h"
#include "harness.h"
#include "lite_log.h"
#include "report.h"
#include "sysinfo.h"

using namespace device_bench;

TEST(sysinfo_parse_status) {
  const std::string status =
      "Name:\tdevice_bench\nVmPeak:\t  123456 kB\nVmHWM:\t   45678 kB\nVmRSS:\t   40000 kB\nThreads:\t4\n";
  CHECK_EQ(ParseStatusKb(status, "VmHWM"), int64_t{45678});
  CHECK_EQ(ParseStatusKb(status, "VmRSS"), int64_t{40000});
  CHECK_EQ(ParseStatusKb(status, "VmSwap"), int64_t{-1});
  CHECK_EQ(ParseStatusKb("VmHWM:\tgarbage\n", "VmHWM"), int64_t{-1});
  CHECK_EQ(ParseStatusKb("", "VmHWM"), int64_t{-1});
}

TEST(sysinfo_parse_cpu_model) {
  CHECK_EQ(ParseCpuModel("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n"),
           std::string("AMD EPYC 7B13"));
  // Android/ARM: no "model name"; "Hardware" names the SoC.
  CHECK_EQ(ParseCpuModel("processor\t: 0\nBogoMIPS\t: 38.40\nCPU part\t: 0xd05\n\nHardware\t: Qualcomm SM8250\n"),
           std::string("Qualcomm SM8250"));
  CHECK_EQ(ParseCpuModel("Processor\t: AArch64 Processor rev 4 (aarch64)\n"),
           std::string("AArch64 Processor rev 4 (aarch64)"));
  CHECK_EQ(ParseCpuModel("processor : 0\n"), std::string(""));
}

TEST(sysinfo_live_values) {
  const MemoryInfo m = GetMemoryInfo();
  CHECK(m.peak_rss_kb > 0);
  CHECK(m.rss_kb > 0);
  CHECK(m.peak_rss_kb >= m.rss_kb);
  const TargetInfo t = GetTargetInfo();
  CHECK(!t.arch.empty());
  CHECK(t.cores >= 1);
  CHECK(t.os == "linux" || t.os == "android");
  const std::string now = UtcNowIso8601();
  CHECK_EQ(now.size(), size_t{24});
  CHECK_EQ(now[10], 'T');
  CHECK_EQ(now.back(), 'Z');
}

TEST(lite_log_first_error) {
  const std::string log =
      "[WARNING] ME(4416,7f90,device_bench):2026-11-23-18:22:02.35 [mindspore/lite/src/extendrt/numa_adapter.cc:35] "
      "NUMAAdapter] Open libnuma.so failed!try libnuma.so.1 again.\n"
      "[ERROR] ME(4416,7f90,device_bench):2026-11-23-18:22:02.352.564 [mindspore/lite/src/litert/lite_model.cc:473] "
      "ConstructModel] The model buffer is invalid and fail to create graph.\n"
      "[ERROR] ME(4416,7f90,device_bench):2026-11-23-18:22:02.352.572 [mindspore/lite/src/litert/lite_model.cc:616] "
      "ImportFromBuffer] construct model failed.\n";
  CHECK_EQ(FirstLiteError(log),
           std::string("ConstructModel: The model buffer is invalid and fail to create graph."));
  CHECK_EQ(FirstLiteError("[WARNING] x\nplain text\n"), std::string(""));
  CHECK_EQ(FirstLiteError("[ERROR] odd line"), std::string("[ERROR] odd line"));
  CHECK_EQ(FirstLiteError(""), std::string(""));
}

TEST(stderr_capture) {
  StderrCapture c;
  if (!c.Start()) return;  // no temporary file possible here
  std::fputs("captured line\n", stderr);
  const ssize_t n = write(2, "raw\n", 4);
  (void)n;
  const std::string text = c.Stop();
  CHECK_EQ(text, std::string("captured line\nraw\n"));
}

TEST(stderr_capture_passthrough_keeps_and_forwards) {
  StderrCapture outer;  // stands in for the terminal
  if (!outer.Start()) return;
  StderrCapture inner;
  const bool started = inner.Start(true);
  std::fputs("live line\n", stderr);
  const ssize_t n = write(2, "raw\n", 4);
  (void)n;
  const std::string kept = started ? inner.Stop() : "";
  std::fputs("after\n", stderr);
  const bool again = inner.Start(true);  // a capture can follow a passthrough one
  std::fputs("second\n", stderr);
  const std::string kept_again = again ? inner.Stop() : "";
  const std::string shown = outer.Stop();
  CHECK(started && again);
  CHECK_EQ(kept, std::string("live line\nraw\n"));
  CHECK_EQ(kept_again, std::string("second\n"));
  CHECK_EQ(shown, std::string("live line\nraw\nafter\nsecond\n"));
}

namespace {
std::string TempDir() {
  const char* t = std::getenv("TMPDIR");
  std::string templ = std::string(t && *t ? t : "/tmp") + "/device_bench_test.XXXXXX";
  if (mkdtemp(&templ[0]) == nullptr) return "";
  return templ;
}
}  // namespace

TEST(fileio_errors_and_atomic_write) {
  const std::string dir = TempDir();
  CHECK(!dir.empty());
  if (dir.empty()) return;
  std::string why;
  uint64_t size = 0;
  std::vector<uint8_t> data;

  CHECK(!StatReadableFile(dir + "/missing.ms", &size, &why));
  CHECK_EQ(why, std::string("does not exist"));
  CHECK(!ReadWholeFile(dir, 100, &data, &why));
  CHECK_EQ(why, std::string("is a directory, not a file"));
  CHECK(!StatReadableFile(dir + "/missing/x.ms", &size, &why));
  CHECK_CONTAINS(why, "does not exist");

  const std::string path = dir + "/out.json";
  CHECK(CheckCreatable(path, &why));
  CHECK(!CheckCreatable(dir, &why));
  CHECK_EQ(why, std::string("is a directory"));
  CHECK(!CheckCreatable(dir + "/nodir/out.json", &why));
  CHECK_CONTAINS(why, "does not exist");

  CHECK(WriteFileAtomic(path, "{\"a\": 1}\n", &why));
  CHECK(ReadWholeFile(path, 100, &data, &why));
  CHECK_EQ(std::string(data.begin(), data.end()), std::string("{\"a\": 1}\n"));
  CHECK(!ReadWholeFile(path, 3, &data, &why));
  CHECK_CONTAINS(why, "is too large (9 bytes, limit 3)");

  {  // An aborted writer leaves neither the target nor its temporary file.
    AtomicFileWriter w;
    CHECK(w.Open(dir + "/partial.bin", &why));
    CHECK(w.Write("abc", 3));
  }
  CHECK(!StatReadableFile(dir + "/partial.bin", &size, &why));
  const std::string tmp = dir + "/partial.bin.tmp." + std::to_string(static_cast<long>(getpid()));
  CHECK(!StatReadableFile(tmp, &size, &why));

  const std::string empty = dir + "/empty.ms";
  CHECK(WriteFileAtomic(empty, "", &why));
  CHECK(StatReadableFile(empty, &size, &why));
  CHECK_EQ(size, uint64_t{0});

  std::remove(path.c_str());
  std::remove(empty.c_str());
  rmdir(dir.c_str());
}

namespace {
BenchResult SampleResult() {
  BenchResult r;
  r.tool_version = "0.1.0+g1a2b3c4d5e6f";
  r.target.arch = "x86_64";
  r.target.os = "linux";
  r.target.hostname = "box";
  r.target.cpu_model = "CPU \"X\"";
  r.target.cores = 2;
  r.model_path = "/tmp/m.ms";
  r.model_sha256 = std::string(64, 'a');
  r.model_bytes = 250080;
  r.inputs = {{"x", {1, 28, 28, 1}, "float32", "NHWC"}};
  r.outputs = {{"logits", {1, 10}, "float32", "NCHW"}};
  r.config.num_threads = 1;
  r.config.loop_count = 4;
  r.config.warmup_loop_count = 10;
  r.init_ms = 12.5;
  r.first_ms = 0.25;
  r.runs_ms = {0.1, 0.2, 0.3, 0.4};
  r.memory.peak_rss_kb = 1000;
  r.memory.rss_kb = 900;
  r.started_at = "2024-01-01T00:00:00.000Z";
  return r;
}
}  // namespace

TEST(report_json_shape) {
  const std::string j = ToJson(SampleResult());
  CHECK_EQ(j.back(), '\n');
  // Keys appear in schema order.
  const char* keys[] = {"\"schema\": \"mindedge.bench/1\"", "\"tool_version\": \"0.1.0+g1a2b3c4d5e6f\"", "\"target\"",
                        "\"kind\": \"local\"", "\"arch\"", "\"os\"", "\"hostname\"", "\"cpu_model\": \"CPU \\\"X\\\"\"",
                        "\"cores\": 2", "\"model\"", "\"path\": \"/tmp/m.ms\"", "\"sha256\"", "\"bytes\": 250080",
                        "\"inputs\"", "\"shape\": [1, 28, 28, 1]", "\"dtype\": \"float32\"", "\"format\": \"NHWC\"",
                        "\"outputs\"", "\"config\"", "\"threads\": 1", "\"loops\": 4", "\"warmup\": 10",
                        "\"in_data_file\": null", "\"samples\": null", "\"out_data_file\": null", "\"init_ms\": 12.5",
                        "\"first_ms\": 0.25", "\"latency_ms\"", "\"runs\": [0.1, 0.2, 0.3, 0.4]", "\"min\": 0.1",
                        "\"p50\": 0.25", "\"p90\"", "\"p99\"", "\"mean\": 0.25", "\"std\"", "\"max\": 0.4",
                        "\"throughput_ips\": ", "\"memory\"", "\"peak_rss_kb\": 1000", "\"rss_kb\": 900",
                        "\"power\": null", "\"accuracy\": null", "\"outputs_written\": null",
                        "\"interrupted\": false", "\"started_at\": \"2024-01-01T00:00:00.000Z\""};
  size_t pos = 0;
  for (const char* k : keys) {
    const size_t at = j.find(k, pos);
    CHECK(at != std::string::npos);
    if (at == std::string::npos) {
      std::cerr << "    missing or out of order: " << k << "\n";
      continue;
    }
    pos = at;
  }
}

TEST(report_json_no_runs_and_files) {
  BenchResult r = SampleResult();
  r.runs_ms.clear();
  r.config.in_data_file = "in.bin";
  r.samples = 10000;
  r.config.out_data_file = "out.bin";
  r.outputs_written = 10000;
  r.interrupted = true;
  r.memory.peak_rss_kb = -1;
  const std::string j = ToJson(r);
  CHECK_CONTAINS(j, "\"runs\": []");
  CHECK_CONTAINS(j, "\"p50\": null");
  CHECK_CONTAINS(j, "\"throughput_ips\": null");
  CHECK_CONTAINS(j, "\"in_data_file\": \"in.bin\"");
  CHECK_CONTAINS(j, "\"samples\": 10000");
  CHECK_CONTAINS(j, "\"outputs_written\": 10000");
  CHECK_CONTAINS(j, "\"interrupted\": true");
  CHECK_CONTAINS(j, "\"peak_rss_kb\": null");
}

TEST(report_throughput_uses_batch) {
  BenchResult r = SampleResult();  // 4 runs, 1 ms in total
  CHECK_NEAR(ThroughputIps(r), 4000, 1e-6);
  r.batch = 32;
  CHECK_NEAR(ThroughputIps(r), 128000, 1e-6);
  r.runs_ms.clear();
  CHECK(std::isnan(ThroughputIps(r)));
}
