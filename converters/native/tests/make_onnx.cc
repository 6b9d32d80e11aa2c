// Writes small ONNX test models: make_onnx OP_TYPE OUT.onnx [truncate_to_bytes]
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "onnx_writer.h"

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: make_onnx OP_TYPE OUT.onnx [truncate_to_bytes]\n");
    return 2;
  }
  std::string bytes = onnx_writer::SingleNodeModel(argv[1]);
  if (argc > 3) bytes.resize(std::min(bytes.size(), static_cast<size_t>(std::atol(argv[3]))));
  std::ofstream out(argv[2], std::ios::binary);
  out << bytes;
  return out ? 0 : 1;
}
