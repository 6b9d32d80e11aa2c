#include "input_check.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

namespace mindedge {
namespace {

struct Field {
  uint32_t number = 0;
  uint32_t wire_type = 0;
  const uint8_t *data = nullptr;  // payload of a LEN field
  size_t size = 0;
};

bool ReadVarint(const uint8_t **p, const uint8_t *end, uint64_t *out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*p >= end) return false;
    const uint8_t b = *(*p)++;
    v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) {
      *out = v;
      return true;
    }
  }
  return false;  // more than 10 bytes
}

// Walks the fields of one message; calls `visit` for each. Returns false with
// *error set at the first malformed field.
template <typename Visit>
bool WalkMessage(const uint8_t *data, size_t size, const char *what, std::string *error, Visit visit) {
  const uint8_t *p = data;
  const uint8_t *end = data + size;
  while (p < end) {
    const size_t offset = static_cast<size_t>(p - data);
    uint64_t tag = 0;
    if (!ReadVarint(&p, end, &tag)) {
      *error = std::string(what) + ": bad field tag at byte " + std::to_string(offset);
      return false;
    }
    Field f;
    f.number = static_cast<uint32_t>(tag >> 3);
    f.wire_type = static_cast<uint32_t>(tag & 7);
    if (f.number == 0 || (tag >> 3) > 0x1FFFFFFF) {
      *error = std::string(what) + ": invalid field number at byte " + std::to_string(offset);
      return false;
    }
    uint64_t v = 0;
    switch (f.wire_type) {
      case 0:
        if (!ReadVarint(&p, end, &v)) {
          *error = std::string(what) + ": truncated varint at byte " + std::to_string(offset);
          return false;
        }
        break;
      case 1:
      case 5: {
        const size_t n = f.wire_type == 1 ? 8 : 4;
        if (static_cast<size_t>(end - p) < n) {
          *error = std::string(what) + ": truncated fixed-size field at byte " + std::to_string(offset);
          return false;
        }
        p += n;
        break;
      }
      case 2:
        if (!ReadVarint(&p, end, &v) || v > static_cast<uint64_t>(end - p)) {
          *error = std::string(what) + ": field " + std::to_string(f.number) + " at byte " +
                   std::to_string(offset) + " runs past the end (file truncated?)";
          return false;
        }
        f.data = p;
        f.size = static_cast<size_t>(v);
        p += v;
        break;
      default:
        *error = std::string(what) + ": unsupported wire type " + std::to_string(f.wire_type) + " at byte " +
                 std::to_string(offset);
        return false;
    }
    if (!visit(f)) return false;
  }
  return true;
}

bool ReadWholeFile(const std::string &path, std::string *bytes, std::string *error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  bytes->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) {
    *error = "cannot read " + path;
    return false;
  }
  return true;
}

const uint8_t *U8(const std::string &s) { return reinterpret_cast<const uint8_t *>(s.data()); }

// Top-level scan that requires field `required` to be a LEN field.
bool CheckProtobufWithField(const std::string &bytes, const char *what, uint32_t required, std::string *error) {
  bool found = false;
  if (!WalkMessage(U8(bytes), bytes.size(), what, error, [&](const Field &f) {
        if (f.number == required && f.wire_type == 2) found = true;
        return true;
      })) {
    return false;
  }
  if (!found) {
    *error = std::string(what) + ": no field " + std::to_string(required) + " found; not a model of this type";
    return false;
  }
  return true;
}

}  // namespace

bool ScanProtobufMessage(const uint8_t *data, size_t size, std::string *error) {
  return WalkMessage(data, size, "protobuf", error, [](const Field &) { return true; });
}

bool CheckReadableFile(const std::string &what, const std::string &path, std::string *error) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    *error = what + " " + path + " does not exist (" + std::strerror(errno) + ")";
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    *error = what + " " + path + " is not a regular file";
    return false;
  }
  if (::access(path.c_str(), R_OK) != 0) {
    *error = what + " " + path + " is not readable (" + std::strerror(errno) + ")";
    return false;
  }
  if (st.st_size == 0) {
    *error = what + " " + path + " is empty";
    return false;
  }
  return true;
}

bool CheckOnnxBytes(const std::string &bytes, std::string *error, std::vector<ModelInput> *inputs) {
  const char *what = "not a valid ONNX model";
  const uint8_t *graph = nullptr;
  size_t graph_size = 0;
  bool has_ir_version = false;
  if (!WalkMessage(U8(bytes), bytes.size(), what, error, [&](const Field &f) {
        if (f.number == 1 && f.wire_type == 0) has_ir_version = true;
        if (f.number == 7 && f.wire_type == 2) {
          graph = f.data;
          graph_size = f.size;
        }
        return true;
      })) {
    return false;
  }
  if (!has_ir_version || graph == nullptr) {
    *error = std::string(what) + ": no ir_version or graph field (ModelProto fields 1 and 7)";
    return false;
  }
  size_t nodes = 0;
  std::vector<ModelInput> declared;
  std::vector<std::string> initializers;
  const char *gwhat = "not a valid ONNX model (graph)";
  if (!WalkMessage(graph, graph_size, gwhat, error, [&](const Field &f) {
        if (f.wire_type != 2) return true;
        // node (1), initializer (5), input/output/value_info (11, 12, 13) are messages.
        if (f.number != 1 && f.number != 5 && f.number != 11 && f.number != 12 && f.number != 13) return true;
        std::string name;
        const bool want_name = f.number == 5 || f.number == 11;
        // TensorProto.name is field 8; ValueInfoProto.name is 1 and .type is 2.
        const uint32_t name_field = f.number == 5 ? 8 : 1;
        const uint8_t *type = nullptr;
        size_t type_size = 0;
        if (!WalkMessage(f.data, f.size, gwhat, error, [&](const Field &g) {
              if (want_name && g.number == name_field && g.wire_type == 2) {
                name.assign(reinterpret_cast<const char *>(g.data), g.size);
              }
              if (f.number == 11 && g.number == 2 && g.wire_type == 2) {
                type = g.data;
                type_size = g.size;
              }
              return true;
            })) {
          return false;
        }
        if (f.number == 1) ++nodes;
        if (f.number == 5) initializers.push_back(name);
        if (f.number == 11) {
          ModelInput in;
          in.name = name;
          // TypeProto.tensor_type (1) -> TypeProto.Tensor.shape (2) -> TensorShapeProto.dim (1)*.
          // Best effort: any problem just leaves the rank unknown.
          std::string ignored;
          const uint8_t *tensor = nullptr;
          size_t tensor_size = 0;
          const uint8_t *shape = nullptr;
          size_t shape_size = 0;
          if (type != nullptr && WalkMessage(type, type_size, "", &ignored, [&](const Field &t) {
                if (t.number == 1 && t.wire_type == 2) {
                  tensor = t.data;
                  tensor_size = t.size;
                }
                return true;
              }) && tensor != nullptr && WalkMessage(tensor, tensor_size, "", &ignored, [&](const Field &t) {
                if (t.number == 2 && t.wire_type == 2) {
                  shape = t.data;
                  shape_size = t.size;
                }
                return true;
              }) && shape != nullptr) {
            int rank = 0;
            if (WalkMessage(shape, shape_size, "", &ignored, [&](const Field &t) {
                  if (t.number == 1 && t.wire_type == 2) ++rank;
                  return true;
                })) {
              in.rank = rank;
            }
          }
          declared.push_back(in);
        }
        return true;
      })) {
    return false;
  }
  if (nodes == 0) {
    *error = std::string(what) + ": the graph has no nodes";
    return false;
  }
  if (inputs != nullptr) {
    inputs->clear();
    for (const auto &in : declared) {
      if (std::find(initializers.begin(), initializers.end(), in.name) == initializers.end()) {
        inputs->push_back(in);
      }
    }
  }
  return true;
}

bool CheckInputShapes(const std::vector<InputShape> &shapes, const std::vector<ModelInput> &inputs,
                      std::string *error) {
  if (inputs.empty()) return true;
  for (const auto &s : shapes) {
    const auto it = std::find_if(inputs.begin(), inputs.end(), [&](const ModelInput &m) { return m.name == s.name; });
    if (it == inputs.end()) {
      std::string names;
      for (const auto &m : inputs) names += (names.empty() ? "" : ", ") + m.name;
      *error = "--inputShape names '" + s.name + "', but the model's inputs are: " + names;
      return false;
    }
    if (it->rank >= 0 && it->rank != static_cast<int>(s.dims.size())) {
      *error = "--inputShape gives '" + s.name + "' " + std::to_string(s.dims.size()) +
               " dimensions, but the model declares " + std::to_string(it->rank) +
               " (give the shape in the model's own layout, e.g. NCHW for ONNX)";
      return false;
    }
  }
  return true;
}

bool CheckModelFile(Fmk fmk, const std::string &path, std::string *error, std::vector<ModelInput> *inputs) {
  if (!CheckReadableFile("model file", path, error)) return false;
  if (fmk == Fmk::kCaffe || fmk == Fmk::kPytorch) return true;
  std::string bytes;
  if (!ReadWholeFile(path, &bytes, error)) return false;
  std::string why;
  bool ok = true;
  switch (fmk) {
    case Fmk::kOnnx:
      ok = CheckOnnxBytes(bytes, &why, inputs);
      break;
    case Fmk::kMindir:
      ok = CheckProtobufWithField(bytes, "not a valid MindIR model", 7, &why);
      break;
    case Fmk::kTf:
      ok = CheckProtobufWithField(bytes, "not a valid TensorFlow GraphDef", 1, &why);
      break;
    case Fmk::kTflite:
      if (bytes.size() < 8 || std::memcmp(bytes.data() + 4, "TFL3", 4) != 0) {
        ok = false;
        why = "not a valid TFLite model: no TFL3 file identifier";
      }
      break;
    default:
      break;
  }
  if (!ok) {
    *error = path + " is " + why;
    return false;
  }
  return true;
}

}  // namespace mindedge
