// mslite_convert: converter_lite-compatible command-line driver around the
// MindSpore Lite 2.0.0 converter library (libmindspore_converter.so).
//
// Contract:
//   stdout: exactly one result line, "CONVERT RESULT SUCCESS:0" or
//           "CONVERT RESULT FAILED:<code> <why>" (flag errors:
//           "CONVERTER::FLAGS INIT FAILED:<code> <why>", like converter_lite).
//   exit:   0 success, 1 conversion failed (library error, exception, crash),
//           2 bad flags or bad input file (nothing was converted).
//   files:  the model is converted into a temporary file beside the output and
//           renamed into place only on success; a failed run never leaves a
//           partial file at the output path (an older file there is kept).
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "flags.h"
#include "input_check.h"
#include "mslite_converter_api.h"

#ifndef MINDEDGE_CONVERT_VERSION
#define MINDEDGE_CONVERT_VERSION "0.1.0"
#endif

namespace mindedge {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitConvertFailed = 1;
constexpr int kExitUsage = 2;

// converter_lite's return codes (lite/include/errorcode.h) printed in result lines.
constexpr int kRetError = -1;
constexpr int kRetInputParamInvalid = -600;

// Environment marker: set once logging variables have been applied (see
// ApplyLogEnvironment); the library reads them while it is being loaded, so
// they only take effect after a re-exec.
constexpr const char *kLogEnvMarker = "MSLITE_CONVERT_LOG_ENV";

// ---- state used by the fatal-signal handler (async-signal-safe access only) ----
char g_tmp_output[4096] = {0};
int g_result_fd = -1;   // dup of the original stdout
int g_capture_fd = -1;  // file holding the library's captured stdout, if any

void WriteAll(int fd, const char *s) {
  size_t n = std::strlen(s);
  while (n > 0) {
    const ssize_t w = ::write(fd, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<size_t>(w);
  }
}

extern "C" void OnFatalSignal(int sig) {
  if (g_tmp_output[0] != '\0') ::unlink(g_tmp_output);
  if (g_capture_fd >= 0) {  // pass on what the library printed before dying
    char buf[4096];
    ssize_t n = 0;
    if (::lseek(g_capture_fd, 0, SEEK_SET) == 0) {
      while ((n = ::read(g_capture_fd, buf, sizeof(buf))) > 0) {
        if (::write(2, buf, static_cast<size_t>(n)) != n) break;
      }
    }
  }
  const char *name = sig == SIGABRT   ? "SIGABRT (abort, e.g. uncaught exception or fatal log)"
                     : sig == SIGSEGV ? "SIGSEGV (invalid memory access)"
                     : sig == SIGBUS  ? "SIGBUS"
                     : sig == SIGFPE  ? "SIGFPE"
                     : sig == SIGILL  ? "SIGILL"
                                      : "fatal signal";
  const int fd = g_result_fd >= 0 ? g_result_fd : 1;
  WriteAll(fd, "CONVERT RESULT FAILED:-1 the converter library crashed with ");
  WriteAll(fd, name);
  WriteAll(fd, "; the input model is probably malformed or unsupported (rerun with --verbose)\n");
  ::_exit(kExitConvertFailed);
}

void InstallFatalSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnFatalSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) sigaction(sig, &sa, nullptr);
}

// Prints the one result line on the real stdout (the library's own stdout
// chatter is redirected to stderr while it runs).
void PrintResult(const std::string &line) {
  const std::string text = line + "\n";
  if (g_result_fd >= 0) {
    WriteAll(g_result_fd, text.c_str());
  } else {
    std::cout << text << std::flush;
  }
}

int FailUsage(const std::string &why) {
  PrintResult("CONVERTER::FLAGS INIT FAILED:" + std::to_string(kRetInputParamInvalid) + " " + why);
  std::cerr << "Run with --help for the flags." << std::endl;
  return kExitUsage;
}

int FailInput(const std::string &why) {
  PrintResult("CONVERT RESULT FAILED:" + std::to_string(kRetInputParamInvalid) + " " + why);
  return kExitUsage;
}

int FailConvert(int code, const std::string &why) {
  PrintResult("CONVERT RESULT FAILED:" + std::to_string(code) + " " + why);
  return kExitConvertFailed;
}

std::vector<char> Chars(const std::string &s) { return std::vector<char>(s.begin(), s.end()); }

bool EndsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string DirName(const std::string &path) {
  std::vector<char> buf(path.begin(), path.end());
  buf.push_back('\0');
  return ::dirname(buf.data());
}

bool FileExists(const std::string &path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// Quiet logging by default. MindSpore reads GLOG_v & co. when its libraries are
// loaded (before main), so the variables are set and the program re-executes
// itself once. Variables the user already set are respected.
void ApplyLogEnvironment(int argc, char **argv) {
  if (std::getenv(kLogEnvMarker) != nullptr) return;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--verbose" || a == "--verbose=on" || a == "--verbose=true") verbose = true;
  }
  bool changed = false;
  auto set_default = [&](const char *name, const char *value) {
    if (std::getenv(name) == nullptr) {
      ::setenv(name, value, 0);
      changed = true;
    }
  };
  // GLOG_v: 0 debug, 1 info, 2 warning, 3 error, 4 critical. Quiet = errors hidden
  // too (the result line carries the outcome); --verbose = info and up.
  set_default("GLOG_v", verbose ? "1" : "4");
  set_default("GLOG_logtostderr", "1");
  set_default("GLOG_stderrthreshold", verbose ? "0" : "3");
  ::setenv(kLogEnvMarker, "1", 1);
  if (!changed) return;
  ::execv("/proc/self/exe", argv);
  // exec failed: carry on with the library's defaults (noisier, still correct).
}

mindspore::DataType ToDataType(TensorType t) {
  switch (t) {
    case TensorType::kFloat32:
      return mindspore::DataType::kNumberTypeFloat32;
    case TensorType::kFloat16:
      return mindspore::DataType::kNumberTypeFloat16;
    case TensorType::kInt8:
      return mindspore::DataType::kNumberTypeInt8;
    case TensorType::kUint8:
      return mindspore::DataType::kNumberTypeUInt8;
    case TensorType::kDefault:
      break;
  }
  return mindspore::DataType::kTypeUnknown;
}

mindspore::converter::FmkType ToFmkType(Fmk fmk) {
  switch (fmk) {
    case Fmk::kTf:
      return mindspore::converter::kFmkTypeTf;
    case Fmk::kCaffe:
      return mindspore::converter::kFmkTypeCaffe;
    case Fmk::kOnnx:
      return mindspore::converter::kFmkTypeOnnx;
    case Fmk::kMindir:
      return mindspore::converter::kFmkTypeMs;
    case Fmk::kTflite:
      return mindspore::converter::kFmkTypeTflite;
    case Fmk::kPytorch:
      return mindspore::converter::kFmkTypePytorch;
  }
  return mindspore::converter::kFmkTypeOnnx;
}

// Captures what the library prints on stdout (fd 1) while it runs, so stdout
// carries only our result line. Lines other than the library's own
// "CONVERT RESULT ..." are passed on to stderr afterwards (e.g. the list of
// unsupported operators).
class CaptureLibraryStdout {
 public:
  CaptureLibraryStdout() {
    std::fflush(stdout);
    std::cout.flush();
    file_ = std::tmpfile();
    if (file_ != nullptr) {
      ::dup2(::fileno(file_), 1);
      g_capture_fd = ::fileno(file_);
    }
  }
  ~CaptureLibraryStdout() { Finish(); }
  CaptureLibraryStdout(const CaptureLibraryStdout &) = delete;
  CaptureLibraryStdout &operator=(const CaptureLibraryStdout &) = delete;

  // Restores stdout and forwards the captured lines to stderr. Idempotent.
  void Finish() {
    if (file_ == nullptr) return;
    std::fflush(stdout);
    std::cout.flush();
    if (g_result_fd >= 0) ::dup2(g_result_fd, 1);
    g_capture_fd = -1;
    std::rewind(file_);
    char buf[4096];
    std::string line;
    while (std::fgets(buf, sizeof(buf), file_) != nullptr) {
      line = buf;
      if (line.rfind("CONVERT RESULT", 0) == 0) continue;
      std::cerr << line;
      if (line.empty() || line.back() != '\n') std::cerr << '\n';
    }
    std::fclose(file_);
    file_ = nullptr;
  }

 private:
  std::FILE *file_ = nullptr;
};

struct ConvertOutcome {
  bool ok = false;
  int code = kRetError;
  std::string message;
};

ConvertOutcome RunLibrary(const Flags &f, const std::string &tmp_base) {
  ConvertOutcome out;
  CaptureLibraryStdout capture;
  try {
    mindspore::Converter converter;
    converter.SetSaveType(f.save_type == SaveType::kMindir ? mindspore::kMindIR : mindspore::kMindIR_Lite);
    converter.SetWeightFp16(f.fp16);
    if (f.input_format != Layout::kDefault) {
      converter.SetInputFormat(f.input_format == Layout::kNchw ? mindspore::Format::NCHW : mindspore::Format::NHWC);
    }
    if (f.input_data_type != TensorType::kDefault) converter.SetInputDataType(ToDataType(f.input_data_type));
    if (f.output_data_type != TensorType::kDefault) converter.SetOutputDataType(ToDataType(f.output_data_type));
    if (f.no_fusion) converter.SetNoFusion(true);
    if (!f.config_file.empty()) converter.SetConfigFile(Chars(f.config_file));
    if (!f.input_shapes.empty()) {
      std::map<std::vector<char>, std::vector<int64_t>> shapes;
      for (const auto &s : f.input_shapes) shapes[Chars(s.name)] = s.dims;
      converter.SetInputShape(shapes);
    }
    const mindspore::Status status =
        converter.Convert(ToFmkType(f.fmk), Chars(f.model_file), Chars(tmp_base), Chars(f.weight_file));
    out.ok = status.IsOk();
    out.code = out.ok ? 0 : static_cast<int32_t>(status.StatusCode());
    if (!out.ok) {
      out.message = status.ToString();
      if (out.message.empty()) out.message = "the converter library reported an error";
    }
  } catch (const std::exception &e) {
    out.ok = false;
    out.code = kRetError;
    out.message = std::string("the converter library threw an exception: ") + e.what();
  } catch (...) {
    out.ok = false;
    out.code = kRetError;
    out.message = "the converter library threw an unknown exception";
  }
  capture.Finish();
  return out;
}

int Run(int argc, char **argv) {
  const ParseResult parsed = ParseFlags(argc, argv);
  if (!parsed.ok) return FailUsage(parsed.error);
  const Flags &f = parsed.flags;
  if (f.help) {
    std::cout << UsageText("mslite_convert");
    return kExitOk;
  }
  if (f.version) {
    std::cout << "mslite_convert " << MINDEDGE_CONVERT_VERSION << " (converter library: "
              << mindspore::Version() << ")" << std::endl;
    return kExitOk;
  }

  std::string why;
  if (!CheckModelFile(f.fmk, f.model_file, &why)) return FailInput(why);
  if (!f.weight_file.empty() && !CheckReadableFile("weight file", f.weight_file, &why)) return FailInput(why);
  if (!f.config_file.empty() && !CheckReadableFile("config file", f.config_file, &why)) return FailInput(why);

  // Output naming, as the library does it: a trailing ".ms" is dropped, then the
  // suffix of the save type is appended (x -> x.ms, x.ms -> x.ms, x.ms -> x.mindir).
  const std::string suffix = OutputSuffix(f.save_type);
  const std::string stem =
      EndsWith(f.output_file, ".ms") ? f.output_file.substr(0, f.output_file.size() - 3) : f.output_file;
  const std::string final_path = stem + suffix;
  const std::string out_dir = DirName(final_path);
  struct stat st {};
  if (::stat(out_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return FailInput("output directory " + out_dir + " does not exist; create it first");
  }
  if (::access(out_dir.c_str(), W_OK) != 0) {
    return FailInput("output directory " + out_dir + " is not writable");
  }
  if (FileExists(final_path) && ::access(final_path.c_str(), W_OK) != 0 &&
      ::access(out_dir.c_str(), W_OK) != 0) {
    return FailInput("output file " + final_path + " cannot be replaced");
  }

  // Convert into "<stem>.tmp-<pid>.ms" beside the final file, then rename.
  const std::string tmp_base = stem + ".tmp-" + std::to_string(::getpid());
  const std::string tmp_path = tmp_base + suffix;
  if (tmp_path.size() < sizeof(g_tmp_output)) {
    std::memcpy(g_tmp_output, tmp_path.c_str(), tmp_path.size() + 1);
  }
  InstallFatalSignalHandlers();

  const ConvertOutcome outcome = RunLibrary(f, tmp_base);
  if (!outcome.ok) {
    ::unlink(tmp_path.c_str());
    ::unlink(tmp_base.c_str());
    g_tmp_output[0] = '\0';
    return FailConvert(outcome.code == 0 ? kRetError : outcome.code, outcome.message);
  }
  std::string produced = tmp_path;
  if (!FileExists(produced)) {
    g_tmp_output[0] = '\0';
    return FailConvert(kRetError, "the converter reported success but wrote no " + tmp_path);
  }
  // The library writes 0400 files; give the usual rw-r--r-- (minus umask).
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::chmod(produced.c_str(), 0666 & ~mask);
  if (::rename(produced.c_str(), final_path.c_str()) != 0) {
    const std::string err = std::strerror(errno);
    ::unlink(produced.c_str());
    g_tmp_output[0] = '\0';
    return FailConvert(kRetError, "cannot move the result to " + final_path + ": " + err);
  }
  g_tmp_output[0] = '\0';
  PrintResult("CONVERT RESULT SUCCESS:0");
  return kExitOk;
}

}  // namespace
}  // namespace mindedge

int main(int argc, char **argv) {
  mindedge::ApplyLogEnvironment(argc, argv);
  mindedge::g_result_fd = ::fcntl(1, F_DUPFD_CLOEXEC, 3);
  try {
    return mindedge::Run(argc, argv);
  } catch (const std::exception &e) {
    mindedge::PrintResult(std::string("CONVERT RESULT FAILED:-1 internal error: ") + e.what());
  } catch (...) {
    mindedge::PrintResult("CONVERT RESULT FAILED:-1 internal error (unknown exception)");
  }
  return mindedge::kExitConvertFailed;
}
