// A tiny protobuf writer that builds ONNX ModelProto bytes for tests, so the
// tests need neither Python nor model files in git.
#ifndef MINDEDGE_MSLITE_TESTS_ONNX_WRITER_H_
#define MINDEDGE_MSLITE_TESTS_ONNX_WRITER_H_

#include <cstdint>
#include <string>
#include <vector>

namespace onnx_writer {

inline std::string Varint(uint64_t v) {
  std::string s;
  while (v >= 0x80) {
    s.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  s.push_back(static_cast<char>(v));
  return s;
}
inline std::string Len(uint32_t field, const std::string &payload) {
  return Varint((field << 3) | 2) + Varint(payload.size()) + payload;
}
inline std::string Int(uint32_t field, uint64_t v) { return Varint(field << 3) + Varint(v); }

// ValueInfoProto{name, type{tensor_type{elem_type=FLOAT, shape{dim...}}}}
inline std::string FloatValueInfo(const std::string &name, const std::vector<int64_t> &dims) {
  std::string shape;
  for (int64_t d : dims) shape += Len(1, Int(1, static_cast<uint64_t>(d)));
  return Len(1, name) + Len(2, Len(1, Int(1, 1) + Len(2, shape)));
}

// ModelProto (ir_version 7, opset 11) with one node `op_type`: x[dims] -> y.
// An initializer "w" (int64 scalar, unused by the node) is listed as a graph
// input too, as old exporters do.
inline std::string SingleNodeModel(const std::string &op_type, const std::vector<int64_t> &dims = {1, 3, 8, 8}) {
  const std::string node = Len(1, "x") + Len(2, "y") + Len(3, "n0") + Len(4, op_type);
  const std::string weight = Int(1, 1) + Int(2, 7) + Len(8, "w") + Int(7, 1);  // dims=[1] int64 [1]
  const std::string graph = Len(1, node) + Len(2, "g") + Len(5, weight) + Len(11, FloatValueInfo("x", dims)) +
                            Len(11, Len(1, "w")) + Len(12, FloatValueInfo("y", dims));
  return Int(1, 7) + Len(2, "mindedge-test") + Len(8, Len(1, "") + Int(2, 11)) + Len(7, graph);
}

}  // namespace onnx_writer

#endif  // MINDEDGE_MSLITE_TESTS_ONNX_WRITER_H_
