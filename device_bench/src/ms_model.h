// Reads the header of a MindSpore Lite .ms file (a FlatBuffer of schema mindspore.schema.MetaGraph,
// file identifier "MSL2") with bounds checks on every offset, without the generated schema code.
// Used to reject files that are not .ms models, or are truncated, with a clear message before the
// runtime sees them, and to learn each graph input's layout (the runtime API reports none).
#ifndef DEVICE_BENCH_MS_MODEL_H_
#define DEVICE_BENCH_MS_MODEL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace device_bench {

struct MsTensorInfo {
  std::string name;
  int data_type = 0;          // MindSpore type id (43 = float32)
  std::vector<int32_t> dims;  // as stored; -1 for a dynamic dimension
  int format = 0;             // mindspore::Format: 0 NCHW, 1 NHWC, ...
};

struct MsModelInfo {
  bool ok = false;
  std::string error;    // when !ok: what is wrong, e.g. "is truncated or corrupt: ..."
  std::string version;  // MetaGraph.version, e.g. "MindSpore Lite 2.0.0"
  size_t tensor_count = 0;
  size_t node_count = 0;
  std::vector<MsTensorInfo> inputs;
  std::vector<MsTensorInfo> outputs;
};

constexpr char kMsFileIdentifier[] = "MSL2";

MsModelInfo InspectMsModel(const uint8_t* data, size_t size);

// "NCHW", "NHWC", ... as MindSpore names them; "format<N>" otherwise.
std::string FormatName(int format);

}  // namespace device_bench

#endif  // DEVICE_BENCH_MS_MODEL_H_
