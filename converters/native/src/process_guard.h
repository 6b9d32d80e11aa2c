// Process-level guards of mslite_convert: a crash or an interrupt in the converter library removes the
// partial output and prints the one result line (async-signal-safe), and the library's own stdout/stderr
// are captured while it runs so the driver's result line stays the only one.
#ifndef MINDEDGE_CONVERT_PROCESS_GUARD_H_
#define MINDEDGE_CONVERT_PROCESS_GUARD_H_

#include <cstddef>
#include <cstdio>
#include <string>

namespace mindedge {

// State shared with the fatal-signal handler (set by main and Run; read by the handler).
extern char g_tmp_output[4096];  // partial output to delete on a crash ('\0': none)
extern int g_result_fd;          // the real stdout (fd 1 may be captured)
extern int g_log_fd;             // the real stderr (fd 2 may be captured)

void WriteAll(int fd, const char *s, size_t n);
void WriteAll(int fd, const char *s);

// SIGABRT/SEGV/BUS/FPE/ILL: "CONVERT RESULT FAILED:-1 ... crashed", exit 1; SIGINT/TERM/HUP: exit 128+N.
void InstallFatalSignalHandlers();

// Redirects a file descriptor (1 or 2) into an anonymous temporary file while the library runs;
// Finish() restores it and returns what was written. `slot` (0 or 1) lets the crash handler replay it.
class FdCapture {
 public:
  FdCapture(int fd, int restore_fd, int slot);
  ~FdCapture();
  FdCapture(const FdCapture &) = delete;
  FdCapture &operator=(const FdCapture &) = delete;
  std::string Finish();

 private:
  int fd_;
  int restore_fd_;
  int slot_;
  std::FILE *file_ = nullptr;
  std::string text_;
};

}  // namespace mindedge

#endif  // MINDEDGE_CONVERT_PROCESS_GUARD_H_
