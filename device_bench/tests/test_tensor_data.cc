#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "harness.h"
#include "tensor_data.h"

using namespace device_bench;

TEST(input_size_multiple_ok) {
  const InputSizeCheck one = CheckInputSize(3136, 3136);
  CHECK(one.ok);
  CHECK_EQ(one.samples, uint64_t{1});
  const InputSizeCheck many = CheckInputSize(3136ULL * 10000, 3136);
  CHECK(many.ok);
  CHECK_EQ(many.samples, uint64_t{10000});
}

TEST(input_size_errors_name_sizes) {
  const InputSizeCheck empty = CheckInputSize(0, 3136);
  CHECK(!empty.ok);
  CHECK_CONTAINS(empty.error, "has 0 bytes");
  CHECK_CONTAINS(empty.error, "3136 bytes per sample");

  const InputSizeCheck small = CheckInputSize(100, 3136);
  CHECK(!small.ok);
  CHECK_CONTAINS(small.error, "has 100 bytes, not a positive multiple of 3136 bytes per sample");

  const InputSizeCheck ragged = CheckInputSize(3136 * 2 + 4, 3136);
  CHECK(!ragged.ok);
  CHECK_CONTAINS(ragged.error, "2 whole samples and 4 extra bytes");

  CHECK(!CheckInputSize(10, 0).ok);
  // NHWC vs NCHW confusion gives the same byte count; a float64 file for float32 model does not.
  CHECK(!CheckInputSize(3136 * 2, 3136 * 3).ok);
}

TEST(type_names_and_sizes) {
  CHECK_EQ(TypeName(kFloat32), std::string("float32"));
  CHECK_EQ(TypeName(kFloat16), std::string("float16"));
  CHECK_EQ(TypeName(kUInt8), std::string("uint8"));
  CHECK_EQ(TypeName(12345), std::string("type12345"));
  CHECK_EQ(TypeSize(kFloat32), size_t{4});
  CHECK_EQ(TypeSize(kInt64), size_t{8});
  CHECK_EQ(TypeSize(kBool), size_t{1});
  CHECK_EQ(TypeSize(0), size_t{0});
}

TEST(random_fill_is_deterministic_and_in_range) {
  std::vector<float> a(10000), b(10000);
  SplitMix64 ra(kDefaultSeed), rb(kDefaultSeed);
  FillPseudoRandom(kFloat32, a.data(), a.size() * 4, &ra);
  FillPseudoRandom(kFloat32, b.data(), b.size() * 4, &rb);
  CHECK(std::memcmp(a.data(), b.data(), a.size() * 4) == 0);
  double sum = 0;
  float lo = 1, hi = 0;
  for (float v : a) {
    CHECK(v >= 0.0f && v < 1.0f);
    sum += v;
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
  }
  CHECK_NEAR(sum / static_cast<double>(a.size()), 0.5, 0.02);
  CHECK(lo < 0.01f && hi > 0.99f);
  // Pinned first value, so a change of generator is noticed (host and phone must agree).
  SplitMix64 r(kDefaultSeed);
  const uint64_t first = r.Next();
  SplitMix64 r2(kDefaultSeed);
  CHECK_EQ(r2.NextUnitFloat(), static_cast<float>(first >> 40) / 16777216.0f);
  SplitMix64 zero(0);
  CHECK_EQ(zero.Next(), uint64_t{0xe220a8397b1dcdafULL});  // splitmix64 reference output for seed 0
}

TEST(random_fill_other_types) {
  SplitMix64 rng(1);
  std::vector<uint16_t> h(1000);
  FillPseudoRandom(kFloat16, h.data(), h.size() * 2, &rng);
  for (uint16_t v : h) {
    const float f = HalfToFloat(v);
    CHECK(f >= 0.0f && f <= 1.0f);
  }
  std::vector<int32_t> ints(1000);
  FillPseudoRandom(kInt32, ints.data(), ints.size() * 4, &rng);
  for (int32_t v : ints) CHECK(v >= 0 && v < 10);
  std::vector<uint8_t> bools(1000);
  FillPseudoRandom(kBool, bools.data(), bools.size(), &rng);
  for (uint8_t v : bools) CHECK(v <= 1);
}

TEST(half_to_float) {
  CHECK_EQ(HalfToFloat(0x0000), 0.0f);
  CHECK_EQ(HalfToFloat(0x3c00), 1.0f);
  CHECK_EQ(HalfToFloat(0xc000), -2.0f);
  CHECK_EQ(HalfToFloat(0x3555), 0.333251953125f);
  CHECK_EQ(HalfToFloat(0x7bff), 65504.0f);
  CHECK_EQ(HalfToFloat(0x0001), 5.9604644775390625e-08f);  // smallest subnormal
  CHECK(HalfToFloat(0x7c00) > 1e38f);
  CHECK(HalfToFloat(0x7e00) != HalfToFloat(0x7e00));  // NaN
}

TEST(convert_to_float32) {
  const int8_t i8[] = {-128, 0, 127};
  float out[3];
  CHECK(ConvertToFloat32(kInt8, i8, 3, out));
  CHECK_EQ(out[0], -128.0f);
  CHECK_EQ(out[2], 127.0f);
  const double f64[] = {0.5, -1.25, 3};
  CHECK(ConvertToFloat32(kFloat64, f64, 3, out));
  CHECK_EQ(out[1], -1.25f);
  const float f32[] = {1, 2, 3};
  CHECK(ConvertToFloat32(kFloat32, f32, 3, out));
  CHECK_EQ(out[2], 3.0f);
  const uint16_t f16[] = {0x3c00, 0xbc00, 0x0000};
  CHECK(ConvertToFloat32(kFloat16, f16, 3, out));
  CHECK_EQ(out[1], -1.0f);
  CHECK(!ConvertToFloat32(9999, f32, 3, out));
}
