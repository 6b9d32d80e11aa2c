#include "ms_model.h"

#include <cstdio>
#include <cstring>
#include <sstream>

namespace device_bench {
namespace {

// Field slots (declaration order) of the .ms schema tables this reader needs.
enum MetaGraphField { kGraphName = 0, kGraphVersion = 1, kGraphInputIndex = 3, kGraphOutputIndex = 4,
                      kGraphNodes = 6, kGraphAllTensors = 7 };
enum TensorField { kTensorDataType = 1, kTensorDims = 2, kTensorFormat = 3, kTensorData = 6, kTensorName = 9 };

struct Corrupt {
  std::string what;
};

// Bounds-checked little-endian FlatBuffer reader. Every accessor throws Corrupt on a bad offset.
class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : d_(data), n_(size) {}

  void Need(uint64_t pos, uint64_t len, const char* what) const {
    if (pos > n_ || len > n_ - pos) {
      std::ostringstream os;
      os << what << " at byte " << pos << " (+" << len << ") lies past the end of the file (" << n_ << " bytes)";
      throw Corrupt{os.str()};
    }
  }
  uint32_t U32(uint64_t pos, const char* what) const {
    Need(pos, 4, what);
    uint32_t v;
    std::memcpy(&v, d_ + pos, 4);
    return v;  // little-endian hosts only (every supported target)
  }
  int32_t I32(uint64_t pos, const char* what) const { return static_cast<int32_t>(U32(pos, what)); }
  uint16_t U16(uint64_t pos, const char* what) const {
    Need(pos, 2, what);
    uint16_t v;
    std::memcpy(&v, d_ + pos, 2);
    return v;
  }

  // Position of the field's value inside `table`, or 0 if the field is absent.
  uint64_t Field(uint64_t table, int slot, const char* what) const {
    const int64_t vt = static_cast<int64_t>(table) - I32(table, what);
    if (vt < 0) throw Corrupt{std::string(what) + ": vtable offset points before the start of the file"};
    const uint16_t vt_size = U16(static_cast<uint64_t>(vt), what);
    Need(static_cast<uint64_t>(vt), vt_size, what);
    const uint64_t entry = 4 + 2 * static_cast<uint64_t>(slot);
    if (entry + 2 > vt_size) return 0;
    const uint16_t off = U16(static_cast<uint64_t>(vt) + entry, what);
    if (off == 0) return 0;
    const uint16_t table_size = U16(static_cast<uint64_t>(vt) + 2, what);
    if (off >= table_size) throw Corrupt{std::string(what) + ": field offset outside its table"};
    return table + off;
  }
  // Follows a uoffset stored at `pos`.
  uint64_t Deref(uint64_t pos, const char* what) const {
    const uint64_t target = pos + U32(pos, what);
    Need(target, 4, what);
    return target;
  }
  // Vector at `vec` (already dereferenced): element count, with the whole payload bounds-checked.
  uint32_t VectorLength(uint64_t vec, uint64_t elem_size, const char* what) const {
    const uint32_t len = U32(vec, what);
    Need(vec + 4, static_cast<uint64_t>(len) * elem_size, what);
    return len;
  }
  std::string String(uint64_t str, const char* what) const {
    const uint32_t len = VectorLength(str, 1, what);
    Need(str + 4 + len, 1, what);  // the terminating NUL, as FlatBuffers' verifier requires
    if (d_[str + 4 + len] != 0) throw Corrupt{std::string(what) + ": string is not NUL-terminated"};
    return std::string(reinterpret_cast<const char*>(d_ + str + 4), len);
  }
  size_t size() const { return n_; }

 private:
  const uint8_t* d_;
  size_t n_;
};

std::vector<uint32_t> ReadIndexVector(const Reader& r, uint64_t table, int slot, const char* what) {
  std::vector<uint32_t> out;
  const uint64_t f = r.Field(table, slot, what);
  if (f == 0) return out;
  const uint64_t vec = r.Deref(f, what);
  const uint32_t len = r.VectorLength(vec, 4, what);
  out.reserve(len);
  for (uint32_t i = 0; i < len; ++i) out.push_back(r.U32(vec + 4 + 4ULL * i, what));
  return out;
}

MsTensorInfo ReadTensor(const Reader& r, uint64_t tensor, bool with_data) {
  MsTensorInfo t;
  uint64_t f = r.Field(tensor, kTensorDataType, "tensor dataType");
  if (f != 0) t.data_type = r.I32(f, "tensor dataType");
  f = r.Field(tensor, kTensorFormat, "tensor format");
  if (f != 0) t.format = r.I32(f, "tensor format");
  f = r.Field(tensor, kTensorDims, "tensor dims");
  if (f != 0) {
    const uint64_t vec = r.Deref(f, "tensor dims");
    const uint32_t len = r.VectorLength(vec, 4, "tensor dims");
    if (len > 64) throw Corrupt{"a tensor claims " + std::to_string(len) + " dimensions"};
    for (uint32_t i = 0; i < len; ++i) t.dims.push_back(r.I32(vec + 4 + 4ULL * i, "tensor dims"));
  }
  f = r.Field(tensor, kTensorName, "tensor name");
  if (f != 0) t.name = r.String(r.Deref(f, "tensor name"), "tensor name");
  if (with_data) {
    f = r.Field(tensor, kTensorData, "tensor data");
    if (f != 0) r.VectorLength(r.Deref(f, "tensor data"), 1, "tensor data");
  }
  return t;
}

}  // namespace

std::string FormatName(int format) {
  static const char* const kNames[] = {"NCHW", "NHWC", "NHWC4", "HWKC", "HWCK", "KCHW", "CKHW", "KHWC",
                                       "CHWK", "HW",   "HW4",   "NC",   "NC4",  "NC4HW4", "NUM_OF_FORMAT",
                                       "NCDHW", "NWC", "NCW",   "NDHWC", "NC8HW8"};
  if (format >= 0 && format < static_cast<int>(sizeof kNames / sizeof kNames[0])) return kNames[format];
  return "format" + std::to_string(format);
}

MsModelInfo InspectMsModel(const uint8_t* data, size_t size) {
  MsModelInfo info;
  if (size == 0) {
    info.error = "is empty (0 bytes)";
    return info;
  }
  if (size < 16) {
    info.error = "is too small to be a MindSpore Lite .ms model (" + std::to_string(size) + " bytes)";
    return info;
  }
  if (std::memcmp(data + 4, kMsFileIdentifier, 4) != 0) {
    std::string found;
    for (int i = 4; i < 8; ++i) {
      const unsigned char c = data[i];
      if (c >= 0x20 && c < 0x7f) {
        found += static_cast<char>(c);
      } else {
        char hex[8];
        std::snprintf(hex, sizeof hex, "\\x%02x", c);
        found += hex;
      }
    }
    info.error = std::string("is not a MindSpore Lite .ms model (expected file identifier \"") + kMsFileIdentifier +
                 "\" at bytes 4..8, found \"" + found + "\")";
    if (std::memcmp(data + 4, "MSL1", 4) == 0) {
      info.error += "; it is an old-format model, convert it again with MindSpore Lite 2.x";
    } else {
      info.error += "; convert the model to .ms first";
    }
    return info;
  }
  const Reader r(data, size);
  try {
    const uint64_t root = r.U32(0, "root table offset");
    if (root < 8) throw Corrupt{"root table offset " + std::to_string(root) + " overlaps the header"};
    r.Need(root, 4, "root table");
    uint64_t f = r.Field(root, kGraphVersion, "graph version");
    if (f != 0) info.version = r.String(r.Deref(f, "graph version"), "graph version");
    f = r.Field(root, kGraphName, "graph name");
    if (f != 0) r.String(r.Deref(f, "graph name"), "graph name");

    f = r.Field(root, kGraphNodes, "node list");
    if (f == 0) throw Corrupt{"the graph has no node list"};
    const uint64_t nodes = r.Deref(f, "node list");
    info.node_count = r.VectorLength(nodes, 4, "node list");

    f = r.Field(root, kGraphAllTensors, "tensor list");
    if (f == 0) throw Corrupt{"the graph has no tensor list"};
    const uint64_t tensors = r.Deref(f, "tensor list");
    const uint32_t n_tensors = r.VectorLength(tensors, 4, "tensor list");
    info.tensor_count = n_tensors;
    // Walk every tensor (with its weight bytes): a file cut short fails here.
    std::vector<uint64_t> tensor_pos(n_tensors);
    for (uint32_t i = 0; i < n_tensors; ++i) {
      tensor_pos[i] = r.Deref(tensors + 4 + 4ULL * i, "tensor");
      ReadTensor(r, tensor_pos[i], true);
    }
    for (int which = 0; which < 2; ++which) {
      const char* what = which == 0 ? "graph input list" : "graph output list";
      const std::vector<uint32_t> idx =
          ReadIndexVector(r, root, which == 0 ? kGraphInputIndex : kGraphOutputIndex, what);
      if (idx.empty()) throw Corrupt{std::string("the ") + what + " is empty"};
      for (uint32_t k : idx) {
        if (k >= n_tensors) {
          throw Corrupt{std::string("the ") + what + " names tensor " + std::to_string(k) + " of " +
                        std::to_string(n_tensors)};
        }
        (which == 0 ? info.inputs : info.outputs).push_back(ReadTensor(r, tensor_pos[k], false));
      }
    }
  } catch (const Corrupt& c) {
    info.inputs.clear();
    info.outputs.clear();
    info.error = "is truncated or corrupt (" + c.what + "); copy or convert it again";
    return info;
  }
  info.ok = true;
  return info;
}

}  // namespace device_bench
