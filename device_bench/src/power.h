// Battery power from sysfs: choosing the supply, working out its units and sign convention from
// the readings themselves (pure functions), a sampler thread, and the analysis into idle/load power
// and energy per inference.
#ifndef DEVICE_BENCH_POWER_H_
#define DEVICE_BENCH_POWER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sysfs.h"

namespace device_bench {

constexpr char kPowerSupplyDir[] = "/sys/class/power_supply";

enum class CurrentUnit { kMicroAmp, kMilliAmp };
enum class VoltageUnit { kMicroVolt, kMilliVolt };
enum class SignConvention { kNegativeDischarging, kPositiveDischarging, kUnsigned };

const char* UnitName(CurrentUnit u);     // "uA", "mA"
const char* UnitName(VoltageUnit u);     // "uV", "mV"
const char* ConventionName(SignConvention c);  // "negative_discharging", "positive_discharging", "unsigned"

// Phones draw roughly 50 mA .. 5 A. Raw readings whose largest magnitude is >= 10000 are therefore
// microamps (10000 mA = 10 A is implausible); smaller ones are milliamps (10000 uA = 10 mA would be
// an implausibly idle phone). All-zero readings are reported as microamps, the kernel's unit.
constexpr long long kMicroAmpThreshold = 10000;
CurrentUnit DetectCurrentUnit(const std::vector<long long>& raw_currents);

// A battery sits at roughly 3-5 V (up to ~20 V for multi-cell packs): the median magnitude is
// microvolts when >= 100000 (100 V in mV is implausible), else millivolts.
constexpr long long kMicroVoltThreshold = 100000;
VoltageUnit DetectVoltageUnit(const std::vector<long long>& raw_voltages);

// What the readings say about the sign of current_now.
struct SignEvidence {
  std::string status;        // power_supply "status": Discharging, Charging, Full, Not charging, Unknown or ""
  bool has_idle = false;
  bool has_load = false;
  double idle_mean_ma = 0;   // mean current of the idle samples in mA, with the driver's sign
  double idle_std_ma = 0;    // their standard deviation (noise)
  double load_mean_ma = 0;   // mean current of the timed-loop samples in mA, with the driver's sign
  bool any_negative = false;  // among all samples
  bool any_positive = false;
};

struct SignDecision {
  SignConvention convention = SignConvention::kNegativeDischarging;
  std::string basis;       // one line: which evidence decided
  bool uncertain = false;  // evidence missing or contradictory (a warning is due)
};

// Decides the sign convention. Two kinds of evidence:
//  - the status: while Discharging the readings have the sign of discharge; while Charging the
//    opposite one (an all-positive reading while charging fits both the kernel convention and an
//    unsigned driver, which then reads the same);
//  - the load: running the model draws more current, so the direction in which the reading moves
//    from idle to load is discharge (significant when the change exceeds max(5 mA, 5% of idle,
//    2 x idle noise)).
// When they disagree the load wins (it is measured, the status is the driver's claim) and the
// decision is marked uncertain.
SignDecision DetectSignConvention(const SignEvidence& e);

// Current drawn from the battery in mA (positive = discharging) for a raw reading.
double DischargeCurrentMa(long long raw, CurrentUnit unit, SignConvention convention);
double VoltageV(long long raw, VoltageUnit unit);

struct SupplyInfo {
  std::string name;
  std::string type;  // contents of "type": Battery, USB, Mains, ...
  bool has_current = false;
  bool has_voltage = false;
};

// The battery to sample: among supplies with both current_now and voltage_now, type "Battery"
// first, then by name: "battery", "bms", names starting with "bat", others; ties in natural order.
// Without a Battery-typed one, a supply named like a battery (battery, bms, bat*) is accepted.
// Returns the index or -1.
int ChooseBatterySupply(const std::vector<SupplyInfo>& supplies);

// Every entry of <root>/sys/class/power_supply.
std::vector<SupplyInfo> ListSupplies(const Sysfs& fs);

enum class PowerPhase : int { kOff = -1, kIdle = 0, kLoad = 1 };

struct RawPowerSample {
  double t_ms = 0;  // since the sampler started
  PowerPhase phase = PowerPhase::kIdle;
  long long current_raw = 0;
  long long voltage_raw = 0;
};

// Samples <supply>/current_now and voltage_now every interval on its own thread while the phase
// is idle or load. Files are opened anew for every read (sysfs values are produced on read).
class PowerSampler {
 public:
  PowerSampler(const Sysfs& fs, const std::string& supply_dir_abs, int interval_ms);
  ~PowerSampler();
  PowerSampler(const PowerSampler&) = delete;
  PowerSampler& operator=(const PowerSampler&) = delete;

  bool Start(std::string* why);
  // kIdle samples at once, then every interval; kLoad takes its first sample one interval after the
  // switch (so a reading is never labelled load before load has had time to show); kOff pauses.
  void SetPhase(PowerPhase phase);
  // Waits until at least `n` samples exist (or the timeout passes); true if they do.
  bool WaitForSamples(size_t n, int timeout_ms);
  void Stop();

  std::vector<RawPowerSample> samples() const;
  int64_t read_errors() const;
  std::string last_error() const;

 private:
  void Loop();
  bool ReadOnce(long long* current, long long* voltage, std::string* why) const;

  Sysfs fs_;
  std::string current_path_;
  std::string voltage_path_;
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point origin_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  PowerPhase phase_ = PowerPhase::kOff;
  bool phase_changed_ = false;
  bool stop_ = false;
  std::vector<RawPowerSample> samples_;
  int64_t read_errors_ = 0;
  std::string last_error_;
  std::thread thread_;
};

struct PowerSample {
  double t_ms = 0;
  PowerPhase phase = PowerPhase::kIdle;
  long long current_raw = 0;
  long long voltage_raw = 0;
  double power_w = 0;  // drawn from the battery (negative while charging)
};

struct PhaseSummary {
  int64_t samples = 0;
  double seconds = 0;            // wall time of the phase
  double mean_current_ma = 0;    // discharge current (positive = drawn from the battery); NaN without samples
  double mean_voltage_v = 0;
  double mean_power_w = 0;
};

struct PowerInputs {
  std::string supply;          // name under /sys/class/power_supply
  std::string status_start;    // "status" before the idle baseline
  std::string status_end;      // and after the timed loop
  std::vector<RawPowerSample> samples;
  double idle_seconds = 0;
  double load_seconds = 0;
  int64_t inferences = 0;      // timed runs
  double interval_ms = 0;
  double idle_target_ms = 0;
  int64_t read_errors = 0;
  std::string last_error;
};

struct PowerReport {
  std::string supply;
  std::string current_unit;
  std::string voltage_unit;
  std::string sign_convention;
  std::string sign_basis;
  std::string battery_status;
  bool charging = false;
  double interval_ms = 0;
  double idle_target_ms = 0;
  PhaseSummary idle;
  PhaseSummary load;
  double energy_per_inference_mj = 0;  // (P_load - P_idle) * load seconds / inferences; NaN if unknown
  int64_t read_errors = 0;
  std::vector<PowerSample> samples;
};

// Units, sign, per-sample power, phase means and energy; appends warnings (charging, uncertain
// sign, too few samples, ...).
PowerReport AnalyzePower(const PowerInputs& in, std::vector<std::string>* warnings);

}  // namespace device_bench

#endif  // DEVICE_BENCH_POWER_H_
