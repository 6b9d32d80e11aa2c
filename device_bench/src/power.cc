#include "power.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace device_bench {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

long long Magnitude(long long v) { return v < 0 ? -v : v; }

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// Name rank for a battery: lower is better.
int NameRank(const std::string& name) {
  const std::string l = Lower(name);
  if (l == "battery") return 0;
  if (l == "bms") return 1;
  if (l.compare(0, 3, "bat") == 0) return 2;
  return 3;
}

}  // namespace

const char* UnitName(CurrentUnit u) { return u == CurrentUnit::kMicroAmp ? "uA" : "mA"; }
const char* UnitName(VoltageUnit u) { return u == VoltageUnit::kMicroVolt ? "uV" : "mV"; }

const char* ConventionName(SignConvention c) {
  switch (c) {
    case SignConvention::kNegativeDischarging:
      return "negative_discharging";
    case SignConvention::kPositiveDischarging:
      return "positive_discharging";
    case SignConvention::kUnsigned:
      return "unsigned";
  }
  return "unsigned";
}

CurrentUnit DetectCurrentUnit(const std::vector<long long>& raw_currents) {
  long long peak = 0;
  for (long long v : raw_currents) peak = std::max(peak, Magnitude(v));
  if (peak == 0) return CurrentUnit::kMicroAmp;
  return peak >= kMicroAmpThreshold ? CurrentUnit::kMicroAmp : CurrentUnit::kMilliAmp;
}

VoltageUnit DetectVoltageUnit(const std::vector<long long>& raw_voltages) {
  if (raw_voltages.empty()) return VoltageUnit::kMicroVolt;
  std::vector<long long> m;
  m.reserve(raw_voltages.size());
  for (long long v : raw_voltages) m.push_back(Magnitude(v));
  std::nth_element(m.begin(), m.begin() + static_cast<long>(m.size() / 2), m.end());
  return m[m.size() / 2] >= kMicroVoltThreshold ? VoltageUnit::kMicroVolt : VoltageUnit::kMilliVolt;
}

SignDecision DetectSignConvention(const SignEvidence& e) {
  using SC = SignConvention;
  SignDecision d;
  const std::string status = Lower(e.status);

  // Evidence 1: the move from idle to load (+1: load reads higher, so positive is discharge).
  int load_dir = 0;
  std::string load_text;
  if (e.has_idle && e.has_load) {
    const double delta = e.load_mean_ma - e.idle_mean_ma;
    const double threshold = std::max({5.0, 0.05 * std::fabs(e.idle_mean_ma), 2.0 * e.idle_std_ma});
    if (std::fabs(delta) > threshold) load_dir = delta > 0 ? 1 : -1;
    load_text = "current moved " + std::string(delta >= 0 ? "+" : "") + Fixed(delta, 1) + " mA from idle (" +
                Fixed(e.idle_mean_ma, 1) + ") to load (" + Fixed(e.load_mean_ma, 1) + ")";
  }
  // The sign of the readings (load preferred: that is what the result is about).
  const double level = e.has_load ? e.load_mean_ma : e.idle_mean_ma;
  const int level_sign = (e.has_idle || e.has_load) && std::fabs(level) >= 1.0 ? (level > 0 ? 1 : -1) : 0;

  // Evidence 2: the status. status_dir is the discharge direction it implies (0: none).
  int status_dir = 0;
  std::string status_text;
  if (status == "discharging" && level_sign != 0) {
    status_dir = level_sign;
    status_text = std::string("readings are ") + (level_sign < 0 ? "negative" : "positive") + " while Discharging";
  } else if (status == "charging" && level_sign != 0) {
    status_dir = -level_sign;
    status_text = std::string("readings are ") + (level_sign < 0 ? "negative" : "positive") + " while Charging";
  }

  auto from_dir = [](int dir) { return dir < 0 ? SC::kNegativeDischarging : SC::kPositiveDischarging; };

  if (load_dir != 0 && status_dir != 0) {
    if (load_dir == status_dir) {
      d.convention = from_dir(load_dir);
      d.basis = status_text + ", and " + load_text;
    } else if (status == "charging" && !e.any_negative && load_dir > 0) {
      // Positive while charging yet rising under load: a magnitude, whatever the direction.
      d.convention = SC::kUnsigned;
      d.basis = status_text + " but rise under load (" + load_text + "): an unsigned magnitude";
      d.uncertain = true;
    } else {
      d.convention = from_dir(load_dir);
      d.basis = load_text + ", which contradicts: " + status_text;
      d.uncertain = true;
    }
    return d;
  }
  if (load_dir != 0) {
    // Readings that rise with load mean positive = discharge (an unsigned driver reads the same
    // while discharging); readings that fall mean negative = discharge.
    d.convention = from_dir(load_dir);
    d.basis = load_text + (e.status.empty() ? " (no status)" : " (status " + e.status + ")");
    return d;
  }
  if (status_dir != 0) {
    d.convention = from_dir(status_dir);
    d.basis = status_text + (load_text.empty() ? "" : "; no significant change under load (" + load_text + ")");
    // Positive while charging: the kernel convention and an unsigned driver read alike; either way
    // the reading is the charge current, so discharge is its negative.
    return d;
  }
  // No usable evidence: the kernel's documented convention, unless the readings are all positive
  // outside charging, which only an unsigned (magnitude) driver produces.
  d.uncertain = true;
  if (level_sign > 0 && status != "charging") {
    d.convention = SC::kUnsigned;
    d.basis = "positive readings with status '" + e.status + "' and no change under load: taken as a magnitude";
  } else if (level_sign == 0) {
    d.convention = SC::kNegativeDischarging;
    d.basis = "current reads about 0: kernel convention assumed (negative = discharging)";
  } else {
    d.convention = SC::kNegativeDischarging;
    d.basis = "negative readings with status '" + e.status +
              "' and no change under load: kernel convention assumed (negative = discharging)";
  }
  return d;
}

double DischargeCurrentMa(long long raw, CurrentUnit unit, SignConvention convention) {
  const double ma = unit == CurrentUnit::kMicroAmp ? static_cast<double>(raw) / 1000.0 : static_cast<double>(raw);
  switch (convention) {
    case SignConvention::kNegativeDischarging:
      return -ma;
    case SignConvention::kPositiveDischarging:
      return ma;
    case SignConvention::kUnsigned:
      return std::fabs(ma);
  }
  return ma;
}

double VoltageV(long long raw, VoltageUnit unit) {
  return unit == VoltageUnit::kMicroVolt ? static_cast<double>(raw) / 1e6 : static_cast<double>(raw) / 1e3;
}

int ChooseBatterySupply(const std::vector<SupplyInfo>& supplies) {
  int best = -1;
  auto better = [&](int i, int j) {  // is supplies[i] better than supplies[j]?
    const SupplyInfo& a = supplies[static_cast<size_t>(i)];
    const SupplyInfo& b = supplies[static_cast<size_t>(j)];
    const bool ab = Lower(a.type) == "battery";
    const bool bb = Lower(b.type) == "battery";
    if (ab != bb) return ab;
    if (NameRank(a.name) != NameRank(b.name)) return NameRank(a.name) < NameRank(b.name);
    return NaturalLess(a.name, b.name);
  };
  for (size_t i = 0; i < supplies.size(); ++i) {
    const SupplyInfo& s = supplies[i];
    if (!s.has_current || !s.has_voltage) continue;
    const bool battery_type = Lower(s.type) == "battery";
    if (!battery_type && NameRank(s.name) > 2) continue;
    if (!battery_type && !s.type.empty() && Lower(s.type) != "unknown") continue;  // USB, Mains, ...
    if (best < 0 || better(static_cast<int>(i), best)) best = static_cast<int>(i);
  }
  return best;
}

std::vector<SupplyInfo> ListSupplies(const Sysfs& fs) {
  std::vector<SupplyInfo> out;
  for (const std::string& name : fs.List(kPowerSupplyDir)) {
    const std::string dir = std::string(kPowerSupplyDir) + "/" + name;
    SupplyInfo s;
    s.name = name;
    std::string why;
    if (!fs.ReadLine(dir + "/type", &s.type, &why)) s.type.clear();
    s.has_current = fs.Exists(dir + "/current_now");
    s.has_voltage = fs.Exists(dir + "/voltage_now");
    out.push_back(s);
  }
  return out;
}

// ---- Sampler ----------------------------------------------------------------------------------

PowerSampler::PowerSampler(const Sysfs& fs, const std::string& supply_dir_abs, int interval_ms)
    : fs_(fs),
      current_path_(supply_dir_abs + "/current_now"),
      voltage_path_(supply_dir_abs + "/voltage_now"),
      interval_(std::max(1, interval_ms)),
      origin_(std::chrono::steady_clock::now()) {}

PowerSampler::~PowerSampler() { Stop(); }

bool PowerSampler::ReadOnce(long long* current, long long* voltage, std::string* why) const {
  std::string w;
  if (!fs_.ReadInt(current_path_, current, &w)) {
    *why = fs_.Path(current_path_) + " " + w;
    return false;
  }
  if (!fs_.ReadInt(voltage_path_, voltage, &w)) {
    *why = fs_.Path(voltage_path_) + " " + w;
    return false;
  }
  return true;
}

bool PowerSampler::Start(std::string* why) {
  long long c = 0;
  long long v = 0;
  if (!ReadOnce(&c, &v, why)) return false;  // fail early rather than sample nothing
  origin_ = std::chrono::steady_clock::now();
  try {
    thread_ = std::thread(&PowerSampler::Loop, this);
  } catch (const std::exception& e) {
    *why = std::string("cannot start the sampling thread: ") + e.what();
    return false;
  }
  return true;
}

void PowerSampler::SetPhase(PowerPhase phase) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    phase_ = phase;
    phase_changed_ = true;
  }
  cv_.notify_all();
}

bool PowerSampler::WaitForSamples(size_t n, int timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return samples_.size() >= n || stop_; }) &&
         samples_.size() >= n;
}

void PowerSampler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<RawPowerSample> PowerSampler::samples() const {
  std::lock_guard<std::mutex> lock(mu_);
  return samples_;
}

int64_t PowerSampler::read_errors() const {
  std::lock_guard<std::mutex> lock(mu_);
  return read_errors_;
}

std::string PowerSampler::last_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_error_;
}

void PowerSampler::Loop() {
  using Clock = std::chrono::steady_clock;
  std::unique_lock<std::mutex> lock(mu_);
  Clock::time_point next = Clock::now();
  while (!stop_) {
    if (phase_changed_) {
      phase_changed_ = false;
      next = Clock::now() + (phase_ == PowerPhase::kLoad ? interval_ : Clock::duration::zero());
    }
    if (phase_ == PowerPhase::kOff) {
      cv_.wait(lock, [&] { return stop_ || phase_changed_; });
      continue;
    }
    if (Clock::now() < next) {
      cv_.wait_until(lock, next, [&] { return stop_ || phase_changed_; });
      continue;
    }
    const PowerPhase phase = phase_;
    lock.unlock();
    const Clock::time_point at = Clock::now();
    long long c = 0;
    long long v = 0;
    std::string why;
    const bool ok = ReadOnce(&c, &v, &why);
    lock.lock();
    if (phase_changed_) continue;  // the phase moved on while reading: drop the sample
    if (ok) {
      RawPowerSample s;
      s.t_ms = std::chrono::duration<double, std::milli>(at - origin_).count();
      s.phase = phase;
      s.current_raw = c;
      s.voltage_raw = v;
      samples_.push_back(s);
    } else {
      ++read_errors_;
      last_error_ = why;
    }
    cv_.notify_all();
    next += interval_;
    const Clock::time_point now = Clock::now();
    if (next <= now) next = now + interval_;  // fell behind (slow read): skip, do not burst
  }
}

// ---- Analysis ---------------------------------------------------------------------------------

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
