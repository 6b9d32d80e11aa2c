// CPU frequencies, thermal zones and battery temperature read from sysfs (under --sysfsRoot),
// recorded before and after timing, and the temperature --cooldownC waits on.
#ifndef DEVICE_BENCH_DEVICE_STATE_H_
#define DEVICE_BENCH_DEVICE_STATE_H_

#include <string>
#include <vector>

#include "sysfs.h"

namespace device_bench {

struct CpuFreq {
  std::string cpu;  // "cpu0"
  long long khz = 0;  // cpufreq/scaling_cur_freq
};

struct ThermalReading {
  std::string zone;  // "thermal_zone0"
  std::string type;  // contents of "type", e.g. "cpu-0-0", "battery"
  double temp_c = 0;
};

struct DeviceState {
  bool valid = false;  // read at all
  std::vector<CpuFreq> cpu_freq;
  std::vector<ThermalReading> thermal;
  bool has_battery_temp = false;
  double battery_temp_c = 0;
};

// Reads the state. `battery_dir` is e.g. "/sys/class/power_supply/battery" ("" = none).
// When `notes` is not null, what could not be read is appended there (one line each).
DeviceState ReadDeviceState(const Sysfs& fs, const std::string& battery_dir, std::vector<std::string>* notes);

// Readings outside -40..150 C are treated as bogus (unconnected sensors read -273 or 0x7fff...).
bool PlausibleTempC(double c);

// The hottest plausible reading (battery or any thermal zone); false if there is none.
bool HottestTemperature(const DeviceState& s, double* temp_c, std::string* sensor);

}  // namespace device_bench

#endif  // DEVICE_BENCH_DEVICE_STATE_H_
