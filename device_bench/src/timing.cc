// Phases "cooldown", "idle power baseline" and "timed loop".
#include <algorithm>
#include <cstdio>

#include "device_state.h"
#include "phases.h"

namespace device_bench {
namespace {

std::string Fixed1(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace

BatteryChoice FindBattery(const Sysfs& fs) {
  BatteryChoice b;
  const std::vector<SupplyInfo> supplies = ListSupplies(fs);
  for (const SupplyInfo& s : supplies) {
    b.found += (b.found.empty() ? "" : ", ") + s.name + (s.type.empty() ? "" : " (" + s.type + ")");
  }
  int index = ChooseBatterySupply(supplies);
  b.has_power_files = index >= 0;
  if (index < 0) {  // a battery without current/voltage files still has a temperature
    for (size_t i = 0; i < supplies.size() && index < 0; ++i) {
      if (supplies[i].type == "Battery") index = static_cast<int>(i);
    }
  }
  if (index >= 0) {
    b.name = supplies[static_cast<size_t>(index)].name;
    b.dir = std::string(kPowerSupplyDir) + "/" + b.name;
  }
  return b;
}

CooldownResult Cooldown(const Flags& flags, const Sysfs& fs, const std::string& battery_dir, const Clock& clock,
                        const Log& log, std::vector<std::string>* warnings) {
  CooldownResult c;
  if (!flags.has_cooldown) return c;
  c.requested = true;
  c.target_c = flags.cooldown_c;
  c.timeout_s = flags.cooldown_timeout_s;
  if (Interrupted()) return c;
  log.Info("phase: cooldown");
  double temp = 0;
  std::string sensor;
  if (!HottestTemperature(ReadDeviceState(fs, battery_dir, nullptr), &temp, &sensor)) {
    const std::string msg = "--cooldownC: no temperature readable (battery temp, " + fs.Path("/sys/class/thermal") +
                            "/thermal_zone*/temp): timing without waiting";
    warnings->push_back(msg);
    log.Info("cooldown: %s", msg.c_str());
    return c;
  }
  c.has_start = true;
  c.start_c = temp;
  const Clock::TimePoint t0 = clock.Now();
  const Clock::TimePoint give_up =
      t0 + std::chrono::duration_cast<Clock::Duration>(std::chrono::duration<double>(c.timeout_s));
  if (temp >= c.target_c) {
    log.Info("cooldown: waiting: %.1f C at %s, target below %.1f C (timeout %.0f s)", temp, sensor.c_str(),
             c.target_c, c.timeout_s);
  }
  while (temp >= c.target_c && !Interrupted() && SecondsBetween(t0, clock.Now()) < c.timeout_s) {
    if (!clock.SleepUntil(std::min(clock.Now() + std::chrono::milliseconds(500), give_up))) break;
    double t = 0;
    std::string s;
    if (HottestTemperature(ReadDeviceState(fs, battery_dir, nullptr), &t, &s)) {
      temp = t;
      sensor = s;
    }
  }
  c.waited_s = SecondsBetween(t0, clock.Now());
  c.end_c = temp;
  c.sensor = sensor;
  c.reached = temp < c.target_c;
  if (c.reached) {
    log.Info("cooldown: %.1f C at %s after %.1f s", temp, sensor.c_str(), c.waited_s);
  } else if (!Interrupted()) {
    const std::string msg = "--cooldownC=" + Fixed1(c.target_c) + ": still " + Fixed1(temp) + " C at " + sensor +
                            " after " + Fixed1(c.waited_s) + " s (--cooldownTimeoutS); timing anyway";
    warnings->push_back(msg);
    log.Info("cooldown: %s", msg.c_str());
  }
  return c;
}

void StartPower(const Flags& flags, const Sysfs& fs, const BatteryChoice& battery, const Clock& clock,
                const Log& log, PowerRun* power, std::vector<std::string>* warnings) {
  std::string why;
  if (flags.power_source == "none") {
    warnings->push_back("power not measured: --powerSource=none");
  } else if (!battery.has_power_files) {
    warnings->push_back("power not measured: no battery with current_now and voltage_now under " +
                        fs.Path(kPowerSupplyDir) +
                        (battery.found.empty() ? " (no supplies)" : " (found: " + battery.found + ")"));
  } else if (!Interrupted()) {
    power->sampler.reset(new PowerSampler(fs, battery.dir, static_cast<int>(flags.power_interval_ms)));
    if (!power->sampler->Start(&why)) {
      warnings->push_back("power not measured: " + why);
      power->sampler.reset();
    }
  }
  if (!power->sampler) return;
  PowerInputs& in = power->in;
  in.supply = battery.name;
  in.interval_ms = static_cast<double>(flags.power_interval_ms);
  in.idle_target_ms = std::max<double>(static_cast<double>(flags.power_idle_ms), 10.0 * in.interval_ms);
  if (!fs.ReadLine(battery.dir + "/status", &in.status_start, &why)) in.status_start.clear();
  const Clock::TimePoint idle_start = clock.Now();
  power->sampler->SetPhase(PowerPhase::kIdle);
  power->sampler->WaitForSamples(1, 1000);
  log.Info("phase: idle (%s, %.0f ms, sampling %s every %ld ms)", in.status_start.empty() ? "no status" : in.status_start.c_str(),
           in.idle_target_ms, fs.Path(battery.dir).c_str(), flags.power_interval_ms);
  clock.SleepUntil(idle_start + std::chrono::microseconds(static_cast<int64_t>(in.idle_target_ms * 1000)));
  in.idle_seconds = SecondsBetween(idle_start, clock.Now());
}

void StopPower(const Sysfs& fs, const BatteryChoice& battery, PowerRun* power) {
  if (!power->sampler) return;
  power->sampler->Stop();
  std::string why;
  if (!fs.ReadLine(battery.dir + "/status", &power->in.status_end, &why)) power->in.status_end.clear();
}

Status TimedLoop(const Flags& flags, ModelRunner* runner, const Clock& clock, const Log& log, PowerSampler* sampler,
                 TimedRuns* out, std::vector<std::string>* warnings) {
  if (Interrupted()) return Status::Ok();
  out->ran = true;
  const bool any = flags.loop_count > 0 || flags.min_seconds > 0;
  if (any) {
    out->runs_ms.reserve(static_cast<size_t>(std::min(std::max(flags.loop_count, 1000L), kMaxLoopCount)));
    log.Info("phase: load");
  }
  if (sampler != nullptr) sampler->SetPhase(PowerPhase::kLoad);
  const Clock::TimePoint loop_start = clock.Now();
  const auto delay = std::chrono::milliseconds(flags.run_delay_ms);
  Clock::TimePoint now = loop_start;
  Clock::TimePoint last_progress = loop_start;
  std::string why;
  long i = 0;
  while (any && !Interrupted()) {
    const double elapsed = SecondsBetween(loop_start, now);
    if (i >= flags.loop_count && elapsed >= flags.min_seconds) break;
    if ((flags.max_seconds > 0 && elapsed >= flags.max_seconds) || i >= kMaxLoopCount) {
      out->capped = i < flags.loop_count;
      break;
    }
    if (i > 0 && flags.run_delay_ms > 0) {
      if (!clock.SleepUntil(now + delay)) break;
    }
    const Clock::TimePoint a = clock.Now();
    const bool ok = runner->Predict(&why);
    now = clock.Now();
    if (!ok) return Status::Internal("timed run " + std::to_string(i) + ": " + why);
    out->runs_ms.push_back(MsBetween(a, now));
    ++i;
    if (now - last_progress >= std::chrono::seconds(1)) {
      last_progress = now;
      log.Info("timed: %ld runs, %.1f s", i, SecondsBetween(loop_start, now));
    }
  }
  out->seconds = SecondsBetween(loop_start, clock.Now());
  if (sampler != nullptr) sampler->SetPhase(PowerPhase::kOff);
  if (out->capped) {
    warnings->push_back("--maxSeconds stopped timing after " + std::to_string(i) + " of " +
                        std::to_string(flags.loop_count) + " runs");
  }
  if (!out->runs_ms.empty()) {
    std::vector<double> sorted(out->runs_ms);
    std::sort(sorted.begin(), sorted.end());
    log.Info("timed: %zu runs in %.3f s, p50 %.4f ms, min %.4f ms", sorted.size(), out->seconds,
             sorted[sorted.size() / 2], sorted.front());
  }
  return Status::Ok();
}

}  // namespace device_bench
