// A tiny test harness: TEST(name) { CHECK(...); CHECK_EQ(a, b); CHECK_NEAR(a, b, tol); }
#ifndef DEVICE_BENCH_TESTS_HARNESS_H_
#define DEVICE_BENCH_TESTS_HARNESS_H_

#include <cmath>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace harness {

struct Test {
  const char* name;
  std::function<void()> fn;
};

std::vector<Test>& Registry();
int& Failures();  // failed checks in the current test

struct Registrar {
  Registrar(const char* name, std::function<void()> fn) { Registry().push_back({name, std::move(fn)}); }
};

inline void Report(const char* file, int line, const std::string& what) {
  ++Failures();
  std::cerr << file << ":" << line << ": FAILED: " << what << "\n";
}

template <typename A, typename B>
void CheckEq(const A& a, const B& b, const char* as, const char* bs, const char* file, int line) {
  if (!(a == b)) {
    std::ostringstream os;
    os << as << " == " << bs << "\n    left:  " << a << "\n    right: " << b;
    Report(file, line, os.str());
  }
}

}  // namespace harness

#define HARNESS_CAT2(a, b) a##b
#define HARNESS_CAT(a, b) HARNESS_CAT2(a, b)
#define TEST(name)                                                                        \
  static void HARNESS_CAT(test_, name)();                                                 \
  static const harness::Registrar HARNESS_CAT(registrar_, name)(#name, &HARNESS_CAT(test_, name)); \
  static void HARNESS_CAT(test_, name)()

#define CHECK(cond)                                          \
  do {                                                       \
    if (!(cond)) harness::Report(__FILE__, __LINE__, #cond); \
  } while (0)
#define CHECK_EQ(a, b) harness::CheckEq((a), (b), #a, #b, __FILE__, __LINE__)
#define CHECK_NEAR(a, b, tol)                                                                   \
  do {                                                                                          \
    const double harness_a = (a), harness_b = (b);                                              \
    if (!(std::fabs(harness_a - harness_b) <= (tol))) {                                         \
      std::ostringstream harness_os;                                                            \
      harness_os << #a << " ~= " << #b << " (tol " << (tol) << "): " << harness_a << " vs " << harness_b; \
      harness::Report(__FILE__, __LINE__, harness_os.str());                                    \
    }                                                                                           \
  } while (0)
#define CHECK_CONTAINS(haystack, needle)                                                          \
  do {                                                                                            \
    const std::string harness_h = (haystack), harness_n = (needle);                               \
    if (harness_h.find(harness_n) == std::string::npos) {                                         \
      harness::Report(__FILE__, __LINE__, "'" + harness_h + "' does not contain '" + harness_n + "'"); \
    }                                                                                             \
  } while (0)

#endif  // DEVICE_BENCH_TESTS_HARNESS_H_
