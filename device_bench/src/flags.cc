#include "flags.h"

#include <cerrno>
#include <cstdlib>
#include <set>
#include <sstream>

namespace device_bench {
namespace {

enum class Kind { kString, kInt, kBool };

struct Spec {
  const char* name;
  Kind kind;
  long min;
  long max;
};

const Spec kSpecs[] = {
    {"modelFile", Kind::kString, 0, 0},
    {"loopCount", Kind::kInt, 0, kMaxLoopCount},
    {"warmUpLoopCount", Kind::kInt, 0, kMaxLoopCount},
    {"numThreads", Kind::kInt, 1, kMaxThreads},
    {"inDataFile", Kind::kString, 0, 0},
    {"outDataFile", Kind::kString, 0, 0},
    {"jsonOut", Kind::kString, 0, 0},
    {"quiet", Kind::kBool, 0, 0},
    {"verbose", Kind::kBool, 0, 0},
    {"help", Kind::kBool, 0, 0},
    {"version", Kind::kBool, 0, 0},
};

const Spec* FindSpec(const std::string& name) {
  for (const Spec& s : kSpecs) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

// Strict decimal integer: optional sign, digits only, no spaces, within [min, max].
bool ParseInt(const std::string& text, long min, long max, long* out, std::string* why) {
  if (text.empty()) {
    *why = "expected an integer, got an empty value";
    return false;
  }
  size_t i = (text[0] == '-' || text[0] == '+') ? 1 : 0;
  if (i == text.size()) {
    *why = "expected an integer, got '" + text + "'";
    return false;
  }
  for (size_t j = i; j < text.size(); ++j) {
    if (text[j] < '0' || text[j] > '9') {
      *why = "expected an integer, got '" + text + "'";
      return false;
    }
  }
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno == ERANGE || v < min || v > max) {
    std::ostringstream os;
    os << "value " << text << " is out of range [" << min << ", " << max << "]";
    *why = os.str();
    return false;
  }
  *out = static_cast<long>(v);
  return true;
}

bool ParseBool(const std::string& text, bool* out) {
  if (text == "true" || text == "1") {
    *out = true;
    return true;
  }
  if (text == "false" || text == "0") {
    *out = false;
    return true;
  }
  return false;
}

ParseResult Fail(const std::string& error) {
  ParseResult r;
  r.ok = false;
  r.error = error;
  return r;
}

}  // namespace

ParseResult ParseFlags(int argc, const char* const* argv) {
  Flags flags;
  std::set<std::string> seen;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i] ? argv[i] : "";
    if (arg == "-h") arg = "--help";
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      return Fail("unexpected argument '" + arg + "' (flags look like --name=value)");
    }
    std::string body = arg.substr(2);
    std::string name = body;
    std::string value;
    bool has_value = false;
    size_t eq = body.find('=');
    if (eq != std::string::npos) {
      name = body.substr(0, eq);
      value = body.substr(eq + 1);
      has_value = true;
    }
    const Spec* spec = FindSpec(name);
    if (spec == nullptr) return Fail("unknown flag '--" + name + "'");
    if (!seen.insert(name).second) return Fail("flag '--" + name + "' given more than once");

    if (spec->kind == Kind::kBool) {
      bool b = true;
      if (has_value && !ParseBool(value, &b)) {
        return Fail("flag '--" + name + "' takes no value or true/false, got '" + value + "'");
      }
      if (name == "quiet") flags.quiet = b;
      if (name == "verbose") flags.verbose = b;
      if (name == "help") flags.help = b;
      if (name == "version") flags.version = b;
      continue;
    }
    if (!has_value) {
      if (i + 1 >= argc || argv[i + 1] == nullptr) return Fail("flag '--" + name + "' needs a value");
      value = argv[++i];
    }
    if (spec->kind == Kind::kString) {
      if (value.empty()) return Fail("flag '--" + name + "' needs a non-empty value");
      if (name == "modelFile") flags.model_file = value;
      if (name == "inDataFile") flags.in_data_file = value;
      if (name == "outDataFile") flags.out_data_file = value;
      if (name == "jsonOut") flags.json_out = value;
      continue;
    }
    long v = 0;
    std::string why;
    if (!ParseInt(value, spec->min, spec->max, &v, &why)) return Fail("flag '--" + name + "': " + why);
    if (name == "loopCount") flags.loop_count = v;
    if (name == "warmUpLoopCount") flags.warmup_loop_count = v;
    if (name == "numThreads") flags.num_threads = v;
  }
  if (!flags.help && !flags.version) {
    if (flags.model_file.empty()) return Fail("missing required flag --modelFile");
    if (!flags.out_data_file.empty() && flags.in_data_file.empty()) {
      return Fail("--outDataFile needs --inDataFile (the samples to run)");
    }
    if (!flags.out_data_file.empty() && flags.out_data_file == flags.in_data_file) {
      return Fail("--outDataFile must differ from --inDataFile");
    }
  }
  ParseResult r;
  r.ok = true;
  r.flags = flags;
  return r;
}

std::string Usage(const std::string& program) {
  std::ostringstream os;
  os << "usage: " << program << " --modelFile=PATH [options]\n"
     << "\n"
     << "Benchmarks a MindSpore Lite .ms model and prints one JSON document (schema mindedge.bench/1).\n"
     << "\n"
     << "  --modelFile=PATH         the .ms model (required)\n"
     << "  --loopCount=N            timed runs (default 100; 0 = none)\n"
     << "  --warmUpLoopCount=N      untimed runs before timing (default 10)\n"
     << "  --numThreads=N           CPU threads, 1.." << kMaxThreads << " (default 1)\n"
     << "  --inDataFile=PATH        raw little-endian float32 input: k whole samples (all inputs of\n"
     << "                           the model, in order); the first one is used for timing\n"
     << "                           (default: pseudo-random uniform [0,1) with a fixed seed)\n"
     << "  --outDataFile=PATH       run every sample of --inDataFile once and write all outputs\n"
     << "                           as raw float32, sample after sample\n"
     << "  --jsonOut=PATH           also write the JSON document to PATH (atomically)\n"
     << "  --quiet                  do not print the JSON to stdout nor progress to stderr\n"
     << "  --verbose                show MindSpore Lite's own log\n"
     << "  --help, --version\n"
     << "\n"
     << "Both --flag=value and --flag value are accepted.\n"
     << "Exit codes: 0 success, 2 user error (flags, model, input data), 1 internal failure,\n"
     << "130/143 interrupted by SIGINT/SIGTERM (the JSON is still written, with \"interrupted\": true).\n";
  return os.str();
}

}  // namespace device_bench
