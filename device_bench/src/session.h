// What the benchmark phases share: exit codes, the status a phase returns, the progress log,
// the clock and the signal flag.
#ifndef DEVICE_BENCH_SESSION_H_
#define DEVICE_BENCH_SESSION_H_

#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>

namespace device_bench {

constexpr int kExitOk = 0;
constexpr int kExitInternal = 1;
constexpr int kExitUser = 2;
constexpr int kExitAccuracy = 3;

// The outcome of a phase: the exit code, and the one-line error main prints as
// "device_bench: error: <error>" (empty: nothing to print).
struct Status {
  int code = kExitOk;
  std::string error;

  bool ok() const { return code == kExitOk; }
  static Status Ok() { return {}; }
  static Status User(const std::string& message) { return {kExitUser, message}; }
  static Status Internal(const std::string& message) { return {kExitInternal, message}; }
};

// Progress lines "device_bench: <text>" on stderr (the host parses some of them); none when quiet.
class Log {
 public:
  explicit Log(bool quiet, std::FILE* out = stderr) : quiet_(quiet), out_(out) {}
  void Info(const char* fmt, ...) const __attribute__((format(printf, 2, 3)));

 private:
  bool quiet_;
  std::FILE* out_;
};

// SIGINT/SIGTERM: the first one is recorded (the phases then skip to the report), a second one
// ends the process at once.
void InstallSignalHandlers();
bool Interrupted();
int InterruptSignal();  // 0 when none arrived
// Records `sig` as if it had arrived (0 clears it); for tests and the handler.
void SetInterrupt(int sig);

// Time as the phases see it: the steady clock, or a fake in tests.
class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::steady_clock::duration;
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
  // Waits until `deadline`; false as soon as a signal arrives (Interrupted()).
  virtual bool SleepUntil(TimePoint deadline) const = 0;
};

// std::chrono::steady_clock; sleeps in slices of at most 10 ms to notice signals.
class SteadyClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
  bool SleepUntil(TimePoint deadline) const override;
};

double MsBetween(Clock::TimePoint a, Clock::TimePoint b);
double SecondsBetween(Clock::TimePoint a, Clock::TimePoint b);

std::string Quoted(const std::string& path);  // 'path'

}  // namespace device_bench

#endif  // DEVICE_BENCH_SESSION_H_
