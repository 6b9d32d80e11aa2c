// Pure parsing of the MindSpore (glog-style) log the converter library writes,
// e.g. "[ERROR] LITE(12,7f..,prog):2026-01-01-00:00:00.000.000 [path/file.cc:42] Func] message".
#ifndef MINDEDGE_MSLITE_LOG_PARSE_H_
#define MINDEDGE_MSLITE_LOG_PARSE_H_

#include <string>
#include <vector>

namespace mindedge {

struct LogLine {
  std::string level;     // ERROR, WARNING, INFO, DEBUG, CRITICAL, EXCEPTION
  std::string module;    // LITE, CORE, ME, ...
  std::string location;  // path/file.cc:42
  std::string function;
  std::string message;
};

// Parses one line; returns false when it is not a MindSpore log line.
bool ParseLogLine(const std::string &line, LogLine *out);

struct LibraryErrorSummary {
  std::string first_error;               // root cause: the first meaningful ERROR message
  std::vector<std::string> unsupported;  // operator types from the UNSUPPORTED OP LIST
  int error_lines = 0;                   // ERROR/CRITICAL/EXCEPTION lines seen
};

// Summarises a captured log. Known noise (messages the library also logs on
// successful conversions) is skipped when choosing first_error.
LibraryErrorSummary SummariseLibraryErrors(const std::string &log);

// One line describing the failure for the result line ("" when nothing useful).
std::string DescribeLibraryErrors(const LibraryErrorSummary &summary);

// First line of a multi-line exception text, trimmed.
std::string FirstLine(const std::string &text);

// Makes text safe for the one-line result: control characters (incl. newlines)
// become spaces and bytes that are not valid UTF-8 become '?'.
std::string SanitizeLine(const std::string &text);

}  // namespace mindedge

#endif  // MINDEDGE_MSLITE_LOG_PARSE_H_
