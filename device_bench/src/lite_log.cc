#include "lite_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace device_bench {

std::string FirstLiteError(const std::string& log_text) {
  std::istringstream in(log_text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.compare(0, 7, "[ERROR]") != 0) continue;
    // "[ERROR] ME(pid,tid,prog):time [path/file.cc:123] Function] message"
    const size_t loc = line.find(" [", 7);
    const size_t loc_end = loc == std::string::npos ? loc : line.find("] ", loc);
    const size_t func_end = loc_end == std::string::npos ? loc_end : line.find("] ", loc_end + 2);
    if (func_end == std::string::npos) return line;
    return line.substr(loc_end + 2, func_end - loc_end - 2) + ": " + line.substr(func_end + 2);
  }
  return "";
}

bool LiteWarningsLogged() {
  const char* v = std::getenv("GLOG_v");
  if (v == nullptr || *v == '\0') return true;
  char* end = nullptr;
  const long level = std::strtol(v, &end, 10);
  return end != v && level <= 2;  // a value that is not a number: cannot vouch for the log
}

StderrCapture::~StderrCapture() {
  if (saved_fd_ >= 0) Stop();
}

bool StderrCapture::Start() {
  if (saved_fd_ >= 0) return true;
  std::FILE* tmp = std::tmpfile();
  if (tmp == nullptr) {
    const char* dir = std::getenv("TMPDIR");
    std::string templ = std::string(dir != nullptr && *dir != '\0' ? dir : "/data/local/tmp") + "/device_bench.XXXXXX";
    const int fd = mkstemp(&templ[0]);
    if (fd < 0) return false;
    unlink(templ.c_str());
    tmp_fd_ = fd;
  } else {
    tmp_fd_ = dup(fileno(tmp));
    std::fclose(tmp);
    if (tmp_fd_ < 0) return false;
  }
  std::fflush(stderr);
  saved_fd_ = dup(2);
  if (saved_fd_ < 0 || dup2(tmp_fd_, 2) < 0) {
    if (saved_fd_ >= 0) close(saved_fd_);
    close(tmp_fd_);
    saved_fd_ = tmp_fd_ = -1;
    return false;
  }
  return true;
}

std::string StderrCapture::Stop() {
  if (saved_fd_ < 0) return "";
  std::fflush(stderr);
  dup2(saved_fd_, 2);
  close(saved_fd_);
  saved_fd_ = -1;
  std::string text;
  if (lseek(tmp_fd_, 0, SEEK_SET) == 0) {
    char buf[4096];
    ssize_t n;
    while ((n = read(tmp_fd_, buf, sizeof buf)) > 0 && text.size() < (1u << 20)) {
      text.append(buf, static_cast<size_t>(n));
    }
  }
  close(tmp_fd_);
  tmp_fd_ = -1;
  return text;
}

}  // namespace device_bench
