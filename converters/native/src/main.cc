// mslite_convert: converter_lite-compatible command-line driver around the
// MindSpore Lite 2.0.0 converter library (libmindspore_converter.so).
//
// Contract:
//   stdout: exactly one result line, "CONVERT RESULT SUCCESS:0" or
//           "CONVERT RESULT FAILED:<code> <why>" (flag errors:
//           "CONVERTER::FLAGS INIT FAILED:<code> <why>", like converter_lite).
//   stderr: quiet by default; --verbose passes the library's log through.
//   exit:   0 success, 1 conversion failed (library error, exception, crash),
//           2 bad flags, bad input file or config rejected (nothing converted),
//           128+N interrupted by signal N (SIGINT, SIGTERM, SIGHUP).
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
#include <memory>
#include <string>
#include <vector>

#include "build_version.h"
#include "flags.h"
#include "input_check.h"
#include "log_parse.h"
#include "mslite_converter_api.h"
#include "process_guard.h"

namespace mindedge {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitConvertFailed = 1;
constexpr int kExitUsage = 2;

// converter_lite's return codes (lite/include/errorcode.h) used in result lines.
constexpr int kRetError = -1;
constexpr int kRetInputParamInvalid = -600;

// Set in the environment once the logging variables have been applied. The
// library reads GLOG_* while it is being loaded (before main), so they only
// take effect after the program re-executes itself.
constexpr const char *kLogEnvMarker = "MSLITE_CONVERT_LOG_ENV";

// The one result line, on the real stdout.
void PrintResult(const std::string &line) {
  const std::string text = SanitizeLine(line) + "\n";
  std::cout.flush();
  std::fflush(stdout);
  WriteAll(g_result_fd >= 0 ? g_result_fd : 1, text.c_str());
}

int FailUsage(const std::string &why) {
  PrintResult("CONVERTER::FLAGS INIT FAILED:" + std::to_string(kRetInputParamInvalid) + " " + why);
  std::cerr << "Run 'mslite_convert --help' for the flags." << std::endl;
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

bool WantsVerbose(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--verbose" || a == "--verbose=on" || a == "--verbose=true") return true;
  }
  return false;
}

// Quiet logging by default: GLOG_v=3 (errors only), which are captured and
// summarised in the result line; --verbose: GLOG_v=1 (info), passed through.
// Variables the user set are respected. Re-executes once (see kLogEnvMarker).
void ApplyLogEnvironment(int argc, char **argv) {
  if (std::getenv(kLogEnvMarker) != nullptr) return;
  const bool verbose = WantsVerbose(argc, argv);
  bool changed = false;
  auto set_default = [&](const char *name, const char *value) {
    if (std::getenv(name) == nullptr) {
      ::setenv(name, value, 0);
      changed = true;
    }
  };
  // GLOG_v: 0 debug, 1 info, 2 warning, 3 error, 4 critical.
  set_default("GLOG_v", verbose ? "1" : "3");
  set_default("GLOG_logtostderr", "1");
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

// Drops the library's own "CONVERT RESULT ..." lines (we print ours).
std::string WithoutResultLines(const std::string &text) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size() - 1;
    const std::string line = text.substr(pos, nl - pos + 1);
    if (line.rfind("CONVERT RESULT", 0) != 0) out += line;
    pos = nl + 1;
  }
  return out;
}

struct ConvertOutcome {
  bool ok = false;
  int code = kRetError;
  std::string message;
};

ConvertOutcome RunLibrary(const Flags &f, const std::string &tmp_base) {
  ConvertOutcome out;
  FdCapture out_capture(1, g_result_fd, 0);
  // Quiet mode: keep the library's log to summarise it; verbose: let it through.
  std::unique_ptr<FdCapture> err_capture;
  if (!f.verbose) err_capture.reset(new FdCapture(2, g_log_fd, 1));
  try {
    mindspore::Converter converter;  // note: the library's default save type is MINDIR
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
    if (!out.ok) {
      out.code = static_cast<int32_t>(status.StatusCode());
      if (out.code == 0) out.code = kRetError;
      out.message = status.ToString();
    }
  } catch (const std::exception &e) {
    out.ok = false;
    out.code = kRetError;
    out.message = "the converter library threw an exception: " + FirstLine(e.what()) + ".";
  } catch (...) {
    out.ok = false;
    out.code = kRetError;
    out.message = "the converter library threw an unknown exception";
  }

  const std::string lib_stdout = WithoutResultLines(out_capture.Finish());
  const std::string lib_log = err_capture ? err_capture->Finish() : std::string();
  // Library stdout (e.g. its unsupported-operator list) goes to stderr in verbose
  // mode; in quiet mode it is summarised together with the log.
  if (f.verbose) {
    std::cerr << lib_stdout << std::flush;
  }
  if (!out.ok) {
    const std::string detail = DescribeLibraryErrors(SummariseLibraryErrors(lib_log + "\n" + lib_stdout));
    if (out.message.empty()) out.message = "conversion failed.";
    if (!detail.empty()) out.message += " " + detail + ".";
    if (out.message.find("mind ir version") != std::string::npos) {
      out.message += " MindIR from MindSpore 2.x is too new for this converter: export ONNX and use --fmk=ONNX.";
    }
    if (!f.verbose) out.message += " (--verbose shows the full log)";
  }
  return out;
}

int Run(int argc, char **argv) {
  const ParseResult parsed = ParseFlags(argc, argv);
  if (!parsed.ok) return FailUsage(parsed.error);
  const Flags &f = parsed.flags;
  if (f.help) {
    std::cout << UsageText("mslite_convert") << std::flush;
    return kExitOk;
  }
  if (f.version) {
    std::cout << "mslite_convert " << ConvertVersion() << " (converter library: " << mindspore::Version()
              << ")" << std::endl;
    return kExitOk;
  }

  std::string why;
  std::vector<ModelInput> inputs;
  if (!CheckModelFile(f.fmk, f.model_file, &why, &inputs)) return FailInput(why);
  if (!CheckInputShapes(f.input_shapes, inputs, &why)) return FailInput(why);
  if (!f.weight_file.empty() && !CheckReadableFile("weight file", f.weight_file, &why)) return FailInput(why);
  if (!f.config_file.empty() && !CheckReadableFile("config file", f.config_file, &why)) return FailInput(why);

  // Output naming as the library does it: a trailing ".ms" is dropped, then the
  // save type's suffix is appended (x -> x.ms, x.ms -> x.ms; MINDIR: x.ms -> x.mindir).
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
  if (::stat(final_path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return FailInput("output path " + final_path + " is a directory");
  }

  // Convert into "<stem>.tmp-<pid><suffix>" beside the final file, then rename.
  const std::string tmp_base = stem + ".tmp-" + std::to_string(::getpid());
  const std::string tmp_path = tmp_base + suffix;
  if (tmp_path.size() < sizeof(g_tmp_output)) {
    std::memcpy(g_tmp_output, tmp_path.c_str(), tmp_path.size() + 1);
  }
  InstallFatalSignalHandlers();

  const ConvertOutcome outcome = RunLibrary(f, tmp_base);
  if (!outcome.ok) {
    ::unlink(tmp_path.c_str());
    g_tmp_output[0] = '\0';
    const int exit_code = FailConvert(outcome.code, outcome.message);
    // The library rejected a flag or the config file: a user error.
    return outcome.code == kRetInputParamInvalid ? kExitUsage : exit_code;
  }
  if (!FileExists(tmp_path)) {
    g_tmp_output[0] = '\0';
    return FailConvert(kRetError, "the converter reported success but wrote no " + tmp_path);
  }
  // The library writes 0400 files; give the usual rw-r--r-- (minus umask).
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::chmod(tmp_path.c_str(), 0666 & ~mask);
  if (::rename(tmp_path.c_str(), final_path.c_str()) != 0) {
    const std::string err = std::strerror(errno);
    ::unlink(tmp_path.c_str());
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
  mindedge::g_log_fd = ::fcntl(2, F_DUPFD_CLOEXEC, 3);
  try {
    return mindedge::Run(argc, argv);
  } catch (const std::exception &e) {
    mindedge::PrintResult(std::string("CONVERT RESULT FAILED:-1 internal error: ") + e.what());
  } catch (...) {
    mindedge::PrintResult("CONVERT RESULT FAILED:-1 internal error (unknown exception)");
  }
  return mindedge::kExitConvertFailed;
}
