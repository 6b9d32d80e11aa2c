// Small text helpers shared by the flag parser and the power code.
#ifndef DEVICE_BENCH_TEXT_H_
#define DEVICE_BENCH_TEXT_H_

#include <string>

namespace device_bench {

// ASCII lower case.
std::string Lower(std::string s);
// `v` with `digits` decimals ("%.*f").
std::string Fixed(double v, int digits);

}  // namespace device_bench

#endif  // DEVICE_BENCH_TEXT_H_
