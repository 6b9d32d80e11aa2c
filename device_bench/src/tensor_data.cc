#include "tensor_data.h"

#include <cmath>
#include <cstring>
#include <sstream>

namespace device_bench {

std::string TypeName(int code) {
  switch (code) {
    case kBool: return "bool";
    case kInt8: return "int8";
    case kInt16: return "int16";
    case kInt32: return "int32";
    case kInt64: return "int64";
    case kUInt8: return "uint8";
    case kUInt16: return "uint16";
    case kUInt32: return "uint32";
    case kUInt64: return "uint64";
    case kFloat16: return "float16";
    case kFloat32: return "float32";
    case kFloat64: return "float64";
    default: return "type" + std::to_string(code);
  }
}

size_t TypeSize(int code) {
  switch (code) {
    case kBool:
    case kInt8:
    case kUInt8: return 1;
    case kInt16:
    case kUInt16:
    case kFloat16: return 2;
    case kInt32:
    case kUInt32:
    case kFloat32: return 4;
    case kInt64:
    case kUInt64:
    case kFloat64: return 8;
    default: return 0;
  }
}

InputSizeCheck CheckInputSize(uint64_t file_bytes, uint64_t bytes_per_sample) {
  InputSizeCheck r;
  std::ostringstream os;
  if (bytes_per_sample == 0) {
    r.error = "cannot be used: the model's inputs have 0 bytes per sample";
    return r;
  }
  if (file_bytes == 0 || file_bytes % bytes_per_sample != 0) {
    os << "has " << file_bytes << " bytes, not a positive multiple of " << bytes_per_sample
       << " bytes per sample (the model's inputs, as raw little-endian float32)";
    if (file_bytes > bytes_per_sample) {
      os << "; " << file_bytes / bytes_per_sample << " whole samples and " << file_bytes % bytes_per_sample
         << " extra bytes";
    }
    r.error = os.str();
    return r;
  }
  r.ok = true;
  r.samples = file_bytes / bytes_per_sample;
  return r;
}

uint64_t SplitMix64::Next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

float SplitMix64::NextUnitFloat() {
  return static_cast<float>(Next() >> 40) * (1.0f / 16777216.0f);  // 24 bits / 2^24
}

namespace {

uint16_t FloatToHalf(float f) {
  // Only used for values in [0, 1): normal or zero results, round to nearest.
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000;
  const int exp = static_cast<int>((x >> 23) & 0xff) - 127 + 15;
  uint32_t mant = x & 0x7fffff;
  if (exp <= 0) return static_cast<uint16_t>(sign);  // flush tiny values to zero
  if (exp >= 31) return static_cast<uint16_t>(sign | 0x7c00);
  uint32_t h = sign | (static_cast<uint32_t>(exp) << 10) | (mant >> 13);
  if (mant & 0x1000) ++h;  // round half up
  return static_cast<uint16_t>(h);
}

template <typename T>
void FillInts(void* data, size_t bytes, SplitMix64* rng, uint64_t modulo) {
  const size_t n = bytes / sizeof(T);
  T* p = static_cast<T*>(data);
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<T>(rng->Next() % modulo);
}

template <typename T>
void ToFloat(const void* src, size_t count, float* dst) {
  const T* p = static_cast<const T*>(src);
  for (size_t i = 0; i < count; ++i) dst[i] = static_cast<float>(p[i]);
}

}  // namespace

void FillPseudoRandom(int code, void* data, size_t bytes, SplitMix64* rng) {
  switch (code) {
    case kFloat32: {
      float* p = static_cast<float*>(data);
      for (size_t i = 0; i < bytes / 4; ++i) p[i] = rng->NextUnitFloat();
      return;
    }
    case kFloat64: {
      double* p = static_cast<double*>(data);
      for (size_t i = 0; i < bytes / 8; ++i) p[i] = rng->NextUnitFloat();
      return;
    }
    case kFloat16: {
      uint16_t* p = static_cast<uint16_t*>(data);
      for (size_t i = 0; i < bytes / 2; ++i) p[i] = FloatToHalf(rng->NextUnitFloat());
      return;
    }
    case kBool: FillInts<uint8_t>(data, bytes, rng, 2); return;
    case kUInt8: FillInts<uint8_t>(data, bytes, rng, 256); return;
    case kInt8: FillInts<int8_t>(data, bytes, rng, 10); return;
    case kInt16: FillInts<int16_t>(data, bytes, rng, 10); return;
    case kUInt16: FillInts<uint16_t>(data, bytes, rng, 10); return;
    case kInt32: FillInts<int32_t>(data, bytes, rng, 10); return;
    case kUInt32: FillInts<uint32_t>(data, bytes, rng, 10); return;
    case kInt64: FillInts<int64_t>(data, bytes, rng, 10); return;
    case kUInt64: FillInts<uint64_t>(data, bytes, rng, 10); return;
    default: FillInts<uint8_t>(data, bytes, rng, 256); return;
  }
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  const uint32_t mant = h & 0x3ff;
  float f;
  if (exp == 0) {
    f = std::ldexp(static_cast<float>(mant), -24);  // zero or subnormal
    return sign ? -f : f;
  }
  uint32_t x;
  if (exp == 31) {
    x = sign | 0x7f800000u | (mant << 13);  // inf or NaN
  } else {
    x = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  }
  std::memcpy(&f, &x, 4);
  return f;
}

bool ConvertToFloat32(int code, const void* src, size_t count, float* dst) {
  switch (code) {
    case kFloat32: std::memcpy(dst, src, count * 4); return true;
    case kFloat64: ToFloat<double>(src, count, dst); return true;
    case kFloat16: {
      const uint16_t* p = static_cast<const uint16_t*>(src);
      for (size_t i = 0; i < count; ++i) dst[i] = HalfToFloat(p[i]);
      return true;
    }
    case kBool:
    case kUInt8: ToFloat<uint8_t>(src, count, dst); return true;
    case kInt8: ToFloat<int8_t>(src, count, dst); return true;
    case kInt16: ToFloat<int16_t>(src, count, dst); return true;
    case kUInt16: ToFloat<uint16_t>(src, count, dst); return true;
    case kInt32: ToFloat<int32_t>(src, count, dst); return true;
    case kUInt32: ToFloat<uint32_t>(src, count, dst); return true;
    case kInt64: ToFloat<int64_t>(src, count, dst); return true;
    case kUInt64: ToFloat<uint64_t>(src, count, dst); return true;
    default: return false;
  }
}

}  // namespace device_bench
