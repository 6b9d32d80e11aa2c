#include "device_state.h"

namespace device_bench {
namespace {

// "cpu12" -> true; "cpufreq", "cpuidle" -> false.
bool IsNumbered(const std::string& name, const std::string& prefix) {
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return false;
  return name.find_first_not_of("0123456789", prefix.size()) == std::string::npos;
}

}  // namespace

bool PlausibleTempC(double c) { return c >= -40 && c <= 150; }

DeviceState ReadDeviceState(const Sysfs& fs, const std::string& battery_dir, std::vector<std::string>* notes) {
  DeviceState s;
  s.valid = true;
  std::string why;

  const std::string cpu_dir = "/sys/devices/system/cpu";
  size_t cpus = 0;
  for (const std::string& name : fs.List(cpu_dir)) {
    if (!IsNumbered(name, "cpu")) continue;
    ++cpus;
    long long khz = 0;
    if (fs.ReadInt(cpu_dir + "/" + name + "/cpufreq/scaling_cur_freq", &khz, &why)) s.cpu_freq.push_back({name, khz});
  }
  if (notes != nullptr && s.cpu_freq.empty()) {
    notes->push_back("cpu frequencies not readable (" + fs.Path(cpu_dir) + "/cpu*/cpufreq/scaling_cur_freq" +
                     (cpus == 0 ? ": no cpu directories)" : ")"));
  }

  const std::string thermal_dir = "/sys/class/thermal";
  size_t zones = 0;
  size_t unreadable = 0;
  for (const std::string& name : fs.List(thermal_dir)) {
    if (!IsNumbered(name, "thermal_zone")) continue;
    ++zones;
    ThermalReading t;
    t.zone = name;
    long long raw = 0;
    if (!fs.ReadInt(thermal_dir + "/" + name + "/temp", &raw, &why)) {
      ++unreadable;
      continue;
    }
    if (!fs.ReadLine(thermal_dir + "/" + name + "/type", &t.type, &why)) t.type = "";
    t.temp_c = ThermalZoneTempC(raw);
    s.thermal.push_back(t);
  }
  if (notes != nullptr && zones == 0) {
    notes->push_back("no thermal zones (" + fs.Path(thermal_dir) + "/thermal_zone*)");
  } else if (notes != nullptr && unreadable > 0) {
    notes->push_back(std::to_string(unreadable) + " of " + std::to_string(zones) + " thermal zones unreadable");
  }

  if (!battery_dir.empty()) {
    long long raw = 0;
    if (fs.ReadInt(battery_dir + "/temp", &raw, &why)) {
      s.has_battery_temp = true;
      s.battery_temp_c = BatteryTempC(raw);
    }
  }
  return s;
}

bool HottestTemperature(const DeviceState& s, double* temp_c, std::string* sensor) {
  bool found = false;
  if (s.has_battery_temp && PlausibleTempC(s.battery_temp_c)) {
    *temp_c = s.battery_temp_c;
    *sensor = "battery";
    found = true;
  }
  for (const ThermalReading& t : s.thermal) {
    if (!PlausibleTempC(t.temp_c)) continue;
    if (!found || t.temp_c > *temp_c) {
      *temp_c = t.temp_c;
      *sensor = t.zone + (t.type.empty() ? "" : " (" + t.type + ")");
      found = true;
    }
  }
  return found;
}

}  // namespace device_bench
