// MindSpore Lite logs to stderr (glog style, many lines per failure). device_bench captures that
// log while it builds the model and, on failure, quotes the first runtime error in its own
// one-line message.
#ifndef DEVICE_BENCH_LITE_LOG_H_
#define DEVICE_BENCH_LITE_LOG_H_

#include <atomic>
#include <string>
#include <thread>

namespace device_bench {

// From captured log text, the first "[ERROR]" line reduced to "Function: message", e.g.
// "ConstructModel: The model buffer is invalid and fail to create graph.". "" if there is none.
std::string FirstLiteError(const std::string& log_text);

// Whether MindSpore Lite logs its warnings: GLOG_v (0 debug, 1 info, 2 warning, 3 error) unset or at most 2.
bool LiteWarningsLogged();

// Redirects file descriptor 2 into a temporary file between Start() and Stop(). With `passthrough`,
// into a pipe instead, whose reader thread also copies everything to the real stderr as it arrives
// (--verbose: the log stays live, so a crash inside the runtime still shows it).
// If no temporary file (or pipe) can be made, Start() returns false and nothing is redirected.
class StderrCapture {
 public:
  StderrCapture() = default;
  ~StderrCapture();
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;

  bool Start(bool passthrough = false);
  std::string Stop();  // restores stderr and returns what was written meanwhile (at most 1 MiB)

 private:
  void Pump();  // passthrough: pipe -> real stderr + text_

  int saved_fd_ = -1;
  int tmp_fd_ = -1;   // the temporary file, or the pipe's read end with passthrough
  bool passthrough_ = false;
  std::thread reader_;
  std::atomic<bool> stopping_{false};
  std::string text_;
};

}  // namespace device_bench

#endif  // DEVICE_BENCH_LITE_LOG_H_
