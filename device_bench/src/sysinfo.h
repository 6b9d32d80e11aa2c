// Facts about the machine and the process: memory, CPU, host name.
#ifndef DEVICE_BENCH_SYSINFO_H_
#define DEVICE_BENCH_SYSINFO_H_

#include <cstdint>
#include <string>

namespace device_bench {

struct TargetInfo {
  std::string arch;       // uname machine, e.g. "x86_64", "aarch64"
  std::string os;         // "linux" or "android"
  std::string hostname;
  std::string cpu_model;  // from /proc/cpuinfo, "unknown" if absent
  int cores = 0;          // online CPUs
};

struct MemoryInfo {
  int64_t peak_rss_kb = -1;  // VmHWM, -1 if unavailable
  int64_t rss_kb = -1;       // VmRSS, -1 if unavailable
};

// The value in kB of a "Key:   1234 kB" line of /proc/<pid>/status text, or -1.
int64_t ParseStatusKb(const std::string& status_text, const std::string& key);

// The CPU model from /proc/cpuinfo text: "model name" (x86), else "Hardware", "Processor" or
// "cpu model" (ARM, MIPS), else "" if none is present.
std::string ParseCpuModel(const std::string& cpuinfo_text);

// Whole file as text ("" if unreadable); for /proc files, whose stat size is 0.
std::string ReadTextFile(const std::string& path);

// `sysfs_root` prefixes the /proc/cpuinfo read (--sysfsRoot); memory always comes from the real
// /proc/self/status, since it is this process's own.
TargetInfo GetTargetInfo(const std::string& sysfs_root = "/");
MemoryInfo GetMemoryInfo();

// Current UTC time as ISO-8601 with milliseconds, e.g. "2024-05-01T12:34:56.789Z".
std::string UtcNowIso8601();

}  // namespace device_bench

#endif  // DEVICE_BENCH_SYSINFO_H_
