// Reads of /sys and /proc files under a configurable root (--sysfsRoot), so tests and odd devices
// can point elsewhere, plus the pure parsers of their contents. Nothing here throws or aborts:
// every failure is a return value with a short reason.
#ifndef DEVICE_BENCH_SYSFS_H_
#define DEVICE_BENCH_SYSFS_H_

#include <string>
#include <vector>

namespace device_bench {

// `s` without leading and trailing whitespace (spaces, tabs, CR, LF).
std::string TrimSpace(const std::string& s);

// Parses the text of a sysfs integer attribute: optional whitespace (a trailing newline is usual),
// an optional sign, decimal digits, optional whitespace. Rejects empty text, garbage, overflow.
bool ParseSysfsInt(const std::string& text, long long* value);

// Natural order of names with a numeric suffix: "cpu2" < "cpu10", "thermal_zone9" < "thermal_zone10".
bool NaturalLess(const std::string& a, const std::string& b);

// Degrees Celsius of a thermal_zone*/temp value: millidegrees (the kernel ABI) when |raw| >= 1000,
// else whole degrees (some drivers report those).
double ThermalZoneTempC(long long raw);

// Degrees Celsius of a power_supply/*/temp value (tenths of a degree, the kernel ABI).
double BatteryTempC(long long raw);

class Sysfs {
 public:
  // `root` "/" (or "") reads the real files; any other directory is prefixed to every absolute path.
  explicit Sysfs(std::string root = "/");

  const std::string& root() const { return root_; }
  // The real path of an absolute /sys or /proc path, e.g. "/sys/class" -> "<root>/sys/class".
  std::string Path(const std::string& abs) const;

  bool Exists(const std::string& abs) const;
  // Whole file. `why` e.g. "missing", "permission denied", "read error: No data available".
  bool ReadText(const std::string& abs, std::string* text, std::string* why) const;
  // First line, trimmed.
  bool ReadLine(const std::string& abs, std::string* line, std::string* why) const;
  bool ReadInt(const std::string& abs, long long* value, std::string* why) const;
  // Entry names of a directory (without "." and ".."), in natural order; empty if unreadable.
  std::vector<std::string> List(const std::string& abs_dir) const;

 private:
  std::string root_;  // "" for the real root, else without a trailing '/'
};

}  // namespace device_bench

#endif  // DEVICE_BENCH_SYSFS_H_
