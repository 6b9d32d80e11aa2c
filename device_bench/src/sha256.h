// SHA-256 (FIPS 180-4), small and self-contained.
#ifndef DEVICE_BENCH_SHA256_H_
#define DEVICE_BENCH_SHA256_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace device_bench {

class Sha256 {
 public:
  Sha256();
  void Update(const void* data, size_t len);
  std::array<uint8_t, 32> Final();  // the object must not be updated afterwards
  std::string HexFinal();           // Final() as 64 lowercase hex digits

 private:
  void Block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_len_ = 0;
};

std::string Sha256Hex(const void* data, size_t len);

}  // namespace device_bench

#endif  // DEVICE_BENCH_SHA256_H_
