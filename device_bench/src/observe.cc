// Phase "what ran": after the first inference, what MindSpore Lite really used (effective.h).
#include <algorithm>
#include <chrono>
#include <thread>

#include "effective.h"
#include "phases.h"
#include "sysinfo.h"

namespace device_bench {

void RecordEffective(const Flags& flags, const std::string& build_log, bool log_complete,
                     const std::string& process_cpus, const Sysfs& proc, const Log& log, BenchResult* result) {
  EffectiveRequest req;
  req.enable_fp16 = flags.enable_fp16;
  req.threads = flags.num_threads;
  req.cpu_bind_mode = flags.cpu_bind_mode;
  req.device = flags.device;
  EffectiveObservation obs;
  obs.build_log = build_log;
  obs.log_complete = log_complete;
  obs.cpu_fp16 = CpuFp16Support();
  obs.process_cpus = process_cpus;
  obs.cores = GetTargetInfo(flags.sysfs_root).cores;
  obs.tasks = ReadTasks(proc);
  // Lite's worker threads name themselves once they run: on a loaded machine one just created can still carry
  // the process's name when it is first looked at. Look again (up to 200 ms) before believing fewer threads.
  const long want = std::min<long>(flags.num_threads, std::max(obs.cores, 1));
  for (int i = 0; i < 20 && want > 1 && LiteThreads(obs.tasks) < want; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    obs.tasks = ReadTasks(proc);
  }
  result->effective = ResolveEffective(req, obs, &result->warnings);
  result->has_effective = true;
  const EffectiveReport& e = result->effective;
  const std::string threads = e.threads < 0 ? "? threads" : std::to_string(e.threads) + " thread(s)";
  log.Info("ran: %s, %s, binding %s, %s%s", e.precision.c_str(), threads.c_str(), e.cpu_binding.c_str(),
           e.device.c_str(), e.ignored.empty() ? "" : " (the runtime ignored some requests: see the warnings)");
}

}  // namespace device_bench
