#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "harness.h"
#include "ms_model.h"
#include "tensor_data.h"

using namespace device_bench;

namespace {

// Writes FlatBuffers front to back (children after parents; uoffsets only point forward).
class FbWriter {
 public:
  std::vector<uint8_t> b;

  void Align4() {
    while (b.size() % 4) b.push_back(0);
  }
  size_t Put32(uint32_t v) {
    Align4();
    const size_t pos = b.size();
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return pos;
  }
  void Put16(uint16_t v) {
    b.push_back(static_cast<uint8_t>(v));
    b.push_back(static_cast<uint8_t>(v >> 8));
  }
  void Patch32(size_t pos, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[pos + i] = static_cast<uint8_t>(v >> (8 * i));
  }
  // A table whose present fields are 4 bytes each; returns the table position and fills
  // `fields` with slot -> field position.
  size_t Table(int nslots, const std::vector<int>& present, std::map<int, size_t>* fields) {
    Align4();
    const size_t vt = b.size();
    Put16(static_cast<uint16_t>(4 + 2 * nslots));
    Put16(static_cast<uint16_t>(4 + 4 * present.size()));
    for (int s = 0; s < nslots; ++s) {
      uint16_t off = 0;
      for (size_t k = 0; k < present.size(); ++k) {
        if (present[k] == s) off = static_cast<uint16_t>(4 + 4 * k);
      }
      Put16(off);
    }
    Align4();
    const size_t table = b.size();
    Put32(static_cast<uint32_t>(table - vt));
    for (int s : present) (*fields)[s] = Put32(0);
    return table;
  }
  void Link(size_t field, size_t target) { Patch32(field, static_cast<uint32_t>(target - field)); }
  size_t String(const std::string& s) {
    const size_t pos = Put32(static_cast<uint32_t>(s.size()));
    b.insert(b.end(), s.begin(), s.end());
    b.push_back(0);
    return pos;
  }
  size_t VecU32(const std::vector<uint32_t>& v) {
    const size_t pos = Put32(static_cast<uint32_t>(v.size()));
    for (uint32_t x : v) Put32(x);
    return pos;
  }
};

struct FakeTensor {
  std::string name;
  std::vector<int32_t> dims;
  int format;  // -1: field absent (schema default NCHW)
  std::vector<uint8_t> data;
};

// A minimal MetaGraph: tensors[0] is the input, tensors[1] the output.
std::vector<uint8_t> MakeModel(const std::vector<FakeTensor>& tensors, const std::vector<uint32_t>& in_idx,
                               const std::vector<uint32_t>& out_idx, const char* ident = "MSL2") {
  FbWriter w;
  const size_t root_field = w.Put32(0);
  w.b.insert(w.b.end(), ident, ident + 4);
  std::map<int, size_t> g;
  const size_t root = w.Table(9, {0, 1, 3, 4, 6, 7}, &g);
  w.Patch32(root_field, static_cast<uint32_t>(root));
  w.Link(g[0], w.String("graph"));
  w.Link(g[1], w.String("MindSpore Lite 2.0.0"));
  w.Link(g[3], w.VecU32(in_idx));
  w.Link(g[4], w.VecU32(out_idx));
  w.Link(g[6], w.VecU32({}));  // no nodes
  const size_t tensor_vec = w.Put32(static_cast<uint32_t>(tensors.size()));
  std::vector<size_t> slots;
  for (size_t i = 0; i < tensors.size(); ++i) slots.push_back(w.Put32(0));
  w.Link(g[7], tensor_vec);
  for (size_t i = 0; i < tensors.size(); ++i) {
    const FakeTensor& t = tensors[i];
    std::map<int, size_t> f;
    std::vector<int> present = {1, 2, 6, 9};
    if (t.format >= 0) present.push_back(3);
    const size_t table = w.Table(14, present, &f);
    w.Link(slots[i], table);
    w.Patch32(f[1], kFloat32);
    if (t.format >= 0) w.Patch32(f[3], static_cast<uint32_t>(t.format));
    std::vector<uint32_t> dims(t.dims.begin(), t.dims.end());
    w.Link(f[2], w.VecU32(dims));
    w.Link(f[9], w.String(t.name));
    const size_t data = w.Put32(static_cast<uint32_t>(t.data.size()));
    w.b.insert(w.b.end(), t.data.begin(), t.data.end());
    w.Link(f[6], data);
  }
  return w.b;
}

std::vector<uint8_t> SampleModel() {
  return MakeModel({{"x", {1, 28, 28, 1}, 1, {}}, {"logits", {1, 10}, -1, {}}, {"weight", {2}, 0, {1, 2, 3, 4, 5, 6, 7, 8}}},
                   {0}, {1});
}

}  // namespace

TEST(ms_model_reads_inputs_outputs) {
  const std::vector<uint8_t> m = SampleModel();
  const MsModelInfo info = InspectMsModel(m.data(), m.size());
  CHECK(info.ok);
  CHECK_EQ(info.error, std::string(""));
  CHECK_EQ(info.version, std::string("MindSpore Lite 2.0.0"));
  CHECK_EQ(info.tensor_count, size_t{3});
  CHECK_EQ(info.node_count, size_t{0});
  CHECK_EQ(info.inputs.size(), size_t{1});
  CHECK_EQ(info.outputs.size(), size_t{1});
  if (info.inputs.size() == 1 && info.outputs.size() == 1) {
    CHECK_EQ(info.inputs[0].name, std::string("x"));
    CHECK_EQ(info.inputs[0].format, 1);
    CHECK_EQ(FormatName(info.inputs[0].format), std::string("NHWC"));
    CHECK_EQ(info.inputs[0].data_type, int{kFloat32});
    CHECK(info.inputs[0].dims == (std::vector<int32_t>{1, 28, 28, 1}));
    CHECK_EQ(info.outputs[0].name, std::string("logits"));
    CHECK_EQ(info.outputs[0].format, 0);  // absent field -> schema default NCHW
  }
}

TEST(ms_model_every_truncation_is_rejected) {
  const std::vector<uint8_t> m = SampleModel();
  for (size_t len = 0; len < m.size(); ++len) {
    const MsModelInfo info = InspectMsModel(m.data(), len);
    CHECK(!info.ok);
    CHECK(!info.error.empty());
  }
  const MsModelInfo half = InspectMsModel(m.data(), m.size() / 2);
  CHECK_CONTAINS(half.error, "is truncated or corrupt (");
  CHECK_CONTAINS(half.error, "past the end of the file (" + std::to_string(m.size() / 2) + " bytes)");
  CHECK_CONTAINS(half.error, "copy or convert it again");
}

TEST(ms_model_identifier) {
  CHECK_CONTAINS(InspectMsModel(nullptr, 0).error, "is empty (0 bytes)");
  const uint8_t tiny[8] = {0};
  CHECK_CONTAINS(InspectMsModel(tiny, 8).error, "too small");
  std::vector<uint8_t> onnx(64, 0);
  std::memcpy(onnx.data(), "\x08\x06\x12\x07pytorch", 12);
  const MsModelInfo r = InspectMsModel(onnx.data(), onnx.size());
  CHECK(!r.ok);
  CHECK_CONTAINS(r.error, "is not a MindSpore Lite .ms model (expected file identifier \"MSL2\" at bytes 4..8");
  CHECK_CONTAINS(r.error, "found \"pyto\"");
  CHECK_CONTAINS(r.error, "convert the model to .ms first");
  std::vector<uint8_t> bin(64, 0);
  bin[4] = 0x01;
  CHECK_CONTAINS(InspectMsModel(bin.data(), bin.size()).error, "found \"\\x01\\x00\\x00\\x00\"");
  const std::vector<uint8_t> old = MakeModel({{"x", {1}, 0, {}}, {"y", {1}, 0, {}}}, {0}, {1}, "MSL1");
  CHECK_CONTAINS(InspectMsModel(old.data(), old.size()).error, "old-format");
}

TEST(ms_model_string_needs_terminator) {
  std::vector<uint8_t> m = SampleModel();
  const std::string v = "MindSpore Lite 2.0.0";
  const auto it = std::search(m.begin(), m.end(), v.begin(), v.end());
  CHECK(it != m.end());
  if (it == m.end()) return;
  *(it + static_cast<long>(v.size())) = 'x';
  const MsModelInfo r = InspectMsModel(m.data(), m.size());
  CHECK(!r.ok);
  CHECK_CONTAINS(r.error, "graph version: string is not NUL-terminated");
}

TEST(ms_model_bad_indices) {
  const std::vector<uint8_t> m = MakeModel({{"x", {1}, 0, {}}, {"y", {1}, 0, {}}}, {0}, {7});
  const MsModelInfo r = InspectMsModel(m.data(), m.size());
  CHECK(!r.ok);
  CHECK_CONTAINS(r.error, "names tensor 7 of 2");
  const std::vector<uint8_t> none = MakeModel({{"x", {1}, 0, {}}}, {}, {0});
  CHECK_CONTAINS(InspectMsModel(none.data(), none.size()).error, "input list is empty");
}

TEST(ms_model_fuzz_never_crashes) {
  const std::vector<uint8_t> good = SampleModel();
  SplitMix64 rng(42);
  int rejected = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::vector<uint8_t> m = good;
    const int flips = 1 + static_cast<int>(rng.Next() % 8);
    for (int k = 0; k < flips; ++k) m[8 + rng.Next() % (m.size() - 8)] = static_cast<uint8_t>(rng.Next());
    const size_t len = (rng.Next() % 4 == 0) ? rng.Next() % (m.size() + 1) : m.size();
    const MsModelInfo info = InspectMsModel(m.data(), len);
    if (!info.ok) ++rejected;
  }
  CHECK(rejected > 0);
  for (int iter = 0; iter < 2000; ++iter) {  // random bytes behind a valid header
    std::vector<uint8_t> m(16 + rng.Next() % 512);
    for (uint8_t& x : m) x = static_cast<uint8_t>(rng.Next());
    std::memcpy(m.data() + 4, "MSL2", 4);
    InspectMsModel(m.data(), m.size());
  }
}

// With DEVICE_BENCH_TEST_MS=<file.ms> (a real converted model), check it is read.
TEST(ms_model_real_file_if_given) {
  const char* path = std::getenv("DEVICE_BENCH_TEST_MS");
  if (path == nullptr || *path == '\0') return;
  std::ifstream f(path, std::ios::binary);
  const std::vector<uint8_t> m((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const MsModelInfo info = InspectMsModel(m.data(), m.size());
  CHECK(info.ok);
  CHECK_EQ(info.error, std::string(""));
  CHECK(!info.inputs.empty());
  CHECK(!info.outputs.empty());
  CHECK(!InspectMsModel(m.data(), m.size() / 2).ok);
  std::cout << "  " << path << ": " << info.version << ", " << info.node_count << " nodes, input '"
            << (info.inputs.empty() ? "" : info.inputs[0].name) << "' "
            << (info.inputs.empty() ? "" : FormatName(info.inputs[0].format)) << "\n";
}
