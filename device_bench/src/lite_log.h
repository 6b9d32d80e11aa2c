// MindSpore Lite logs to stderr (glog style, many lines per failure). device_bench captures that
// log while it builds the model and, on failure, quotes the first runtime error in its own
// one-line message.
#ifndef DEVICE_BENCH_LITE_LOG_H_
#define DEVICE_BENCH_LITE_LOG_H_

#include <string>

namespace device_bench {

// From captured log text, the first "[ERROR]" line reduced to "Function: message", e.g.
// "ConstructModel: The model buffer is invalid and fail to create graph.". "" if there is none.
std::string FirstLiteError(const std::string& log_text);

// Whether MindSpore Lite logs its warnings: GLOG_v (0 debug, 1 info, 2 warning, 3 error) unset or at most 2.
bool LiteWarningsLogged();

// Redirects file descriptor 2 into a temporary file between Start() and Stop().
// If no temporary file can be made, Start() returns false and nothing is redirected.
class StderrCapture {
 public:
  StderrCapture() = default;
  ~StderrCapture();
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;

  bool Start();
  std::string Stop();  // restores stderr and returns what was written meanwhile

 private:
  int saved_fd_ = -1;
  int tmp_fd_ = -1;
};

}  // namespace device_bench

#endif  // DEVICE_BENCH_LITE_LOG_H_
