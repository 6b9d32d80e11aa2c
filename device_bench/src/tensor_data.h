// Pure helpers about tensor bytes: data types, input-file size checks, deterministic random
// input, conversion of outputs to float32. No MindSpore Lite dependency.
#ifndef DEVICE_BENCH_TENSOR_DATA_H_
#define DEVICE_BENCH_TENSOR_DATA_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace device_bench {

// MindSpore type ids (same numbers as mindspore::DataType and the .ms schema's dataType).
enum TypeCode : int {
  kBool = 30,
  kInt8 = 32,
  kInt16 = 33,
  kInt32 = 34,
  kInt64 = 35,
  kUInt8 = 37,
  kUInt16 = 38,
  kUInt32 = 39,
  kUInt64 = 40,
  kFloat16 = 42,
  kFloat32 = 43,
  kFloat64 = 44,
};

// "float32", "int8", ...; "type<N>" for codes this tool does not know.
std::string TypeName(int code);
// Bytes per element, 0 for unknown codes.
size_t TypeSize(int code);

// Result of checking an --inDataFile against the model's bytes per sample.
struct InputSizeCheck {
  bool ok = false;
  uint64_t samples = 0;
  std::string error;  // when !ok, e.g. "has 100 bytes, not a positive multiple of 3136 bytes per sample ..."
};
InputSizeCheck CheckInputSize(uint64_t file_bytes, uint64_t bytes_per_sample);

// Deterministic generator (splitmix64): the same seed gives the same input on every platform.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  float NextUnitFloat();  // uniform in [0, 1), 24 random bits
 private:
  uint64_t state_;
};

constexpr uint64_t kDefaultSeed = 0x6d696e6465646765ULL;  // "mindedge"

// Fills `bytes` bytes of a tensor of type `code` with pseudo-random values: floats uniform in
// [0, 1), bool 0/1, unsigned 8-bit 0..255, other integers 0..9. Unknown types get random bytes.
void FillPseudoRandom(int code, void* data, size_t bytes, SplitMix64* rng);

// IEEE half -> float.
float HalfToFloat(uint16_t h);

// Converts `count` elements of type `code` at `src` to float32 at `dst`. Returns false for an
// unknown type code.
bool ConvertToFloat32(int code, const void* src, size_t count, float* dst);

}  // namespace device_bench

#endif  // DEVICE_BENCH_TENSOR_DATA_H_
