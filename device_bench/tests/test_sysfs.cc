// sysfs parsing and reading under a root, device state, natural order.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "device_state.h"
#include "harness.h"
#include "sysfs.h"
#include "sysinfo.h"

using namespace device_bench;

namespace {

std::string MakeTempDir() {
  const char* t = std::getenv("TMPDIR");
  std::string templ = std::string(t && *t ? t : "/tmp") + "/device_bench_sysfs.XXXXXX";
  if (mkdtemp(&templ[0]) == nullptr) return "";
  return templ;
}

void MkdirP(const std::string& path) {
  std::string cur;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    cur = path.substr(0, pos);
    mkdir(cur.c_str(), 0755);
  }
}

void Put(const std::string& root, const std::string& rel, const std::string& content) {
  const std::string path = root + rel;
  MkdirP(path.substr(0, path.find_last_of('/')));
  std::ofstream(path) << content;
}

void RemoveTree(const std::string& dir) {
  const std::string cmd = "rm -rf '" + dir + "'";
  if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "could not remove %s\n", dir.c_str());
}

}  // namespace

TEST(sysfs_parse_int) {
  long long v = 0;
  CHECK(ParseSysfsInt("123\n", &v));
  CHECK_EQ(v, 123LL);
  CHECK(ParseSysfsInt("-452000\n", &v));
  CHECK_EQ(v, -452000LL);
  CHECK(ParseSysfsInt("  +7 \r\n", &v));
  CHECK_EQ(v, 7LL);
  CHECK(ParseSysfsInt("0", &v));
  CHECK_EQ(v, 0LL);
  CHECK(ParseSysfsInt("9223372036854775807\n", &v));
  CHECK_EQ(v, 9223372036854775807LL);
  v = 42;
  CHECK(!ParseSysfsInt("", &v));
  CHECK(!ParseSysfsInt("\n", &v));
  CHECK(!ParseSysfsInt("-", &v));
  CHECK(!ParseSysfsInt("12a", &v));
  CHECK(!ParseSysfsInt("1 2", &v));
  CHECK(!ParseSysfsInt("3.7", &v));
  CHECK(!ParseSysfsInt("N/A\n", &v));
  CHECK(!ParseSysfsInt("9223372036854775808", &v));  // overflow
  CHECK_EQ(v, 42LL);  // untouched on failure
}

TEST(sysfs_natural_order) {
  CHECK(NaturalLess("cpu2", "cpu10"));
  CHECK(!NaturalLess("cpu10", "cpu2"));
  CHECK(NaturalLess("cpu", "cpu0"));
  CHECK(NaturalLess("thermal_zone9", "thermal_zone10"));
  CHECK(NaturalLess("a", "b"));
  CHECK(!NaturalLess("cpu1", "cpu1"));
  CHECK(NaturalLess("cpu01", "cpu2"));
}

TEST(sysfs_temperatures) {
  CHECK_NEAR(ThermalZoneTempC(45300), 45.3, 1e-9);   // millidegrees (ABI)
  CHECK_NEAR(ThermalZoneTempC(-5000), -5.0, 1e-9);
  CHECK_NEAR(ThermalZoneTempC(45), 45.0, 1e-9);      // a driver reporting degrees
  CHECK_NEAR(BatteryTempC(305), 30.5, 1e-9);         // tenths (ABI)
  CHECK(PlausibleTempC(30));
  CHECK(!PlausibleTempC(-273.15));
  CHECK(!PlausibleTempC(2147483.647));
}

TEST(sysfs_reads_under_root) {
  const std::string root = MakeTempDir();
  CHECK(!root.empty());
  if (root.empty()) return;
  Put(root, "/sys/class/power_supply/battery/current_now", "-452000\n");
  Put(root, "/sys/class/power_supply/battery/status", "Discharging\n");
  Put(root, "/sys/class/power_supply/battery/garbage", "hello\n");
  Put(root, "/sys/class/power_supply/battery/empty", "");
  Sysfs fs(root + "/");
  CHECK_EQ(fs.Path("/sys/x"), root + "/sys/x");
  long long v = 0;
  std::string why;
  CHECK(fs.ReadInt("/sys/class/power_supply/battery/current_now", &v, &why));
  CHECK_EQ(v, -452000LL);
  std::string line;
  CHECK(fs.ReadLine("/sys/class/power_supply/battery/status", &line, &why));
  CHECK_EQ(line, std::string("Discharging"));
  CHECK(!fs.ReadInt("/sys/class/power_supply/battery/missing", &v, &why));
  CHECK_EQ(why, std::string("missing"));
  CHECK(!fs.ReadInt("/sys/class/power_supply/battery/garbage", &v, &why));
  CHECK_CONTAINS(why, "not an integer: 'hello'");
  CHECK(!fs.ReadInt("/sys/class/power_supply/battery/empty", &v, &why));
  CHECK(!fs.ReadInt("/sys/class/power_supply/battery", &v, &why));  // a directory
  CHECK(fs.List("/nonexistent").empty());
  const std::vector<std::string> names = fs.List("/sys/class/power_supply/battery");
  CHECK_EQ(names.size(), size_t{4});
  if (getuid() != 0) {  // root reads anything
    Put(root, "/sys/locked", "1\n");
    chmod((root + "/sys/locked").c_str(), 0);
    CHECK(!fs.ReadInt("/sys/locked", &v, &why));
    CHECK_EQ(why, std::string("permission denied"));
  }
  CHECK_EQ(Sysfs("/").Path("/sys/x"), std::string("/sys/x"));
  CHECK_EQ(Sysfs("").Path("/sys/x"), std::string("/sys/x"));
  RemoveTree(root);
}

TEST(device_state_reads_fake_tree) {
  const std::string root = MakeTempDir();
  if (root.empty()) return;
  Put(root, "/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", "1804800\n");
  Put(root, "/sys/devices/system/cpu/cpu10/cpufreq/scaling_cur_freq", "2419200\n");
  Put(root, "/sys/devices/system/cpu/cpu2/cpufreq/scaling_cur_freq", "300000\n");
  Put(root, "/sys/devices/system/cpu/cpu3/online", "0\n");  // offline: no cpufreq
  Put(root, "/sys/devices/system/cpu/cpufreq/policy0/scaling_cur_freq", "1\n");  // not a cpu
  Put(root, "/sys/class/thermal/thermal_zone0/type", "cpu-0-0\n");
  Put(root, "/sys/class/thermal/thermal_zone0/temp", "41500\n");
  Put(root, "/sys/class/thermal/thermal_zone1/type", "battery\n");
  Put(root, "/sys/class/thermal/thermal_zone1/temp", "-273000\n");  // bogus sensor
  Put(root, "/sys/class/thermal/thermal_zone2/type", "pmic\n");      // no temp file
  Put(root, "/sys/class/thermal/cooling_device0/type", "fan\n");
  Put(root, "/sys/class/power_supply/battery/temp", "305\n");
  const Sysfs fs(root);
  std::vector<std::string> notes;
  const DeviceState s = ReadDeviceState(fs, "/sys/class/power_supply/battery", &notes);
  CHECK(s.valid);
  CHECK_EQ(s.cpu_freq.size(), size_t{3});
  if (s.cpu_freq.size() == 3) {
    CHECK_EQ(s.cpu_freq[0].cpu, std::string("cpu0"));
    CHECK_EQ(s.cpu_freq[1].cpu, std::string("cpu2"));
    CHECK_EQ(s.cpu_freq[2].cpu, std::string("cpu10"));
    CHECK_EQ(s.cpu_freq[2].khz, 2419200LL);
  }
  CHECK_EQ(s.thermal.size(), size_t{2});
  if (!s.thermal.empty()) {
    CHECK_EQ(s.thermal[0].type, std::string("cpu-0-0"));
    CHECK_NEAR(s.thermal[0].temp_c, 41.5, 1e-9);
  }
  CHECK(s.has_battery_temp);
  CHECK_NEAR(s.battery_temp_c, 30.5, 1e-9);
  CHECK_EQ(notes.size(), size_t{1});
  if (!notes.empty()) CHECK_CONTAINS(notes[0], "1 of 3 thermal zones unreadable");
  double t = 0;
  std::string sensor;
  CHECK(HottestTemperature(s, &t, &sensor));
  CHECK_NEAR(t, 41.5, 1e-9);  // the -273 C zone is ignored
  CHECK_CONTAINS(sensor, "thermal_zone0 (cpu-0-0)");
  RemoveTree(root);
}

TEST(device_state_empty_tree_notes) {
  const std::string root = MakeTempDir();
  if (root.empty()) return;
  std::vector<std::string> notes;
  const DeviceState s = ReadDeviceState(Sysfs(root), "", &notes);
  CHECK(s.valid);
  CHECK(s.cpu_freq.empty() && s.thermal.empty() && !s.has_battery_temp);
  CHECK_EQ(notes.size(), size_t{2});
  if (notes.size() == 2) {
    CHECK_CONTAINS(notes[0], "cpu frequencies not readable");
    CHECK_CONTAINS(notes[0], root);
    CHECK_CONTAINS(notes[1], "no thermal zones");
  }
  double t = 0;
  std::string sensor;
  CHECK(!HottestTemperature(s, &t, &sensor));
  RemoveTree(root);
}

TEST(target_info_reads_cpuinfo_under_root) {
  const std::string root = MakeTempDir();
  if (root.empty()) return;
  Put(root, "/proc/cpuinfo", "processor\t: 0\nHardware\t: Fake SoC 9000\n");
  CHECK_EQ(GetTargetInfo(root).cpu_model, std::string("Fake SoC 9000"));
  CHECK_EQ(GetTargetInfo(root + "/nowhere").cpu_model, std::string("unknown"));
  RemoveTree(root);
}
