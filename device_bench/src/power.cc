// Phase "power": the battery supply found in sysfs and sampled while the model runs (the analysis of the
// samples is power_analysis.cc).
#include "power.h"

#include <algorithm>
#include <cmath>

#include "text.h"

namespace device_bench {
namespace {

long long Magnitude(long long v) { return v < 0 ? -v : v; }

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

}  // namespace device_bench
