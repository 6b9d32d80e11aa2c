#include "sysfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace device_bench {

std::string TrimSpace(const std::string& s) {
  const char* ws = " \t\r\n";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

bool ParseSysfsInt(const std::string& text, long long* value) {
  const std::string t = TrimSpace(text);
  if (t.empty()) return false;
  size_t i = 0;
  bool negative = false;
  if (t[0] == '-' || t[0] == '+') {
    negative = t[0] == '-';
    i = 1;
  }
  if (i == t.size()) return false;
  unsigned long long magnitude = 0;
  for (; i < t.size(); ++i) {
    const char c = t[i];
    if (c < '0' || c > '9') return false;
    const unsigned digit = static_cast<unsigned>(c - '0');
    if (magnitude > (static_cast<unsigned long long>(LLONG_MAX) - digit) / 10) return false;
    magnitude = magnitude * 10 + digit;
  }
  *value = negative ? -static_cast<long long>(magnitude) : static_cast<long long>(magnitude);
  return true;
}

bool NaturalLess(const std::string& a, const std::string& b) {
  size_t i = 0;
  size_t j = 0;
  while (i < a.size() && j < b.size()) {
    const bool da = a[i] >= '0' && a[i] <= '9';
    const bool db = b[j] >= '0' && b[j] <= '9';
    if (da && db) {
      size_t ie = i;
      size_t je = j;
      while (ie < a.size() && a[ie] >= '0' && a[ie] <= '9') ++ie;
      while (je < b.size() && b[je] >= '0' && b[je] <= '9') ++je;
      // Compare numerically without overflow: strip leading zeros, then by length, then text.
      size_t is = i;
      size_t js = j;
      while (is + 1 < ie && a[is] == '0') ++is;
      while (js + 1 < je && b[js] == '0') ++js;
      if (ie - is != je - js) return ie - is < je - js;
      const int c = a.compare(is, ie - is, b, js, je - js);
      if (c != 0) return c < 0;
      i = ie;
      j = je;
      continue;
    }
    if (a[i] != b[j]) return a[i] < b[j];
    ++i;
    ++j;
  }
  return a.size() - i < b.size() - j;
}

double ThermalZoneTempC(long long raw) {
  const long long magnitude = raw < 0 ? -raw : raw;
  return magnitude >= 1000 ? static_cast<double>(raw) / 1000.0 : static_cast<double>(raw);
}

double BatteryTempC(long long raw) { return static_cast<double>(raw) / 10.0; }

Sysfs::Sysfs(std::string root) : root_(std::move(root)) {
  while (!root_.empty() && root_.back() == '/') root_.pop_back();
}

std::string Sysfs::Path(const std::string& abs) const { return root_ + abs; }

bool Sysfs::Exists(const std::string& abs) const {
  struct stat st;
  return stat(Path(abs).c_str(), &st) == 0;
}

bool Sysfs::ReadText(const std::string& abs, std::string* text, std::string* why) const {
  const int fd = open(Path(abs).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      *why = "missing";
    } else if (err == EACCES || err == EPERM) {
      *why = "permission denied";
    } else {
      *why = std::string("cannot be opened: ") + std::strerror(err);
    }
    return false;
  }
  text->clear();
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      *why = std::string("read error: ") + std::strerror(errno);
      close(fd);
      return false;
    }
    if (n == 0) break;
    text->append(buf, static_cast<size_t>(n));
    if (text->size() > (1u << 20)) break;  // no sysfs attribute is this large
  }
  close(fd);
  return true;
}

bool Sysfs::ReadLine(const std::string& abs, std::string* line, std::string* why) const {
  std::string text;
  if (!ReadText(abs, &text, why)) return false;
  const size_t nl = text.find('\n');
  *line = TrimSpace(nl == std::string::npos ? text : text.substr(0, nl));
  return true;
}

bool Sysfs::ReadInt(const std::string& abs, long long* value, std::string* why) const {
  std::string text;
  if (!ReadText(abs, &text, why)) return false;
  if (!ParseSysfsInt(text, value)) {
    std::string shown = TrimSpace(text).substr(0, 40);
    *why = "not an integer: '" + shown + "'";
    return false;
  }
  return true;
}

std::vector<std::string> Sysfs::List(const std::string& abs_dir) const {
  std::vector<std::string> names;
  DIR* d = opendir(Path(abs_dir).c_str());
  if (d == nullptr) return names;
  while (const dirent* e = readdir(d)) {
    const std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end(), NaturalLess);
  return names;
}

}  // namespace device_bench
