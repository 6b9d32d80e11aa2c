#include <string>

#include "harness.h"
#include "sha256.h"

using device_bench::Sha256;
using device_bench::Sha256Hex;

TEST(sha256_known_vectors) {
  // FIPS 180-2 / NIST examples.
  CHECK_EQ(Sha256Hex("", 0), std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  CHECK_EQ(Sha256Hex("abc", 3), std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  CHECK_EQ(Sha256Hex(two_blocks.data(), two_blocks.size()),
           std::string("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
  const std::string long_msg =
      "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
  CHECK_EQ(Sha256Hex(long_msg.data(), long_msg.size()),
           std::string("cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"));
  CHECK_EQ(Sha256Hex("The quick brown fox jumps over the lazy dog", 43),
           std::string("d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"));
}

TEST(sha256_million_a_in_odd_chunks) {
  Sha256 h;
  const std::string chunk(997, 'a');
  size_t left = 1000000;
  while (left > 0) {
    const size_t n = left < chunk.size() ? left : chunk.size();
    h.Update(chunk.data(), n);
    left -= n;
  }
  CHECK_EQ(h.HexFinal(), std::string("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
}

TEST(sha256_padding_boundaries) {
  // Lengths around the 55/56/64-byte padding edges must match one-shot hashing of the same bytes
  // fed one byte at a time.
  for (size_t len : {55u, 56u, 57u, 63u, 64u, 65u, 119u, 120u, 128u}) {
    const std::string msg(len, 'x');
    Sha256 bytewise;
    for (char c : msg) bytewise.Update(&c, 1);
    CHECK_EQ(bytewise.HexFinal(), Sha256Hex(msg.data(), msg.size()));
  }
  const std::string m55(55, 'a');
  CHECK_EQ(Sha256Hex(m55.data(), 55), std::string("9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"));
  const std::string m64(64, 'a');
  CHECK_EQ(Sha256Hex(m64.data(), 64), std::string("ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"));
}
