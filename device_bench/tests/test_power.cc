// Battery supply choice, unit and sign detection, power analysis, and the sampler on a fake tree.
#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "harness.h"
#include "power.h"

using namespace device_bench;

TEST(power_current_unit) {
  CHECK(DetectCurrentUnit({-452000, -900000}) == CurrentUnit::kMicroAmp);  // 452 mA in uA
  CHECK(DetectCurrentUnit({452, 900}) == CurrentUnit::kMilliAmp);
  CHECK(DetectCurrentUnit({-60, -4800}) == CurrentUnit::kMilliAmp);        // 4.8 A in mA
  CHECK(DetectCurrentUnit({12000}) == CurrentUnit::kMicroAmp);             // 12 mA idle in uA
  CHECK(DetectCurrentUnit({9999}) == CurrentUnit::kMilliAmp);
  CHECK(DetectCurrentUnit({10000}) == CurrentUnit::kMicroAmp);
  CHECK(DetectCurrentUnit({0, 0}) == CurrentUnit::kMicroAmp);              // unknown: kernel unit
  CHECK(DetectCurrentUnit({}) == CurrentUnit::kMicroAmp);
  CHECK(DetectCurrentUnit({300, 300, 15000}) == CurrentUnit::kMicroAmp);   // any large value decides
}

TEST(power_voltage_unit) {
  CHECK(DetectVoltageUnit({3850000, 3849000}) == VoltageUnit::kMicroVolt);
  CHECK(DetectVoltageUnit({3850, 3849}) == VoltageUnit::kMilliVolt);
  CHECK(DetectVoltageUnit({16800000}) == VoltageUnit::kMicroVolt);  // 4-cell pack
  CHECK(DetectVoltageUnit({3850, 3850, 3850000}) == VoltageUnit::kMilliVolt);  // median, not one outlier
  CHECK(DetectVoltageUnit({}) == VoltageUnit::kMicroVolt);
  CHECK_NEAR(VoltageV(3850000, VoltageUnit::kMicroVolt), 3.85, 1e-12);
  CHECK_NEAR(VoltageV(3850, VoltageUnit::kMilliVolt), 3.85, 1e-12);
}

namespace {
SignEvidence Evidence(const char* status, double idle, double load, bool has_load = true) {
  SignEvidence e;
  e.status = status;
  e.has_idle = true;
  e.has_load = has_load;
  e.idle_mean_ma = idle;
  e.load_mean_ma = load;
  e.idle_std_ma = 1;
  e.any_negative = idle < 0 || (has_load && load < 0);
  e.any_positive = idle > 0 || (has_load && load > 0);
  return e;
}
}  // namespace

TEST(power_sign_agreeing_evidence) {
  SignDecision d = DetectSignConvention(Evidence("Discharging", -300, -900));
  CHECK(d.convention == SignConvention::kNegativeDischarging);
  CHECK(!d.uncertain);
  CHECK_CONTAINS(d.basis, "negative while Discharging");
  d = DetectSignConvention(Evidence("Discharging", 300, 900));
  CHECK(d.convention == SignConvention::kPositiveDischarging);
  CHECK(!d.uncertain);
  // Charging (kernel convention: positive = charging): load lowers the net charge current.
  d = DetectSignConvention(Evidence("Charging", 800, 400));
  CHECK(d.convention == SignConvention::kNegativeDischarging);
  CHECK(!d.uncertain);
  // Charging with a reversed driver: negative while charging, rises under load.
  d = DetectSignConvention(Evidence("Charging", -800, -400));
  CHECK(d.convention == SignConvention::kPositiveDischarging);
}

TEST(power_sign_from_one_kind_of_evidence) {
  // Status alone (load did not move the reading).
  SignDecision d = DetectSignConvention(Evidence("Discharging", 300, 302));
  CHECK(d.convention == SignConvention::kPositiveDischarging);
  CHECK(!d.uncertain);
  d = DetectSignConvention(Evidence("Discharging", -300, 0, /*has_load=*/false));
  CHECK(d.convention == SignConvention::kNegativeDischarging);
  // Load alone (no status file).
  d = DetectSignConvention(Evidence("", 300, 900));
  CHECK(d.convention == SignConvention::kPositiveDischarging);
  CHECK(!d.uncertain);
  d = DetectSignConvention(Evidence("Full", -300, -900));
  CHECK(d.convention == SignConvention::kNegativeDischarging);
  CHECK(!d.uncertain);
}

TEST(power_sign_contradictions_and_no_evidence) {
  // Status says discharging with positive readings, but load makes them fall: the load wins.
  SignDecision d = DetectSignConvention(Evidence("Discharging", 900, 300));
  CHECK(d.convention == SignConvention::kNegativeDischarging);
  CHECK(d.uncertain);
  CHECK_CONTAINS(d.basis, "contradicts");
  // Positive while charging yet rising with load: an unsigned magnitude.
  d = DetectSignConvention(Evidence("Charging", 300, 900));
  CHECK(d.convention == SignConvention::kUnsigned);
  CHECK(d.uncertain);
  // Positive, "Not charging", no change: magnitude.
  d = DetectSignConvention(Evidence("Not charging", 300, 301));
  CHECK(d.convention == SignConvention::kUnsigned);
  CHECK(d.uncertain);
  // Nothing but zeros: kernel convention, uncertain.
  d = DetectSignConvention(Evidence("Unknown", 0, 0));
  CHECK(d.convention == SignConvention::kNegativeDischarging);
  CHECK(d.uncertain);
  // Noise does not count as a move: 3 mA on a 2 mA-noisy 300 mA reading.
  SignEvidence noisy = Evidence("", -300, -303);
  noisy.idle_std_ma = 2;
  d = DetectSignConvention(noisy);
  CHECK(d.uncertain);
}

TEST(power_discharge_current) {
  CHECK_NEAR(DischargeCurrentMa(-452000, CurrentUnit::kMicroAmp, SignConvention::kNegativeDischarging), 452, 1e-9);
  CHECK_NEAR(DischargeCurrentMa(452000, CurrentUnit::kMicroAmp, SignConvention::kNegativeDischarging), -452, 1e-9);
  CHECK_NEAR(DischargeCurrentMa(452, CurrentUnit::kMilliAmp, SignConvention::kPositiveDischarging), 452, 1e-9);
  CHECK_NEAR(DischargeCurrentMa(-452, CurrentUnit::kMilliAmp, SignConvention::kUnsigned), 452, 1e-9);
}

TEST(power_choose_supply) {
  auto S = [](const char* name, const char* type, bool files = true) {
    SupplyInfo s;
    s.name = name;
    s.type = type;
    s.has_current = files;
    s.has_voltage = files;
    return s;
  };
  CHECK_EQ(ChooseBatterySupply({S("usb", "USB"), S("battery", "Battery"), S("ac", "Mains")}), 1);
  CHECK_EQ(ChooseBatterySupply({S("bms", "Battery"), S("battery", "Battery")}), 1);
  CHECK_EQ(ChooseBatterySupply({S("BAT1", "Battery"), S("BAT0", "Battery")}), 1);
  CHECK_EQ(ChooseBatterySupply({S("zz_fg", "Battery"), S("bms", "Battery")}), 1);
  CHECK_EQ(ChooseBatterySupply({S("battery", "Battery", false), S("bms", "Battery")}), 1);  // needs both files
  CHECK_EQ(ChooseBatterySupply({S("usb", "USB"), S("ac", "Mains")}), -1);
  CHECK_EQ(ChooseBatterySupply({S("battery", "")}), 0);      // no type file: named like a battery
  CHECK_EQ(ChooseBatterySupply({S("charger", "")}), -1);
  CHECK_EQ(ChooseBatterySupply({S("battery", "USB")}), -1);  // typed, and not a battery
  CHECK_EQ(ChooseBatterySupply({}), -1);
}

namespace {
PowerInputs Inputs(long long idle_c, long long load_c, long long v, const char* status, int n_idle = 20,
                   int n_load = 40) {
  PowerInputs in;
  in.supply = "battery";
  in.status_start = status;
  in.status_end = status;
  for (int i = 0; i < n_idle; ++i) in.samples.push_back({i * 50.0, PowerPhase::kIdle, idle_c, v});
  for (int i = 0; i < n_load; ++i) in.samples.push_back({1000 + i * 50.0, PowerPhase::kLoad, load_c, v});
  in.idle_seconds = 1.0;
  in.load_seconds = 2.0;
  in.inferences = 1000;
  in.interval_ms = 50;
  in.idle_target_ms = 1000;
  return in;
}
bool HasWarning(const std::vector<std::string>& w, const std::string& needle) {
  for (const std::string& s : w) {
    if (s.find(needle) != std::string::npos) return true;
  }
  return false;
}
}  // namespace

TEST(power_analysis_micro_negative) {
  std::vector<std::string> w;
  const PowerReport r = AnalyzePower(Inputs(-300000, -900000, 4000000, "Discharging"), &w);
  CHECK_EQ(r.current_unit, std::string("uA"));
  CHECK_EQ(r.voltage_unit, std::string("uV"));
  CHECK_EQ(r.sign_convention, std::string("negative_discharging"));
  CHECK(!r.charging);
  CHECK_EQ(r.idle.samples, int64_t{20});
  CHECK_EQ(r.load.samples, int64_t{40});
  CHECK_NEAR(r.idle.mean_current_ma, 300, 1e-9);
  CHECK_NEAR(r.idle.mean_voltage_v, 4.0, 1e-12);
  CHECK_NEAR(r.idle.mean_power_w, 1.2, 1e-9);
  CHECK_NEAR(r.load.mean_power_w, 3.6, 1e-9);
  // (3.6 W - 1.2 W) * 2 s / 1000 inferences = 4.8 mJ
  CHECK_NEAR(r.energy_per_inference_mj, 4.8, 1e-9);
  CHECK_EQ(r.samples.size(), size_t{60});
  CHECK_NEAR(r.samples.back().power_w, 3.6, 1e-9);
  CHECK(w.empty());
}

TEST(power_analysis_milli_positive) {
  std::vector<std::string> w;
  const PowerReport r = AnalyzePower(Inputs(250, 750, 3800, "Discharging"), &w);
  CHECK_EQ(r.current_unit, std::string("mA"));
  CHECK_EQ(r.voltage_unit, std::string("mV"));
  CHECK_EQ(r.sign_convention, std::string("positive_discharging"));
  CHECK_NEAR(r.idle.mean_power_w, 0.95, 1e-9);
  CHECK_NEAR(r.load.mean_power_w, 2.85, 1e-9);
  CHECK_NEAR(r.energy_per_inference_mj, 3.8, 1e-9);
}

TEST(power_analysis_warnings) {
  std::vector<std::string> w;
  PowerReport r = AnalyzePower(Inputs(800000, 400000, 4200000, "Charging"), &w);
  CHECK(r.charging);
  CHECK(HasWarning(w, "battery is charging"));
  CHECK_EQ(r.sign_convention, std::string("negative_discharging"));
  CHECK(r.idle.mean_power_w < 0);  // power flows in

  w.clear();
  r = AnalyzePower(Inputs(-300000, -900000, 4000000, "Discharging", 20, 0), &w);
  CHECK(std::isnan(r.energy_per_inference_mj));
  CHECK(std::isnan(r.load.mean_power_w));
  CHECK(HasWarning(w, "no battery samples during the timed runs"));

  w.clear();
  r = AnalyzePower(Inputs(-300000, -900000, 4000000, "Discharging", 0, 3), &w);
  CHECK(std::isnan(r.energy_per_inference_mj));
  CHECK(HasWarning(w, "no battery samples during the idle baseline"));
  CHECK(HasWarning(w, "only 3 battery samples"));

  w.clear();
  PowerInputs in = Inputs(0, 0, 4000000, "Discharging");
  in.read_errors = 2;
  in.last_error = "x/current_now read error";
  in.status_end = "Charging";
  r = AnalyzePower(in, &w);
  CHECK(HasWarning(w, "always reads 0"));
  CHECK(HasWarning(w, "2 battery reads failed"));
  CHECK(HasWarning(w, "status changed"));
  CHECK(r.charging);

  w.clear();
  r = AnalyzePower(Inputs(-900000, -300000, 4000000, "Discharging"), &w);  // load "draws less"
  CHECK(HasWarning(w, "sign convention uncertain"));

  w.clear();
  r = AnalyzePower(Inputs(-300000, -900000, 400, "Discharging"), &w);  // 0.4 V: implausible
  CHECK(HasWarning(w, "looks implausible"));
}

namespace {
std::string TempDir() {
  const char* t = std::getenv("TMPDIR");
  std::string templ = std::string(t && *t ? t : "/tmp") + "/device_bench_power.XXXXXX";
  if (mkdtemp(&templ[0]) == nullptr) return "";
  return templ;
}
void WriteAtomic(const std::string& path, const std::string& text) {
  { std::ofstream(path + ".tmp") << text; }
  std::rename((path + ".tmp").c_str(), path.c_str());
}
}  // namespace

TEST(power_sampler_follows_phases_and_file_changes) {
  const std::string root = TempDir();
  if (root.empty()) return;
  const std::string dir = root + "/sys/class/power_supply/battery";
  const std::string cmd = "mkdir -p '" + dir + "'";
  CHECK_EQ(std::system(cmd.c_str()), 0);
  WriteAtomic(dir + "/current_now", "-300000\n");
  WriteAtomic(dir + "/voltage_now", "4000000\n");
  PowerSampler sampler(Sysfs(root), "/sys/class/power_supply/battery", 2);
  std::string why;
  CHECK(sampler.Start(&why));
  CHECK(sampler.samples().empty());  // off until a phase is set
  sampler.SetPhase(PowerPhase::kIdle);
  CHECK(sampler.WaitForSamples(5, 5000));
  WriteAtomic(dir + "/current_now", "-900000\n");  // before load: no stale load sample possible
  sampler.SetPhase(PowerPhase::kLoad);
  const size_t before = sampler.samples().size();
  CHECK(sampler.WaitForSamples(before + 5, 5000));
  sampler.SetPhase(PowerPhase::kOff);
  const std::vector<RawPowerSample> s = sampler.samples();
  sampler.Stop();
  size_t idle = 0;
  size_t load = 0;
  double last_t = -1;
  for (const RawPowerSample& x : s) {
    CHECK(x.t_ms >= last_t);
    last_t = x.t_ms;
    if (x.phase == PowerPhase::kIdle) {
      ++idle;
      CHECK_EQ(x.current_raw, -300000LL);
      CHECK_EQ(load, size_t{0});  // idle samples all come first
    } else {
      ++load;
      CHECK_EQ(x.current_raw, -900000LL);
    }
    CHECK_EQ(x.voltage_raw, 4000000LL);
  }
  CHECK(idle >= 5);
  CHECK(load >= 5);
  CHECK_EQ(sampler.read_errors(), int64_t{0});

  // A missing file: Start fails with the path; a file vanishing later counts as read errors.
  PowerSampler bad(Sysfs(root), "/sys/class/power_supply/nothing", 2);
  CHECK(!bad.Start(&why));
  CHECK_CONTAINS(why, "nothing/current_now missing");
  PowerSampler vanishing(Sysfs(root), "/sys/class/power_supply/battery", 2);
  CHECK(vanishing.Start(&why));
  std::remove((dir + "/voltage_now").c_str());
  vanishing.SetPhase(PowerPhase::kIdle);
  for (int i = 0; i < 500 && vanishing.read_errors() < 3; ++i) vanishing.WaitForSamples(1, 10);
  vanishing.Stop();
  CHECK(vanishing.read_errors() >= 3);
  CHECK(vanishing.samples().empty());
  CHECK_CONTAINS(vanishing.last_error(), "voltage_now missing");
  const std::string rm = "rm -rf '" + root + "'";
  CHECK_EQ(std::system(rm.c_str()), 0);
}
