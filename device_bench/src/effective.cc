#include "effective.h"

#include <algorithm>

#if (defined(__linux__) || defined(__ANDROID__)) && defined(__aarch64__)
#include <sys/auxv.h>
#endif

namespace device_bench {
namespace {

constexpr char kNoFp16[] = "The mindspore-lite library does not support fp16";
constexpr unsigned long kHwcapFphp = 1UL << 9;  // HWCAP_FPHP of the arm64 Linux ABI

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

bool IsActor(const TaskInfo& t) { return StartsWith(t.name, "ActorThread_"); }
bool IsKernel(const TaskInfo& t) { return StartsWith(t.name, "KernelThread_"); }

// The Cpus_allowed_list value of /proc/<pid>/status text ("" if absent).
std::string CpusAllowed(const std::string& status) {
  const char key[] = "Cpus_allowed_list:";
  const size_t at = status.find(key);
  if (at == std::string::npos) return "";
  const size_t from = at + sizeof key - 1;
  const size_t end = status.find('\n', from);
  return TrimSpace(status.substr(from, end == std::string::npos ? std::string::npos : end - from));
}

std::string ThreadsText(int64_t n) { return std::to_string(n) + (n == 1 ? " thread" : " threads"); }

std::string BindName(long mode) {
  if (mode == 1) return "big cores";
  if (mode == 2) return "middle cores";
  return "none";
}

void Precision(const EffectiveRequest& req, const EffectiveObservation& obs, EffectiveReport* r,
               std::vector<std::string>* warnings) {
  if (!req.enable_fp16) {
    r->precision = "fp32";
    r->precision_basis = "requested (fp16 not enabled)";
    return;
  }
  if (LiteLogSaysNoFp16(obs.build_log)) {
    r->precision = "fp32";
    r->precision_basis = "lite log";
    r->ignored.push_back("enable_fp16");
    warnings->push_back("--enableFp16 asked for fp16, but this MindSpore Lite build has no fp16 kernels and ran "
                        "fp32 (its log: \"" + std::string(kNoFp16) + "\")");
    return;
  }
  if (!obs.log_complete) {
    r->precision = "unknown";
    r->precision_basis = "lite log filtered (GLOG_v above 2 hides its warnings)";
    warnings->push_back("--enableFp16: cannot tell whether fp16 ran, GLOG_v hides MindSpore Lite's warnings "
                        "(unset it or set GLOG_v=2)");
    return;
  }
  if (obs.cpu_fp16 == 0) {
    r->precision = "fp32";
    r->precision_basis = "AT_HWCAP";
    r->ignored.push_back("enable_fp16");
    warnings->push_back("--enableFp16 asked for fp16, but this CPU has no fp16 arithmetic (no FPHP in AT_HWCAP), "
                        "so MindSpore Lite ran fp32");
    return;
  }
  r->precision = "fp16";
  r->precision_basis = obs.cpu_fp16 == 1 ? "lite log + AT_HWCAP" : "lite log";
}

void Threads(const EffectiveRequest& req, const EffectiveObservation& obs, EffectiveReport* r,
             std::vector<std::string>* warnings) {
  r->threads = LiteThreads(r->runtime_threads);
  if (r->threads < 0) {
    r->threads_basis = "not observed (no ActorThread_N/KernelThread_N threads in /proc/self/task)";
    return;
  }
  r->threads_basis = "/proc/self/task";
  if (r->threads == req.threads) return;
  r->ignored.push_back("threads");
  std::string why;
  if (req.threads > r->threads && obs.cores > 0 && r->threads >= obs.cores) {
    why = " (it uses at most one per core: " + std::to_string(obs.cores) + " cores)";
  }
  warnings->push_back("--numThreads=" + std::to_string(req.threads) + " asked for " + ThreadsText(req.threads) +
                      ", but MindSpore Lite runs " + ThreadsText(r->threads) + why);
}

void Binding(const EffectiveRequest& req, const EffectiveObservation& obs, EffectiveReport* r,
             std::vector<std::string>* warnings) {
  if (r->runtime_threads.empty() || obs.process_cpus.empty()) {
    r->cpu_binding = "unknown";
    r->binding_basis = r->runtime_threads.empty() ? "not observed (no MindSpore Lite threads seen)"
                                                  : "not observed (the process's CPUs are unreadable)";
    return;
  }
  const bool pinned = std::any_of(r->runtime_threads.begin(), r->runtime_threads.end(),
                                  [&](const TaskInfo& t) { return t.cpus != obs.process_cpus; });
  r->cpu_binding = pinned ? "pinned" : "none";
  r->binding_basis = "/proc/self/task against the process's CPUs " + obs.process_cpus;
  if (req.cpu_bind_mode != 0 && !pinned) {
    r->ignored.push_back("cpu_bind_mode");
    warnings->push_back("--cpuBindMode=" + std::to_string(req.cpu_bind_mode) + " (" + BindName(req.cpu_bind_mode) +
                        ") asked to pin MindSpore Lite's threads, but they run unpinned on CPUs " + obs.process_cpus);
  }
}

}  // namespace

int64_t LiteThreads(const std::vector<TaskInfo>& tasks) {
  const int64_t actors = std::count_if(tasks.begin(), tasks.end(), IsActor);
  const int64_t kernels = std::count_if(tasks.begin(), tasks.end(), IsKernel);
  if (actors > 0) return actors + kernels;
  return kernels > 0 ? kernels + 1 : -1;
}

std::vector<TaskInfo> ReadTasks(const Sysfs& fs) {
  std::vector<TaskInfo> out;
  for (const std::string& tid : fs.List("/proc/self/task")) {
    TaskInfo t;
    t.tid = tid;
    std::string why;
    if (!fs.ReadLine("/proc/self/task/" + tid + "/comm", &t.name, &why)) continue;  // it ended meanwhile
    std::string status;
    if (fs.ReadText("/proc/self/task/" + tid + "/status", &status, &why)) t.cpus = CpusAllowed(status);
    out.push_back(t);
  }
  return out;
}

std::string ReadProcessCpus(const Sysfs& fs) {
  std::string status, why;
  return fs.ReadText("/proc/self/status", &status, &why) ? CpusAllowed(status) : "";
}

int CpuFp16Support() {
#if (defined(__linux__) || defined(__ANDROID__)) && defined(__aarch64__)
  return (getauxval(AT_HWCAP) & kHwcapFphp) != 0 ? 1 : 0;
#else
  (void)kHwcapFphp;
  return -1;
#endif
}

bool LiteLogSaysNoFp16(const std::string& log_text) { return log_text.find(kNoFp16) != std::string::npos; }

EffectiveReport ResolveEffective(const EffectiveRequest& req, const EffectiveObservation& obs,
                                 std::vector<std::string>* warnings) {
  EffectiveReport r;
  for (const TaskInfo& t : obs.tasks) {
    if (IsActor(t) || IsKernel(t)) r.runtime_threads.push_back(t);
  }
  Precision(req, obs, &r, warnings);
  Threads(req, obs, &r, warnings);
  Binding(req, obs, &r, warnings);
  r.device = req.device;
  r.device_basis = req.device == "CPU" ? "requested" : "requested (the CPU runs the operators it lacks)";
  return r;
}

}  // namespace device_bench
