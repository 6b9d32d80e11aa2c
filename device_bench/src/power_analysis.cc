// Phase "power": the samples of a run turned into a report (idle baseline, load, energy, sign convention,
// warnings). Reading the supply lives in power.cc.
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "power.h"
#include "text.h"

namespace device_bench {

PowerReport AnalyzePower(const PowerInputs& in, std::vector<std::string>* warnings) {
  PowerReport r;
  r.supply = in.supply;
  r.battery_status = in.status_start;
  r.interval_ms = in.interval_ms;
  r.idle_target_ms = in.idle_target_ms;
  r.read_errors = in.read_errors;
  const double nan = std::numeric_limits<double>::quiet_NaN();

  std::vector<long long> currents;
  std::vector<long long> voltages;
  for (const RawPowerSample& s : in.samples) {
    currents.push_back(s.current_raw);
    voltages.push_back(s.voltage_raw);
  }
  const CurrentUnit cu = DetectCurrentUnit(currents);
  const VoltageUnit vu = DetectVoltageUnit(voltages);
  r.current_unit = UnitName(cu);
  r.voltage_unit = UnitName(vu);

  // Evidence for the sign, in mA with the driver's sign.
  SignEvidence e;
  e.status = in.status_start;
  double idle_sum = 0;
  double idle_sq = 0;
  double load_sum = 0;
  int64_t idle_n = 0;
  int64_t load_n = 0;
  for (const RawPowerSample& s : in.samples) {
    const double ma = cu == CurrentUnit::kMicroAmp ? static_cast<double>(s.current_raw) / 1000.0
                                                   : static_cast<double>(s.current_raw);
    e.any_negative = e.any_negative || s.current_raw < 0;
    e.any_positive = e.any_positive || s.current_raw > 0;
    if (s.phase == PowerPhase::kIdle) {
      idle_sum += ma;
      idle_sq += ma * ma;
      ++idle_n;
    } else if (s.phase == PowerPhase::kLoad) {
      load_sum += ma;
      ++load_n;
    }
  }
  e.has_idle = idle_n > 0;
  e.has_load = load_n > 0;
  if (idle_n > 0) {
    e.idle_mean_ma = idle_sum / static_cast<double>(idle_n);
    e.idle_std_ma = std::sqrt(std::max(0.0, idle_sq / static_cast<double>(idle_n) - e.idle_mean_ma * e.idle_mean_ma));
  }
  if (load_n > 0) e.load_mean_ma = load_sum / static_cast<double>(load_n);
  const SignDecision sign = DetectSignConvention(e);
  r.sign_convention = ConventionName(sign.convention);
  r.sign_basis = sign.basis;

  const std::string start = Lower(in.status_start);
  const std::string end = Lower(in.status_end);
  r.charging = start == "charging" || end == "charging";
  if (r.charging) {
    warnings->push_back("battery is charging: power readings mean little (unplug the charger/USB power; "
                        "use adb over Wi-Fi)");
  }
  if (!in.status_end.empty() && in.status_end != in.status_start) {
    warnings->push_back("battery status changed during the run: '" + in.status_start + "' -> '" + in.status_end + "'");
  }
  if (sign.uncertain) warnings->push_back("current sign convention uncertain: " + sign.basis);

  // Per-sample power and phase means.
  PhaseSummary* phases[2] = {&r.idle, &r.load};
  r.idle.seconds = in.idle_seconds;
  r.load.seconds = in.load_seconds;
  double sums[2][3] = {{0, 0, 0}, {0, 0, 0}};
  for (const RawPowerSample& s : in.samples) {
    PowerSample p;
    p.t_ms = s.t_ms;
    p.phase = s.phase;
    p.current_raw = s.current_raw;
    p.voltage_raw = s.voltage_raw;
    const double i_ma = DischargeCurrentMa(s.current_raw, cu, sign.convention);
    const double v = VoltageV(s.voltage_raw, vu);
    p.power_w = v * i_ma / 1000.0;
    r.samples.push_back(p);
    const int k = s.phase == PowerPhase::kLoad ? 1 : 0;
    ++phases[k]->samples;
    sums[k][0] += i_ma;
    sums[k][1] += v;
    sums[k][2] += p.power_w;
  }
  for (int k = 0; k < 2; ++k) {
    const double n = static_cast<double>(phases[k]->samples);
    phases[k]->mean_current_ma = n > 0 ? sums[k][0] / n : nan;
    phases[k]->mean_voltage_v = n > 0 ? sums[k][1] / n : nan;
    phases[k]->mean_power_w = n > 0 ? sums[k][2] / n : nan;
  }

  r.energy_per_inference_mj = nan;
  if (r.idle.samples == 0) warnings->push_back("no battery samples during the idle baseline: no energy figure");
  if (r.load.samples == 0) {
    warnings->push_back("no battery samples during the timed runs (they lasted " + Fixed(in.load_seconds * 1000, 1) +
                        " ms, sampling every " + Fixed(in.interval_ms, 0) +
                        " ms): use --minSeconds for an energy figure");
  } else if (r.load.samples < 5) {
    warnings->push_back("only " + std::to_string(r.load.samples) +
                        " battery samples during the timed runs: the energy figure is rough; use --minSeconds");
  }
  if (r.idle.samples > 0 && r.load.samples > 0 && in.inferences > 0) {
    r.energy_per_inference_mj =
        (r.load.mean_power_w - r.idle.mean_power_w) * in.load_seconds / static_cast<double>(in.inferences) * 1000.0;
    if (r.energy_per_inference_mj < 0) {
      warnings->push_back("power under load was below idle power: the energy per inference is negative "
                          "(noise, or the battery was charging)");
    }
  }
  bool all_zero = !currents.empty();
  for (long long c : currents) all_zero = all_zero && c == 0;
  if (all_zero) warnings->push_back("current_now of '" + in.supply + "' always reads 0: this driver does not report current");
  if (!voltages.empty()) {
    const double v = VoltageV(voltages[voltages.size() / 2], vu);
    if (v < 2.5 || v > 60) {
      warnings->push_back("battery voltage " + Fixed(v, 3) + " V looks implausible: check voltage_now of '" +
                          in.supply + "'");
    }
  }
  if (in.read_errors > 0) {
    warnings->push_back(std::to_string(in.read_errors) + " battery reads failed (last: " + in.last_error + ")");
  }
  return r;
}

}  // namespace device_bench
