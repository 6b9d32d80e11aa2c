// The timed loop's stop conditions (--loopCount, --minSeconds, --maxSeconds, --runDelayMs, a
// signal) and the cooldown wait, on a fake clock: every fake inference costs a fixed time.
#include <csignal>
#include <string>
#include <vector>

#include "fakes.h"
#include "harness.h"
#include "phases.h"

using namespace device_bench;
using fakes::CapturedLog;
using fakes::FakeClock;
using fakes::FakeRunner;
using std::chrono::milliseconds;

namespace {

struct Loop {
  FakeClock clock;
  FakeRunner runner{4, 2};
  CapturedLog log;
  TimedRuns runs;
  std::vector<std::string> warnings;

  explicit Loop(milliseconds cost) {
    runner.clock = &clock;
    runner.cost = cost;
  }
  Status Run(const Flags& flags) { return TimedLoop(flags, &runner, clock, log.log(), nullptr, &runs, &warnings); }
};

Flags Timing(long loops, double min_s, double max_s) {
  Flags f;
  f.loop_count = loops;
  f.min_seconds = min_s;
  f.max_seconds = max_s;
  return f;
}

}  // namespace

TEST(timed_loop_runs_loop_count) {
  fakes::InterruptReset reset;
  Loop l(milliseconds(10));
  CHECK(l.Run(Timing(5, 0, 0)).ok());
  CHECK(l.runs.ran);
  CHECK_EQ(l.runs.runs_ms.size(), size_t{5});
  for (double ms : l.runs.runs_ms) CHECK_NEAR(ms, 10, 1e-9);
  CHECK_NEAR(l.runs.seconds, 0.05, 1e-9);
  CHECK(!l.runs.capped);
  CHECK(l.warnings.empty());
  CHECK_EQ(l.log.Text(), std::string("device_bench: phase: load\n"
                                     "device_bench: timed: 5 runs in 0.050 s, p50 10.0000 ms, min 10.0000 ms\n"));
}

TEST(timed_loop_min_seconds_extends_the_loop_count) {
  fakes::InterruptReset reset;
  Loop l(milliseconds(7));
  CHECK(l.Run(Timing(3, 0.1, 0)).ok());
  CHECK_EQ(l.runs.runs_ms.size(), size_t{15});  // 14 runs = 98 ms < 100 ms, 15 = 105 ms
  CHECK(!l.runs.capped);
  CHECK(l.warnings.empty());
  Loop more(milliseconds(7));  // --loopCount above what --minSeconds needs: --loopCount wins
  CHECK(more.Run(Timing(20, 0.1, 0)).ok());
  CHECK_EQ(more.runs.runs_ms.size(), size_t{20});
}

TEST(timed_loop_max_seconds_caps_with_a_warning) {
  fakes::InterruptReset reset;
  Loop l(milliseconds(7));
  CHECK(l.Run(Timing(100000, 0, 0.05)).ok());
  CHECK_EQ(l.runs.runs_ms.size(), size_t{8});  // 7 runs = 49 ms < 50 ms, 8 = 56 ms
  CHECK(l.runs.capped);
  CHECK_EQ(l.warnings.size(), size_t{1});
  if (!l.warnings.empty()) CHECK_EQ(l.warnings[0], std::string("--maxSeconds stopped timing after 8 of 100000 runs"));
  // Ending --minSeconds early after --loopCount runs is no cap.
  Loop m(milliseconds(7));
  CHECK(m.Run(Timing(3, 1.0, 0.05)).ok());
  CHECK_EQ(m.runs.runs_ms.size(), size_t{8});
  CHECK(!m.runs.capped);
  CHECK(m.warnings.empty());
}

TEST(timed_loop_run_delay_is_outside_the_latencies) {
  fakes::InterruptReset reset;
  Loop l(milliseconds(1));
  Flags f = Timing(3, 0, 0);
  f.run_delay_ms = 20;
  CHECK(l.Run(f).ok());
  CHECK_EQ(l.runs.runs_ms.size(), size_t{3});
  for (double ms : l.runs.runs_ms) CHECK_NEAR(ms, 1, 1e-9);
  CHECK_NEAR(l.runs.seconds, 0.043, 1e-9);  // 3 runs + 2 delays
}

TEST(timed_loop_signal_keeps_the_runs_so_far) {
  fakes::InterruptReset reset;
  Loop l(milliseconds(1));
  l.runner.on_predict = [](long call) {
    if (call == 4) SetInterrupt(SIGINT);
  };
  CHECK(l.Run(Timing(1000, 0, 0)).ok());
  CHECK(l.runs.ran);
  CHECK_EQ(l.runs.runs_ms.size(), size_t{4});
  CHECK(!l.runs.capped);
  CHECK(l.warnings.empty());
  // Interrupted before it starts: nothing runs and nothing is recorded.
  Loop later(milliseconds(1));
  CHECK(later.Run(Timing(1000, 0, 0)).ok());
  CHECK(!later.runs.ran);
  CHECK_EQ(later.runner.calls, 0L);
  CHECK_EQ(later.log.Text(), std::string(""));
}

TEST(timed_loop_progress_every_second) {
  fakes::InterruptReset reset;
  Loop l(milliseconds(300));
  CHECK(l.Run(Timing(5, 0, 0)).ok());
  CHECK_EQ(l.log.Text(), std::string("device_bench: phase: load\n"
                                     "device_bench: timed: 4 runs, 1.2 s\n"
                                     "device_bench: timed: 5 runs in 1.500 s, p50 300.0000 ms, min 300.0000 ms\n"));
}

TEST(timed_loop_no_runs_and_failure) {
  fakes::InterruptReset reset;
  Loop none(milliseconds(1));
  CHECK(none.Run(Timing(0, 0, 0)).ok());
  CHECK(none.runs.ran);
  CHECK(none.runs.runs_ms.empty());
  CHECK_EQ(none.runner.calls, 0L);
  CHECK_EQ(none.log.Text(), std::string(""));  // no "phase: load" without runs

  Loop bad(milliseconds(1));
  bad.runner.fail_at = 3;
  const Status s = bad.Run(Timing(10, 0, 0));
  CHECK_EQ(s.code, kExitInternal);
  CHECK_EQ(s.error, std::string("timed run 2: boom"));
}

TEST(warm_up_runs_and_stops_on_signal) {
  fakes::InterruptReset reset;
  FakeRunner runner(1, 1);
  CapturedLog log;
  Flags f;
  f.warmup_loop_count = 3;
  CHECK(WarmUp(f, &runner, log.log()).ok());
  CHECK_EQ(runner.calls, 3L);
  CHECK_EQ(log.Text(), std::string("device_bench: phase: warmup\n"));
  runner.on_predict = [](long call) {
    if (call == 5) SetInterrupt(SIGINT);
  };
  f.warmup_loop_count = 100;
  CHECK(WarmUp(f, &runner, log.log()).ok());
  CHECK_EQ(runner.calls, 5L);
}

TEST(cooldown_without_a_temperature_times_anyway) {
  fakes::InterruptReset reset;
  fakes::TempDir dir;
  CHECK(dir.ok());
  FakeClock clock;
  CapturedLog log;
  std::vector<std::string> warnings;
  Flags f;
  CooldownResult c = Cooldown(f, Sysfs(dir.Path("none")), "", clock, log.log(), &warnings);
  CHECK(!c.requested);  // no --cooldownC
  f.has_cooldown = true;
  f.cooldown_c = 40;
  c = Cooldown(f, Sysfs(dir.Path("none")), "", clock, log.log(), &warnings);
  CHECK(c.requested);
  CHECK(!c.has_start);
  CHECK_EQ(warnings.size(), size_t{1});
  CHECK_CONTAINS(log.Text(), "device_bench: phase: cooldown\ndevice_bench: cooldown: --cooldownC: no temperature");
  SetInterrupt(SIGINT);  // after a signal only the request is recorded
  c = Cooldown(f, Sysfs(dir.Path("none")), "", clock, log.log(), &warnings);
  CHECK(c.requested);
  CHECK_NEAR(c.target_c, 40, 0);
  CHECK_EQ(warnings.size(), size_t{1});
}
