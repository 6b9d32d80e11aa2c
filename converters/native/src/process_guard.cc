#include "process_guard.h"

#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <iostream>

namespace mindedge {

char g_tmp_output[4096] = {0};
int g_result_fd = -1;
int g_log_fd = -1;

void WriteAll(int fd, const char *s, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<size_t>(w);
  }
}
void WriteAll(int fd, const char *s) { WriteAll(fd, s, std::strlen(s)); }

namespace {

constexpr int kExitCrashed = 1;  // kExitConvertFailed of main.cc
int g_capture_fds[2] = {-1, -1};

extern "C" void OnFatalSignal(int sig) {
  if (g_tmp_output[0] != '\0') ::unlink(g_tmp_output);
  const bool interrupted = sig == SIGINT || sig == SIGTERM || sig == SIGHUP;
  // Pass on what the library logged before dying: it usually names the cause.
  const int log_fd = g_log_fd >= 0 ? g_log_fd : 2;
  for (int fd : g_capture_fds) {
    if (interrupted || fd < 0 || ::lseek(fd, 0, SEEK_SET) != 0) continue;
    char buf[4096];
    ssize_t n = 0;
    while ((n = ::read(fd, buf, sizeof(buf))) > 0) WriteAll(log_fd, buf, static_cast<size_t>(n));
  }
  const char *name = sig == SIGABRT   ? "SIGABRT (abort: uncaught exception or fatal log)"
                     : sig == SIGSEGV ? "SIGSEGV (invalid memory access)"
                     : sig == SIGBUS  ? "SIGBUS"
                     : sig == SIGFPE  ? "SIGFPE"
                     : sig == SIGILL  ? "SIGILL"
                     : sig == SIGINT  ? "SIGINT"
                     : sig == SIGTERM ? "SIGTERM"
                     : sig == SIGHUP  ? "SIGHUP"
                                      : "a fatal signal";
  const int out = g_result_fd >= 0 ? g_result_fd : 1;
  if (interrupted) {
    WriteAll(out, "CONVERT RESULT FAILED:-1 interrupted by ");
    WriteAll(out, name);
    WriteAll(out, "; no output was written\n");
    ::_exit(128 + sig);
  }
  WriteAll(out, "CONVERT RESULT FAILED:-1 the converter library crashed with ");
  WriteAll(out, name);
  WriteAll(out, "; the input model is probably malformed or unsupported (see stderr; --verbose shows the full log)\n");
  ::_exit(kExitCrashed);
}

}  // namespace

void InstallFatalSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnFatalSignal;
  sigemptyset(&sa.sa_mask);
  // Block the other handled signals while one runs (e.g. SIGTERM during a crash).
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGINT, SIGTERM, SIGHUP}) sigaddset(&sa.sa_mask, sig);
  sa.sa_flags = SA_RESETHAND;
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

FdCapture::FdCapture(int fd, int restore_fd, int slot) : fd_(fd), restore_fd_(restore_fd), slot_(slot) {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  file_ = std::tmpfile();
  if (file_ == nullptr || restore_fd_ < 0) return;
  ::dup2(::fileno(file_), fd_);
  g_capture_fds[slot_] = ::fileno(file_);
}

FdCapture::~FdCapture() { Finish(); }

std::string FdCapture::Finish() {
  if (file_ == nullptr) return text_;
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  if (restore_fd_ >= 0) ::dup2(restore_fd_, fd_);
  g_capture_fds[slot_] = -1;
  std::rewind(file_);
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), file_)) > 0) text_.append(buf, n);
  std::fclose(file_);
  file_ = nullptr;
  return text_;
}

}  // namespace mindedge
