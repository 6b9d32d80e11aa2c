#include "log_parse.h"

#include <algorithm>
#include <sstream>

namespace mindedge {
namespace {

std::string Trim(const std::string &s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

bool IsErrorLevel(const std::string &level) {
  return level == "ERROR" || level == "CRITICAL" || level == "EXCEPTION";
}

// Messages that carry no information about the cause: logged on success too,
// or generic wrappers of an earlier, more specific error.
bool IsNoise(const LogLine &l) {
  static const char *const kNoise[] = {
      "prim is nullptr",                        // IsConvNode, logged on successful conversions
      "Runtime error for null exception handler",
      "UNSUPPORTED OP LIST",
      "=====",
      "OP TYPE:",
  };
  for (const char *n : kNoise) {
    if (l.message.find(n) != std::string::npos) return true;
  }
  return l.message.empty();
}

}  // namespace

bool ParseLogLine(const std::string &raw, LogLine *out) {
  const std::string line = Trim(raw);
  if (line.size() < 4 || line[0] != '[') return false;
  const auto lvl_end = line.find(']');
  if (lvl_end == std::string::npos) return false;
  LogLine l;
  l.level = line.substr(1, lvl_end - 1);
  static const char *const kLevels[] = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "EXCEPTION"};
  if (std::find(std::begin(kLevels), std::end(kLevels), l.level) == std::end(kLevels)) return false;
  // " MODULE(pid,tid,name):timestamp [location] Function] message"
  const auto mod_begin = line.find_first_not_of(' ', lvl_end + 1);
  if (mod_begin == std::string::npos) return false;
  const auto paren = line.find('(', mod_begin);
  if (paren == std::string::npos) return false;
  l.module = line.substr(mod_begin, paren - mod_begin);
  const auto loc_begin = line.find(" [", paren);
  if (loc_begin == std::string::npos) return false;
  const auto loc_end = line.find("] ", loc_begin + 2);
  if (loc_end == std::string::npos) return false;
  l.location = line.substr(loc_begin + 2, loc_end - loc_begin - 2);
  const auto fn_end = line.find("] ", loc_end + 2);
  if (fn_end == std::string::npos) {
    // No function part: "[location] message"
    l.message = Trim(line.substr(loc_end + 2));
  } else {
    l.function = line.substr(loc_end + 2, fn_end - loc_end - 2);
    l.message = Trim(line.substr(fn_end + 2));
  }
  *out = l;
  return true;
}

LibraryErrorSummary SummariseLibraryErrors(const std::string &log) {
  LibraryErrorSummary s;
  std::istringstream in(log);
  std::string raw;
  while (std::getline(in, raw)) {
    LogLine l;
    if (!ParseLogLine(raw, &l) || !IsErrorLevel(l.level)) continue;
    ++s.error_lines;
    const auto op = l.message.find("OP TYPE:");
    if (op != std::string::npos) {
      const std::string type = Trim(l.message.substr(op + 8));
      if (!type.empty() && std::find(s.unsupported.begin(), s.unsupported.end(), type) == s.unsupported.end()) {
        s.unsupported.push_back(type);
      }
      continue;
    }
    if (s.first_error.empty() && !IsNoise(l)) s.first_error = l.message;
  }
  return s;
}

std::string DescribeLibraryErrors(const LibraryErrorSummary &s) {
  std::string out;
  if (!s.unsupported.empty()) {
    out = "Unsupported operator(s):";
    for (const auto &t : s.unsupported) out += " " + t;
  }
  if (!s.first_error.empty()) {
    if (!out.empty()) out += "; ";
    out += "First library error: " + s.first_error;
    while (!out.empty() && (out.back() == '.' || out.back() == ' ')) out.pop_back();
  }
  return out;
}

std::string FirstLine(const std::string &text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    line = Trim(line);
    if (!line.empty()) return line;
  }
  return "";
}

std::string SanitizeLine(const std::string &text) {
  std::string out;
  out.reserve(text.size());
  const auto *p = reinterpret_cast<const unsigned char *>(text.data());
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      out.push_back((c < 0x20 || c == 0x7F) ? ' ' : static_cast<char>(c));
      ++i;
      continue;
    }
    // Length of a UTF-8 sequence from its lead byte; validate continuation bytes.
    size_t len = (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3 : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
    bool valid = len > 0 && i + len <= n;
    for (size_t k = 1; valid && k < len; ++k) valid = (p[i + k] & 0xC0) == 0x80;
    if (valid) {
      out.append(text, i, len);
      i += len;
    } else {
      out.push_back('?');
      ++i;
    }
  }
  return out;
}

}  // namespace mindedge
