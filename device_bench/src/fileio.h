// File helpers with one-line, user-facing failure reasons.
#ifndef DEVICE_BENCH_FILEIO_H_
#define DEVICE_BENCH_FILEIO_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace device_bench {

// Checks that `path` is an existing, readable regular file and returns its size.
// On failure `why` says e.g. "does not exist", "is a directory", "cannot be read: Permission denied".
bool StatReadableFile(const std::string& path, uint64_t* size, std::string* why);

// Reads a whole regular file (at most `max_bytes`).
bool ReadWholeFile(const std::string& path, uint64_t max_bytes, std::vector<uint8_t>* out, std::string* why);

// Checks that a file can be created at `path`: its directory exists and is writable,
// and `path` itself is not a directory.
bool CheckCreatable(const std::string& path, std::string* why);

// Writes to "<path>.tmp.<pid>" and renames it onto `path` on Commit(), so readers never see a
// partial file. Destroying an uncommitted writer removes the temporary file.
class AtomicFileWriter {
 public:
  AtomicFileWriter() = default;
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  bool Open(const std::string& path, std::string* why, size_t buffer_bytes = 1 << 20);
  bool Write(const void* data, size_t len);  // false after any write error (see Commit)
  bool Commit(std::string* why);             // flush, close, rename
  void Abort();

 private:
  std::string path_;
  std::string tmp_path_;
  std::FILE* f_ = nullptr;
  std::vector<char> buffer_;
  int error_ = 0;
};

bool WriteFileAtomic(const std::string& path, const std::string& content, std::string* why);

}  // namespace device_bench

#endif  // DEVICE_BENCH_FILEIO_H_
