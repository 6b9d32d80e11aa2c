// What actually ran (effective.h): precision, threads and binding from observations, the warnings,
// the live /proc readers and the JSON section.
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "effective.h"
#include "harness.h"
#include "lite_log.h"
#include "report.h"

using namespace device_bench;

namespace {

const char kLiteFp16Log[] =
    "[WARNING] ME(27477,7f73,device_bench):2026-12-02-15:54:10.874.601 [mindspore/lite/src/extendrt/numa_adapter.cc:35] "
    "NUMAAdapter] Open libnuma.so failed!try libnuma.so.1 again.\n"
    "[WARNING] LITE(27477,7f73,device_bench):2026-12-02-15:54:10.875.097 [mindspore/lite/src/litert/lite_session.cc:1528] "
    "PreCheck] The mindspore-lite library does not support fp16. Set environment variable MSLITE_ENABLE_FP16 to on to "
    "recompile it.\n";

// The threads seen on this machine with --numThreads=2 --cpuBindMode=1 (2 cores).
std::vector<TaskInfo> PinnedTasks() {
  return {{"100", "device_bench", "0-1"}, {"101", "ActorThread_0", "1"}, {"102", "KernelThread_0", "0"}};
}

EffectiveObservation Observed(std::vector<TaskInfo> tasks, const std::string& log = "") {
  EffectiveObservation obs;
  obs.build_log = log;
  obs.tasks = std::move(tasks);
  obs.process_cpus = "0-1";
  obs.cores = 2;
  return obs;
}

bool Has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

bool AnyContains(const std::vector<std::string>& v, const std::string& s) {
  return std::any_of(v.begin(), v.end(), [&](const std::string& x) { return x.find(s) != std::string::npos; });
}

}  // namespace

TEST(effective_fp16_refused_by_the_library_runs_fp32) {
  EffectiveRequest req;
  req.enable_fp16 = true;
  std::vector<std::string> warnings;
  const EffectiveReport r = ResolveEffective(req, Observed({{"1", "ActorThread_0", "0-1"}}, kLiteFp16Log), &warnings);
  CHECK_EQ(r.precision, std::string("fp32"));
  CHECK_EQ(r.precision_basis, std::string("lite log"));
  CHECK(Has(r.ignored, "enable_fp16"));
  CHECK_EQ(warnings.size(), size_t{1});
  CHECK(AnyContains(warnings, "no fp16 kernels and ran fp32"));
  CHECK(AnyContains(warnings, "does not support fp16"));
}

TEST(effective_fp16_on_a_cpu_without_fp16_arithmetic_runs_fp32) {
  EffectiveRequest req;
  req.enable_fp16 = true;
  EffectiveObservation obs = Observed({{"1", "ActorThread_0", "0-1"}});
  obs.cpu_fp16 = 0;
  std::vector<std::string> warnings;
  const EffectiveReport r = ResolveEffective(req, obs, &warnings);
  CHECK_EQ(r.precision, std::string("fp32"));
  CHECK(Has(r.ignored, "enable_fp16"));
  CHECK(AnyContains(warnings, "no FPHP in AT_HWCAP"));
}

TEST(effective_fp16_accepted_is_fp16) {
  EffectiveRequest req;
  req.enable_fp16 = true;
  EffectiveObservation obs = Observed({{"1", "ActorThread_0", "0-1"}});
  obs.cpu_fp16 = 1;
  std::vector<std::string> warnings;
  const EffectiveReport r = ResolveEffective(req, obs, &warnings);
  CHECK_EQ(r.precision, std::string("fp16"));
  CHECK_EQ(r.precision_basis, std::string("lite log + AT_HWCAP"));
  CHECK(r.ignored.empty());
  CHECK(warnings.empty());
}

TEST(effective_fp16_with_a_filtered_log_is_unknown) {
  EffectiveRequest req;
  req.enable_fp16 = true;
  EffectiveObservation obs = Observed({{"1", "ActorThread_0", "0-1"}});
  obs.log_complete = false;
  std::vector<std::string> warnings;
  const EffectiveReport r = ResolveEffective(req, obs, &warnings);
  CHECK_EQ(r.precision, std::string("unknown"));
  CHECK(AnyContains(warnings, "GLOG_v"));
}

TEST(effective_fp32_requested_is_fp32_without_warnings) {
  std::vector<std::string> warnings;
  const EffectiveReport r = ResolveEffective(EffectiveRequest{}, Observed({{"1", "ActorThread_0", "0-1"}}), &warnings);
  CHECK_EQ(r.precision, std::string("fp32"));
  CHECK_EQ(r.threads, int64_t{1});
  CHECK_EQ(r.cpu_binding, std::string("none"));
  CHECK_EQ(r.device, std::string("CPU"));
  CHECK(r.ignored.empty());
  CHECK(warnings.empty());
}

TEST(effective_threads_clamped_to_the_cores_are_warned) {
  EffectiveRequest req;
  req.threads = 8;
  req.cpu_bind_mode = 1;
  std::vector<std::string> warnings;
  const EffectiveReport r = ResolveEffective(req, Observed(PinnedTasks()), &warnings);
  CHECK_EQ(r.threads, int64_t{2});  // ActorThread_0 + KernelThread_0; the main thread only waits
  CHECK_EQ(r.threads_basis, std::string("/proc/self/task"));
  CHECK(Has(r.ignored, "threads"));
  CHECK_EQ(warnings.size(), size_t{1});
  CHECK(AnyContains(warnings, "--numThreads=8 asked for 8 threads, but MindSpore Lite runs 2 threads"));
  CHECK(AnyContains(warnings, "at most one per core: 2 cores"));
  CHECK_EQ(r.runtime_threads.size(), size_t{2});
  CHECK_EQ(r.cpu_binding, std::string("pinned"));
  req.threads = 2;
  warnings.clear();
  CHECK(ResolveEffective(req, Observed(PinnedTasks()), &warnings).ignored.empty());
  CHECK(warnings.empty());
}

TEST(effective_threads_without_actor_threads_count_the_caller) {
  EffectiveRequest req;
  req.threads = 4;
  std::vector<std::string> warnings;
  const EffectiveReport r = ResolveEffective(
      req, Observed({{"1", "app", "0-3"}, {"2", "KernelThread_0", "0-3"}, {"3", "KernelThread_1", "0-3"},
                     {"4", "KernelThread_2", "0-3"}}),
      &warnings);
  CHECK_EQ(r.threads, int64_t{4});
  CHECK(warnings.empty());
}

TEST(effective_no_runtime_threads_is_not_observed) {
  EffectiveRequest req;
  req.threads = 3;
  req.cpu_bind_mode = 2;
  std::vector<std::string> warnings;
  const EffectiveReport r = ResolveEffective(req, Observed({{"1", "device_bench", "0-1"}}), &warnings);
  CHECK_EQ(r.threads, int64_t{-1});
  CHECK_EQ(r.cpu_binding, std::string("unknown"));
  CHECK(r.ignored.empty());
  CHECK(warnings.empty());  // nothing seen, nothing claimed
}

TEST(effective_binding_left_unpinned_is_warned) {
  EffectiveRequest req;
  req.threads = 2;
  req.cpu_bind_mode = 2;
  std::vector<std::string> warnings;
  const EffectiveReport r = ResolveEffective(
      req, Observed({{"1", "ActorThread_0", "0-1"}, {"2", "KernelThread_0", "0-1"}}), &warnings);
  CHECK_EQ(r.cpu_binding, std::string("none"));
  CHECK(Has(r.ignored, "cpu_bind_mode"));
  CHECK(AnyContains(warnings, "--cpuBindMode=2 (middle cores) asked to pin"));
  CHECK(AnyContains(warnings, "unpinned on CPUs 0-1"));
  req.cpu_bind_mode = 0;
  warnings.clear();
  CHECK(ResolveEffective(req, Observed({{"1", "ActorThread_0", "0-1"}, {"2", "KernelThread_0", "0-1"}}), &warnings)
            .ignored.empty());
  CHECK(warnings.empty());
}

TEST(effective_live_threads_and_their_cpus) {
  const Sysfs proc("/");
  const std::string all = ReadProcessCpus(proc);
  CHECK(!all.empty());
  std::atomic<bool> named{false}, done{false};
  std::thread worker([&] {
    pthread_setname_np(pthread_self(), "KernelThread_7");
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    pthread_setaffinity_np(pthread_self(), sizeof one, &one);
    named = true;
    while (!done) std::this_thread::yield();
  });
  while (!named) std::this_thread::yield();
  const std::vector<TaskInfo> tasks = ReadTasks(proc);
  done = true;
  worker.join();
  const auto it = std::find_if(tasks.begin(), tasks.end(), [](const TaskInfo& t) { return t.name == "KernelThread_7"; });
  CHECK(it != tasks.end());
  if (it != tasks.end()) CHECK_EQ(it->cpus, std::string("0"));
  CHECK(tasks.size() >= 2);
  CHECK(ReadTasks(Sysfs("/nonexistent-root")).empty());
  CHECK_EQ(ReadProcessCpus(Sysfs("/nonexistent-root")), std::string(""));
}

TEST(effective_glog_levels) {
  const char* old = std::getenv("GLOG_v");
  const std::string saved = old ? old : "";
  unsetenv("GLOG_v");
  CHECK(LiteWarningsLogged());
  setenv("GLOG_v", "1", 1);
  CHECK(LiteWarningsLogged());
  setenv("GLOG_v", "2", 1);
  CHECK(LiteWarningsLogged());
  setenv("GLOG_v", "3", 1);
  CHECK(!LiteWarningsLogged());
  setenv("GLOG_v", "x", 1);
  CHECK(!LiteWarningsLogged());
  if (old) {
    setenv("GLOG_v", saved.c_str(), 1);
  } else {
    unsetenv("GLOG_v");
  }
}

TEST(effective_json_section) {
  BenchResult r;
  r.tool_version = "0.1.0+x";
  CHECK(ToJson(r).find("\"effective\": null") != std::string::npos);
  EffectiveRequest req;
  req.enable_fp16 = true;
  req.threads = 8;
  std::vector<std::string> warnings;
  r.effective = ResolveEffective(req, Observed(PinnedTasks(), kLiteFp16Log), &warnings);
  r.has_effective = true;
  const std::string j = ToJson(r);
  const char* in_order[] = {"\"config\"", "\"effective\": {", "\"precision\": \"fp32\"", "\"threads\": 2",
                            "\"cpu_binding\": \"pinned\"", "\"device\": \"CPU\"", "\"runtime_threads\": [",
                            "{\"name\": \"ActorThread_0\", \"cpus\": \"1\"}", "{\"name\": \"KernelThread_0\", \"cpus\": \"0\"}",
                            "\"ignored\": [\"enable_fp16\", \"threads\"]", "\"basis\": {", "\"precision\": \"lite log\"",
                            "\"threads\": \"/proc/self/task\"", "\"init_ms\""};
  size_t pos = 0;
  for (const char* k : in_order) {
    const size_t at = j.find(k, pos);
    CHECK(at != std::string::npos);
    if (at == std::string::npos) {
      std::cerr << "    missing or out of order: " << k << "\n";
      continue;
    }
    pos = at;
  }
}
