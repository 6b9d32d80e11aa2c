// What actually ran, next to what was asked: MindSpore Lite can ignore a request without failing
// (fp16 on a build without fp16 kernels, more threads than cores, a CPU binding), so device_bench
// records the precision, threads, binding and device the runtime really used, each from an
// observation rather than from the flags:
//   precision    the runtime's own log while it built the model ("does not support fp16") and, on
//                aarch64, the CPU's fp16 arithmetic (AT_HWCAP FPHP, what Lite itself checks);
//   threads      MindSpore Lite's worker threads in /proc/self/task (ActorThread_N, KernelThread_N);
//   cpu binding  those threads' allowed CPUs against the process's before the model was built;
//   device       as requested (the runtime does not say which operators ran where).
// Every request the runtime did not honour becomes a warning and is named in `ignored`.
#ifndef DEVICE_BENCH_EFFECTIVE_H_
#define DEVICE_BENCH_EFFECTIVE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "sysfs.h"

namespace device_bench {

// One thread of this process: its name (comm) and allowed CPUs (Cpus_allowed_list, e.g. "0-3").
struct TaskInfo {
  std::string tid;
  std::string name;
  std::string cpus;
};

// The threads of this process from <root>/proc/self/task/*/{comm,status}, in tid order.
std::vector<TaskInfo> ReadTasks(const Sysfs& fs);
// The inference threads MindSpore Lite's named threads stand for (-1: none seen): actor threads run kernels too
// and the caller only waits; with kernel threads alone the calling thread runs the graph with them.
int64_t LiteThreads(const std::vector<TaskInfo>& tasks);
// Cpus_allowed_list of <root>/proc/self/status ("" if unreadable).
std::string ReadProcessCpus(const Sysfs& fs);

// Whether the CPU has fp16 arithmetic as MindSpore Lite checks it: 1 yes, 0 no, -1 not applicable
// (not aarch64 Linux/Android, where Lite's fp16 kernels depend on other checks or do not exist).
int CpuFp16Support();

// Whether Lite's log says this build has no fp16 kernels.
bool LiteLogSaysNoFp16(const std::string& log_text);

struct EffectiveRequest {
  bool enable_fp16 = false;
  long threads = 1;
  long cpu_bind_mode = 0;  // 0 none, 1 big cores, 2 middle cores
  std::string device = "CPU";
};

struct EffectiveObservation {
  std::string build_log;       // Lite's log while building the model
  bool log_complete = true;    // false: Lite's warnings were filtered out (GLOG_v above 2)
  int cpu_fp16 = -1;           // CpuFp16Support()
  std::string process_cpus;    // ReadProcessCpus() before the model was built
  std::vector<TaskInfo> tasks;  // ReadTasks() after the first inference
  int cores = 0;               // online CPUs
};

struct EffectiveReport {
  std::string precision;  // "fp32", "fp16" or "unknown"
  int64_t threads = -1;   // inference threads seen; -1: none of Lite's threads were seen
  std::string cpu_binding;  // "none", "pinned" or "unknown"
  std::vector<TaskInfo> runtime_threads;  // Lite's threads (name, allowed CPUs)
  std::string device;
  std::vector<std::string> ignored;  // config keys the runtime did not honour: enable_fp16, threads, cpu_bind_mode
  // How each value was found: "lite log", "lite log + AT_HWCAP", "/proc/self/task", "requested", ...
  std::string precision_basis;
  std::string threads_basis;
  std::string binding_basis;
  std::string device_basis;
};

// Decides what ran from `req` and `obs`; appends one warning per ignored request.
EffectiveReport ResolveEffective(const EffectiveRequest& req, const EffectiveObservation& obs,
                                 std::vector<std::string>* warnings);

}  // namespace device_bench

#endif  // DEVICE_BENCH_EFFECTIVE_H_
