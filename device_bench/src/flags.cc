#include "flags.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <set>
#include <sstream>

#include "text.h"

namespace device_bench {
namespace {

enum class Kind { kString, kInt, kDouble, kBool };

struct Spec {
  const char* name;
  Kind kind;
  double min;
  double max;
};

const Spec kSpecs[] = {
    {"modelFile", Kind::kString, 0, 0},
    {"loopCount", Kind::kInt, 0, kMaxLoopCount},
    {"warmUpLoopCount", Kind::kInt, 0, kMaxLoopCount},
    {"numThreads", Kind::kInt, 1, kMaxThreads},
    {"cpuBindMode", Kind::kInt, 0, 2},
    {"enableFp16", Kind::kBool, 0, 0},
    {"device", Kind::kString, 0, 0},
    {"inputShapes", Kind::kString, 0, 0},
    {"inDataFile", Kind::kString, 0, 0},
    {"outDataFile", Kind::kString, 0, 0},
    {"benchmarkDataFile", Kind::kString, 0, 0},
    {"accuracyThreshold", Kind::kDouble, 0, 1e6},
    {"minSeconds", Kind::kDouble, 0, 86400},
    {"maxSeconds", Kind::kDouble, 0, 86400},
    {"runDelayMs", Kind::kInt, 0, 600000},
    {"cooldownC", Kind::kDouble, -50, 150},
    {"cooldownTimeoutS", Kind::kDouble, 0, 86400},
    {"powerSource", Kind::kString, 0, 0},
    {"powerIntervalMs", Kind::kInt, 1, 60000},
    {"powerIdleMs", Kind::kInt, 0, 600000},
    {"sysfsRoot", Kind::kString, 0, 0},
    {"hostVersion", Kind::kString, 0, 0},
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

std::string NumberText(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
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

// Strict decimal number: [sign] digits [. digits] (or .digits), no exponent, no spaces, within [min, max].
bool ParseDouble(const std::string& text, double min, double max, double* out, std::string* why) {
  if (text.empty()) {
    *why = "expected a number, got an empty value";
    return false;
  }
  size_t i = (text[0] == '-' || text[0] == '+') ? 1 : 0;
  size_t digits = 0;
  size_t dots = 0;
  for (size_t j = i; j < text.size(); ++j) {
    if (text[j] >= '0' && text[j] <= '9') {
      ++digits;
    } else if (text[j] == '.') {
      ++dots;
    } else {
      digits = 0;
      break;
    }
  }
  if (digits == 0 || dots > 1) {
    *why = "expected a number, got '" + text + "'";
    return false;
  }
  const double v = std::strtod(text.c_str(), nullptr);
  if (!(v >= min && v <= max)) {
    *why = "value " + text + " is out of range [" + NumberText(min) + ", " + NumberText(max) + "]";
    return false;
  }
  *out = v;
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

// Positive integers separated by commas, e.g. "1,28,28,1".
bool ParseDims(const std::string& text, std::vector<int64_t>* dims, std::string* why) {
  dims->clear();
  std::string item;
  std::istringstream in(text);
  if (text.empty()) {
    *why = "an empty shape";
    return false;
  }
  while (std::getline(in, item, ',')) {
    long v = 0;
    std::string inner;
    if (item.empty() || !ParseInt(item, 1, 1L << 30, &v, &inner) || item[0] == '+' || item[0] == '-') {
      *why = "dimension '" + item + "' of '" + text + "' is not a positive integer";
      return false;
    }
    dims->push_back(v);
  }
  if (text.back() == ',') {
    *why = "shape '" + text + "' ends with a comma";
    return false;
  }
  return true;
}

ParseResult Fail(const std::string& error) {
  ParseResult r;
  r.ok = false;
  r.error = error;
  return r;
}

}  // namespace

bool ParseInputShapes(const std::string& text, std::vector<InputShapeSpec>* out, std::string* why) {
  out->clear();
  if (text.empty()) {
    *why = "empty value";
    return false;
  }
  // MindSpore Lite style: positional shapes separated by ':' (only digits, commas and colons).
  if (text.find(';') == std::string::npos && text.find_first_not_of("0123456789,:") == std::string::npos) {
    std::istringstream in(text);
    std::string part;
    while (std::getline(in, part, ':')) {
      InputShapeSpec spec;
      if (!ParseDims(part, &spec.dims, why)) return false;
      out->push_back(spec);
    }
    if (text.back() == ':') {
      *why = "'" + text + "' ends with ':'";
      return false;
    }
    return true;
  }
  // Named: name:dims;name:dims
  std::istringstream in(text);
  std::string entry;
  while (std::getline(in, entry, ';')) {
    if (entry.empty()) {
      *why = "an empty entry in '" + text + "' (entries look like name:1,28,28,1 and are separated by ';')";
      return false;
    }
    const size_t colon = entry.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      *why = "entry '" + entry + "' has no input name (use name:1,28,28,1 when giving several inputs by name)";
      return false;
    }
    InputShapeSpec spec;
    spec.name = entry.substr(0, colon);
    if (!ParseDims(entry.substr(colon + 1), &spec.dims, why)) return false;
    for (const InputShapeSpec& other : *out) {
      if (other.name == spec.name) {
        *why = "input '" + spec.name + "' is given twice";
        return false;
      }
    }
    out->push_back(spec);
  }
  return true;
}

std::string CanonicalDevice(const std::string& name) {
  const std::string l = Lower(name);
  if (l == "cpu") return "CPU";
  if (l == "gpu") return "GPU";
  if (l == "npu") return "NPU";
  if (l == "ascend310") return "Ascend310";
  return "";
}

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
      if (name == "enableFp16") flags.enable_fp16 = b;
      continue;
    }
    if (!has_value) {
      if (i + 1 >= argc || argv[i + 1] == nullptr) return Fail("flag '--" + name + "' needs a value");
      value = argv[++i];
    }
    std::string why;
    if (spec->kind == Kind::kString) {
      if (value.empty()) return Fail("flag '--" + name + "' needs a non-empty value");
      if (name == "modelFile") flags.model_file = value;
      if (name == "inDataFile") flags.in_data_file = value;
      if (name == "outDataFile") flags.out_data_file = value;
      if (name == "benchmarkDataFile") flags.benchmark_data_file = value;
      if (name == "jsonOut") flags.json_out = value;
      if (name == "hostVersion") flags.host_version = value;
      if (name == "device") {
        flags.device = CanonicalDevice(value);
        if (flags.device.empty()) {
          return Fail("flag '--device': unknown device '" + value + "' (one of CPU, GPU, NPU, Ascend310)");
        }
      }
      if (name == "powerSource") {
        flags.power_source = Lower(value);
        if (flags.power_source != "auto" && flags.power_source != "sysfs" && flags.power_source != "none") {
          return Fail("flag '--powerSource': unknown source '" + value + "' (one of auto, sysfs, none)");
        }
      }
      if (name == "sysfsRoot") {
        flags.sysfs_root = value;
        while (flags.sysfs_root.size() > 1 && flags.sysfs_root.back() == '/') flags.sysfs_root.pop_back();
      }
      if (name == "inputShapes") {
        flags.input_shapes = value;
        if (!ParseInputShapes(value, &flags.parsed_input_shapes, &why)) return Fail("flag '--inputShapes': " + why);
      }
      continue;
    }
    if (spec->kind == Kind::kDouble) {
      double d = 0;
      if (!ParseDouble(value, spec->min, spec->max, &d, &why)) return Fail("flag '--" + name + "': " + why);
      if (name == "accuracyThreshold") flags.accuracy_threshold = d;
      if (name == "minSeconds") flags.min_seconds = d;
      if (name == "maxSeconds") flags.max_seconds = d;
      if (name == "cooldownC") {
        flags.cooldown_c = d;
        flags.has_cooldown = true;
      }
      if (name == "cooldownTimeoutS") flags.cooldown_timeout_s = d;
      continue;
    }
    long v = 0;
    if (!ParseInt(value, static_cast<long>(spec->min), static_cast<long>(spec->max), &v, &why)) {
      return Fail("flag '--" + name + "': " + why);
    }
    if (name == "loopCount") flags.loop_count = v;
    if (name == "warmUpLoopCount") flags.warmup_loop_count = v;
    if (name == "numThreads") flags.num_threads = v;
    if (name == "cpuBindMode") flags.cpu_bind_mode = v;
    if (name == "runDelayMs") flags.run_delay_ms = v;
    if (name == "powerIntervalMs") flags.power_interval_ms = v;
    if (name == "powerIdleMs") flags.power_idle_ms = v;
  }
  if (!flags.help && !flags.version) {
    if (flags.model_file.empty()) return Fail("missing required flag --modelFile");
    if (!flags.out_data_file.empty() && flags.in_data_file.empty()) {
      return Fail("--outDataFile needs --inDataFile (the samples to run)");
    }
    if (!flags.out_data_file.empty() && flags.out_data_file == flags.in_data_file) {
      return Fail("--outDataFile must differ from --inDataFile");
    }
    if (!flags.benchmark_data_file.empty() && flags.in_data_file.empty()) {
      return Fail("--benchmarkDataFile needs --inDataFile (the samples its reference outputs belong to)");
    }
    if (!flags.benchmark_data_file.empty() && flags.benchmark_data_file == flags.out_data_file) {
      return Fail("--outDataFile must differ from --benchmarkDataFile");
    }
    if (flags.max_seconds > 0 && flags.min_seconds > flags.max_seconds) {
      return Fail("--minSeconds (" + NumberText(flags.min_seconds) + ") is larger than --maxSeconds (" +
                  NumberText(flags.max_seconds) + ")");
    }
  }
  ParseResult r;
  r.ok = true;
  r.flags = flags;
  return r;
}

}  // namespace device_bench
