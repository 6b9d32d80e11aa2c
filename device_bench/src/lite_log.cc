#include "lite_log.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
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

namespace {

constexpr size_t kMaxCaptured = 1u << 20;

void WriteAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    const ssize_t w = write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    data += w;
    n -= static_cast<size_t>(w);
  }
}

}  // namespace

StderrCapture::~StderrCapture() {
  if (saved_fd_ >= 0) Stop();
}

bool StderrCapture::Start(bool passthrough) {
  if (saved_fd_ >= 0) return true;
  int write_fd = -1;
  if (passthrough) {
    int fds[2];
    if (pipe(fds) != 0) return false;
    tmp_fd_ = fds[0];
    write_fd = fds[1];
  } else {
    std::FILE* tmp = std::tmpfile();
    if (tmp == nullptr) {
      const char* dir = std::getenv("TMPDIR");
      std::string templ =
          std::string(dir != nullptr && *dir != '\0' ? dir : "/data/local/tmp") + "/device_bench.XXXXXX";
      const int fd = mkstemp(&templ[0]);
      if (fd < 0) return false;
      unlink(templ.c_str());
      tmp_fd_ = fd;
    } else {
      tmp_fd_ = dup(fileno(tmp));
      std::fclose(tmp);
      if (tmp_fd_ < 0) return false;
    }
  }
  std::fflush(stderr);
  saved_fd_ = dup(2);
  if (saved_fd_ < 0 || dup2(write_fd >= 0 ? write_fd : tmp_fd_, 2) < 0) {
    if (saved_fd_ >= 0) close(saved_fd_);
    if (write_fd >= 0) close(write_fd);
    close(tmp_fd_);
    saved_fd_ = tmp_fd_ = -1;
    return false;
  }
  if (write_fd >= 0) close(write_fd);  // fd 2 is now the pipe's only write end
  passthrough_ = passthrough;
  text_.clear();
  stopping_ = false;
  if (passthrough_) reader_ = std::thread([this] { Pump(); });
  return true;
}

void StderrCapture::Pump() {
  char buf[4096];
  for (;;) {
    pollfd p{tmp_fd_, POLLIN, 0};
    const int ready = poll(&p, 1, 20);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return;
    if (ready == 0) {
      if (stopping_) return;  // stderr is restored and nothing is pending (a leftover write end cannot hang us)
      continue;
    }
    const ssize_t n = read(tmp_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // every write end is closed
    WriteAll(saved_fd_, buf, static_cast<size_t>(n));
    if (text_.size() < kMaxCaptured) text_.append(buf, static_cast<size_t>(n));
  }
}

std::string StderrCapture::Stop() {
  if (saved_fd_ < 0) return "";
  std::fflush(stderr);
  dup2(saved_fd_, 2);
  std::string text;
  if (passthrough_) {
    stopping_ = true;
    if (reader_.joinable()) reader_.join();
    text.swap(text_);
  } else if (lseek(tmp_fd_, 0, SEEK_SET) == 0) {
    char buf[4096];
    ssize_t n;
    while ((n = read(tmp_fd_, buf, sizeof buf)) > 0 && text.size() < kMaxCaptured) {
      text.append(buf, static_cast<size_t>(n));
    }
  }
  close(saved_fd_);
  close(tmp_fd_);
  saved_fd_ = tmp_fd_ = -1;
  passthrough_ = false;
  return text;
}

}  // namespace device_bench
