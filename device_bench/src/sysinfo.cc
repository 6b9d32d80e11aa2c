#include "sysinfo.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <sstream>
#include <thread>

namespace device_bench {
namespace {

std::string Trim(const std::string& s) {
  const char* ws = " \t\r\n";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

// Value of the first "key<spaces>: value" line whose key equals `key` (case-sensitive).
bool FindColonField(const std::string& text, const std::string& key, std::string* value) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    if (Trim(line.substr(0, colon)) == key) {
      *value = Trim(line.substr(colon + 1));
      return true;
    }
  }
  return false;
}

}  // namespace

int64_t ParseStatusKb(const std::string& status_text, const std::string& key) {
  std::string value;
  if (!FindColonField(status_text, key, &value)) return -1;
  char* end = nullptr;
  const long long v = std::strtoll(value.c_str(), &end, 10);
  if (end == value.c_str() || v < 0) return -1;
  return static_cast<int64_t>(v);
}

std::string ParseCpuModel(const std::string& cpuinfo_text) {
  for (const char* key : {"model name", "Hardware", "Processor", "cpu model"}) {
    std::string value;
    if (FindColonField(cpuinfo_text, key, &value) && !value.empty()) return value;
  }
  return "";
}

std::string ReadTextFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return "";
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  std::fclose(f);
  return text;
}

TargetInfo GetTargetInfo(const std::string& sysfs_root) {
  TargetInfo t;
  struct utsname u;
  if (uname(&u) == 0) t.arch = u.machine;
#if defined(__ANDROID__)
  t.os = "android";
#elif defined(__linux__)
  t.os = "linux";
#else
  t.os = "unknown";
#endif
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) == 0) t.hostname = host;
  std::string root = sysfs_root;
  while (!root.empty() && root.back() == '/') root.pop_back();
  t.cpu_model = ParseCpuModel(ReadTextFile(root + "/proc/cpuinfo"));
  if (t.cpu_model.empty()) t.cpu_model = "unknown";
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  t.cores = n > 0 ? static_cast<int>(n) : static_cast<int>(std::thread::hardware_concurrency());
  return t;
}

MemoryInfo GetMemoryInfo() {
  const std::string status = ReadTextFile("/proc/self/status");
  MemoryInfo m;
  m.peak_rss_kb = ParseStatusKb(status, "VmHWM");
  m.rss_kb = ParseStatusKb(status, "VmRSS");
  return m;
}

std::string UtcNowIso8601() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];  // room for any int values, so the compiler can prove no truncation
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

}  // namespace device_bench
