#include "session.h"

#include <algorithm>
#include <cstdarg>
#include <thread>

namespace device_bench {
namespace {

volatile std::sig_atomic_t g_signal = 0;

extern "C" void OnSignal(int sig) {
  g_signal = sig;
  std::signal(sig, SIG_DFL);  // a second signal ends the process at once
}

}  // namespace

void Log::Info(const char* fmt, ...) const {
  if (quiet_) return;
  std::va_list args;
  va_start(args, fmt);
  std::fputs("device_bench: ", out_);
  std::vfprintf(out_, fmt, args);
  std::fputc('\n', out_);
  va_end(args);
}

void InstallSignalHandlers() {
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
}

bool Interrupted() { return g_signal != 0; }

int InterruptSignal() { return static_cast<int>(g_signal); }

void SetInterrupt(int sig) { g_signal = sig; }

bool SteadyClock::SleepUntil(TimePoint deadline) const {
  while (!Interrupted()) {
    const TimePoint now = Now();
    if (now >= deadline) return true;
    std::this_thread::sleep_for(std::min<Duration>(deadline - now, std::chrono::milliseconds(10)));
  }
  return false;
}

double MsBetween(Clock::TimePoint a, Clock::TimePoint b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double SecondsBetween(Clock::TimePoint a, Clock::TimePoint b) { return std::chrono::duration<double>(b - a).count(); }

std::string Quoted(const std::string& path) { return "'" + path + "'"; }

}  // namespace device_bench
