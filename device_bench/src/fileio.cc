#include "fileio.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace device_bench {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

std::string OpenFailure(int err) {
  if (err == ENOENT) return "does not exist";
  if (err == ENOTDIR) return "does not exist (a parent is not a directory)";
  return "cannot be opened: " + ErrnoText(err);
}

std::string DirName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Opens for reading and checks it is a regular file.
int OpenRegular(const std::string& path, uint64_t* size, std::string* why) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *why = OpenFailure(errno);
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    *why = "cannot be examined: " + ErrnoText(errno);
    close(fd);
    return -1;
  }
  if (S_ISDIR(st.st_mode)) {
    *why = "is a directory, not a file";
    close(fd);
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    *why = "is not a regular file";
    close(fd);
    return -1;
  }
  *size = static_cast<uint64_t>(st.st_size);
  return fd;
}

}  // namespace

bool StatReadableFile(const std::string& path, uint64_t* size, std::string* why) {
  const int fd = OpenRegular(path, size, why);
  if (fd < 0) return false;
  close(fd);
  return true;
}

bool ReadWholeFile(const std::string& path, uint64_t max_bytes, std::vector<uint8_t>* out, std::string* why) {
  uint64_t size = 0;
  const int fd = OpenRegular(path, &size, why);
  if (fd < 0) return false;
  if (size > max_bytes) {
    *why = "is too large (" + std::to_string(size) + " bytes, limit " + std::to_string(max_bytes) + ")";
    close(fd);
    return false;
  }
  out->resize(static_cast<size_t>(size));
  size_t done = 0;
  while (done < out->size()) {
    const ssize_t n = read(fd, out->data() + done, out->size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *why = "cannot be read: " + ErrnoText(errno);
      close(fd);
      return false;
    }
    if (n == 0) break;  // shrank while reading
    done += static_cast<size_t>(n);
  }
  close(fd);
  out->resize(done);
  return true;
}

bool CheckCreatable(const std::string& path, std::string* why) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    *why = "is a directory";
    return false;
  }
  const std::string dir = DirName(path);
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    *why = "cannot be created: directory '" + dir + "' does not exist";
    return false;
  }
  if (access(dir.c_str(), W_OK) != 0) {
    *why = "cannot be created: directory '" + dir + "' is not writable";
    return false;
  }
  return true;
}

AtomicFileWriter::~AtomicFileWriter() { Abort(); }

bool AtomicFileWriter::Open(const std::string& path, std::string* why, size_t buffer_bytes) {
  Abort();
  path_ = path;
  tmp_path_ = path + ".tmp." + std::to_string(static_cast<long>(getpid()));
  f_ = std::fopen(tmp_path_.c_str(), "wb");
  if (f_ == nullptr) {
    *why = "cannot be created: " + ErrnoText(errno);
    return false;
  }
  if (buffer_bytes > 0) {
    buffer_.resize(buffer_bytes);
    std::setvbuf(f_, buffer_.data(), _IOFBF, buffer_.size());
  }
  error_ = 0;
  return true;
}

bool AtomicFileWriter::Write(const void* data, size_t len) {
  if (f_ == nullptr || error_ != 0) return false;
  if (len > 0 && std::fwrite(data, 1, len, f_) != len) {
    error_ = errno != 0 ? errno : EIO;
    return false;
  }
  return true;
}

bool AtomicFileWriter::Commit(std::string* why) {
  if (f_ == nullptr) {
    *why = "was not opened";
    return false;
  }
  if (std::fflush(f_) != 0 && error_ == 0) error_ = errno != 0 ? errno : EIO;
  if (std::fclose(f_) != 0 && error_ == 0) error_ = errno != 0 ? errno : EIO;
  f_ = nullptr;
  if (error_ != 0) {
    *why = "could not be written: " + ErrnoText(error_);
    unlink(tmp_path_.c_str());
    return false;
  }
  if (std::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
    *why = "could not be moved into place: " + ErrnoText(errno);
    unlink(tmp_path_.c_str());
    return false;
  }
  return true;
}

void AtomicFileWriter::Abort() {
  if (f_ != nullptr) {
    std::fclose(f_);
    f_ = nullptr;
    unlink(tmp_path_.c_str());
  }
}

bool WriteFileAtomic(const std::string& path, const std::string& content, std::string* why) {
  AtomicFileWriter w;
  if (!w.Open(path, why, 0)) return false;
  w.Write(content.data(), content.size());
  return w.Commit(why);
}

}  // namespace device_bench
