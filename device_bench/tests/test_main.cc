#include <cstring>
#include <exception>

#include "harness.h"

namespace harness {
std::vector<Test>& Registry() {
  static std::vector<Test> tests;
  return tests;
}
int& Failures() {
  static int failures = 0;
  return failures;
}
}  // namespace harness

// Usage: device_bench_tests [substring]  (runs the tests whose name contains it)
int main(int argc, char** argv) {
  int failed_tests = 0;
  int run = 0;
  for (const harness::Test& t : harness::Registry()) {
    if (argc > 1 && std::strstr(t.name, argv[1]) == nullptr) continue;
    ++run;
    harness::Failures() = 0;
    try {
      t.fn();
    } catch (const std::exception& e) {
      harness::Report(t.name, 0, std::string("exception: ") + e.what());
    } catch (...) {
      harness::Report(t.name, 0, "unknown exception");
    }
    const bool ok = harness::Failures() == 0;
    std::cout << (ok ? "[ OK ] " : "[FAIL] ") << t.name << "\n";
    if (!ok) ++failed_tests;
  }
  std::cout << run - failed_tests << "/" << run << " tests passed\n";
  return failed_tests == 0 && run > 0 ? 0 : 1;
}
