#include "flags.h"

#include <cerrno>
#include <cstdlib>
#include <map>
#include <sstream>

namespace mindedge {
namespace {

bool ParseFmk(const std::string &v, Fmk *out) {
  static const std::map<std::string, Fmk> kMap = {
      {"TF", Fmk::kTf},         {"CAFFE", Fmk::kCaffe},     {"ONNX", Fmk::kOnnx},
      {"MINDIR", Fmk::kMindir}, {"TFLITE", Fmk::kTflite},   {"PYTORCH", Fmk::kPytorch},
  };
  auto it = kMap.find(v);
  if (it == kMap.end()) return false;
  *out = it->second;
  return true;
}

bool ParseOnOff(const std::string &v, bool *out) {
  if (v == "on" || v == "true") {
    *out = true;
    return true;
  }
  if (v == "off" || v == "false") {
    *out = false;
    return true;
  }
  return false;
}

bool ParseTensorType(const std::string &v, TensorType *out) {
  static const std::map<std::string, TensorType> kMap = {
      {"DEFAULT", TensorType::kDefault}, {"FLOAT32", TensorType::kFloat32},
      {"FLOAT16", TensorType::kFloat16}, {"INT8", TensorType::kInt8},
      {"UINT8", TensorType::kUint8},
  };
  auto it = kMap.find(v);
  if (it == kMap.end()) return false;
  *out = it->second;
  return true;
}

std::string Trim(const std::string &s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

ParseResult Fail(std::string msg) {
  ParseResult r;
  r.ok = false;
  r.error = std::move(msg);
  return r;
}

}  // namespace

bool ParseInputShapes(const std::string &text, std::vector<InputShape> *out, std::string *error) {
  out->clear();
  std::stringstream items(text);
  std::string item;
  while (std::getline(items, item, ';')) {
    item = Trim(item);
    if (item.empty()) continue;
    // The tensor name may itself contain ':' (e.g. "input:0"), so split at the last one.
    const auto colon = item.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == item.size()) {
      *error = "--inputShape item '" + item + "' is not NAME:D1,D2,...";
      return false;
    }
    InputShape shape;
    shape.name = item.substr(0, colon);
    std::stringstream dims(item.substr(colon + 1));
    std::string dim;
    while (std::getline(dims, dim, ',')) {
      dim = Trim(dim);
      char *end = nullptr;
      errno = 0;
      const long long v = std::strtoll(dim.c_str(), &end, 10);
      if (dim.empty() || *end != '\0' || errno != 0 || v < -1 || v == 0) {
        *error = "--inputShape dimension '" + dim + "' of '" + shape.name +
                 "' is not a positive integer (or -1 for dynamic)";
        return false;
      }
      shape.dims.push_back(static_cast<int64_t>(v));
    }
    if (shape.dims.empty()) {
      *error = "--inputShape item '" + item + "' has no dimensions";
      return false;
    }
    out->push_back(std::move(shape));
  }
  if (out->empty()) {
    *error = "--inputShape is empty; expected NAME:D1,D2,...[;NAME2:...]";
    return false;
  }
  return true;
}

ParseResult ParseFlags(int argc, const char *const *argv) {
  ParseResult r;
  Flags &f = r.flags;
  std::map<std::string, bool> seen;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i] ? argv[i] : "";
    if (arg.rfind("--", 0) != 0) {
      return Fail("unexpected argument '" + arg + "': flags are --name=value (see --help)");
    }
    const auto eq = arg.find('=');
    const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    const bool has_value = eq != std::string::npos;
    const std::string value = has_value ? arg.substr(eq + 1) : "";

    if (name == "help" || name == "version" || name == "verbose") {
      bool on = true;
      if (has_value && !ParseOnOff(value, &on)) {
        return Fail("--" + name + " takes no value (or on/off), got '" + value + "'");
      }
      (name == "help" ? f.help : name == "version" ? f.version : f.verbose) = on;
      continue;
    }
    if (!has_value) {
      return Fail("flag --" + name + " needs a value: --" + name + "=VALUE (see --help)");
    }
    if (seen[name]) return Fail("flag --" + name + " given twice");
    seen[name] = true;

    if (name == "fmk") {
      if (!ParseFmk(value, &f.fmk)) {
        return Fail("--fmk='" + value + "' is not one of TF, CAFFE, ONNX, MINDIR, TFLITE, PYTORCH");
      }
    } else if (name == "modelFile") {
      f.model_file = value;
    } else if (name == "outputFile") {
      f.output_file = value;
    } else if (name == "weightFile") {
      f.weight_file = value;
    } else if (name == "configFile") {
      f.config_file = value;
    } else if (name == "fp16") {
      if (!ParseOnOff(value, &f.fp16)) return Fail("--fp16='" + value + "' must be on or off");
    } else if (name == "inputDataFormat") {
      if (value == "NHWC") {
        f.input_format = Layout::kNhwc;
      } else if (value == "NCHW") {
        f.input_format = Layout::kNchw;
      } else {
        return Fail("--inputDataFormat='" + value + "' must be NHWC or NCHW");
      }
    } else if (name == "inputShape") {
      std::string err;
      if (!ParseInputShapes(value, &f.input_shapes, &err)) return Fail(err);
    } else if (name == "saveType") {
      if (value == "MINDIR_LITE") {
        f.save_type = SaveType::kMindirLite;
      } else if (value == "MINDIR") {
        f.save_type = SaveType::kMindir;
      } else {
        return Fail("--saveType='" + value + "' must be MINDIR_LITE or MINDIR");
      }
    } else if (name == "inputDataType" || name == "outputDataType") {
      TensorType *dst = name == "inputDataType" ? &f.input_data_type : &f.output_data_type;
      if (!ParseTensorType(value, dst)) {
        return Fail("--" + name + "='" + value + "' must be FLOAT32, FLOAT16, INT8, UINT8 or DEFAULT");
      }
    } else if (name == "optimize") {
      if (value == "none") {
        f.no_fusion = true;
      } else if (value == "general") {
        f.no_fusion = false;
      } else {
        return Fail("--optimize='" + value + "' must be none or general in this CPU build");
      }
    } else if (name == "noFusion") {
      if (!ParseOnOff(value, &f.no_fusion)) return Fail("--noFusion='" + value + "' must be true or false");
    } else {
      return Fail("unknown flag --" + name + " (see --help)");
    }
  }
  if (f.help || f.version) {
    r.ok = true;
    return r;
  }
  if (!seen["fmk"]) return Fail("--fmk is required (ONNX, MINDIR, TFLITE, CAFFE, TF)");
  if (f.model_file.empty()) return Fail("--modelFile is required");
  if (f.output_file.empty()) return Fail("--outputFile is required (path without the .ms suffix)");
  if (f.output_file.back() == '/') {
    return Fail("--outputFile='" + f.output_file + "' names a directory; give a file path without suffix, e.g. out/model");
  }
  if (f.fmk == Fmk::kCaffe && f.weight_file.empty()) {
    return Fail("--fmk=CAFFE needs --weightFile=MODEL.caffemodel");
  }
  r.ok = true;
  return r;
}

const char *OutputSuffix(SaveType type) { return type == SaveType::kMindir ? ".mindir" : ".ms"; }

const char *FmkName(Fmk fmk) {
  switch (fmk) {
    case Fmk::kTf:
      return "TF";
    case Fmk::kCaffe:
      return "CAFFE";
    case Fmk::kOnnx:
      return "ONNX";
    case Fmk::kMindir:
      return "MINDIR";
    case Fmk::kTflite:
      return "TFLITE";
    case Fmk::kPytorch:
      return "PYTORCH";
  }
  return "?";
}

std::string UsageText(const std::string &program) {
  std::ostringstream o;
  o << "Usage: " << program << " --fmk=FMK --modelFile=PATH --outputFile=PATH [options]\n"
    << "Convert a model to MindSpore Lite (.ms) with the MindSpore Lite 2.0.0 converter library.\n"
    << "Flags are spelled like the vendor's converter_lite, so either tool can be used.\n\n"
    << "  --fmk=ONNX|MINDIR|TFLITE|CAFFE|TF|PYTORCH  input framework (required)\n"
    << "  --modelFile=PATH         input model (required)\n"
    << "  --outputFile=PATH        output path WITHOUT suffix; .ms (or .mindir) is appended (required)\n"
    << "  --weightFile=PATH        weights file (CAFFE .caffemodel only)\n"
    << "  --configFile=PATH        converter config, e.g. post-training quantization:\n"
    << "                           [common_quant_param] quant_type=DYNAMIC_QUANT bit_num=8\n"
    << "  --fp16=on|off            store float weights as float16 (default off)\n"
    << "  --inputDataFormat=NHWC|NCHW  input layout of the converted model (default NHWC)\n"
    << "  --inputShape=NAME:D1,D2,...[;NAME2:...]  fix input shapes, e.g. x:1,1,28,28\n"
    << "  --saveType=MINDIR_LITE|MINDIR  .ms for the Lite runtime (default) or .mindir\n"
    << "  --inputDataType=FLOAT32|FLOAT16|INT8|UINT8|DEFAULT   (default DEFAULT)\n"
    << "  --outputDataType=FLOAT32|FLOAT16|INT8|UINT8|DEFAULT  (default DEFAULT)\n"
    << "  --optimize=none|general  none disables fusion passes (default general)\n"
    << "  --verbose                let the library's log through (GLOG_v=1 unless set)\n"
    << "  --help                   this text\n"
    << "  --version                print versions and exit\n\n"
    << "Output: 'CONVERT RESULT SUCCESS:0' and exit 0, or 'CONVERT RESULT FAILED:<code> <why>'\n"
    << "and exit 1 (conversion failed) or 2 (bad flags or input file). No partial output is kept.\n";
  return o.str();
}

}  // namespace mindedge
