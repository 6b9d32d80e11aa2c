// bare_predict: the smallest honest Predict loop, the baseline device_bench's harness overhead is
// measured against (benchmarks/harness_overhead.py). Same context as device_bench's defaults (CPU,
// no affinity, no fp16), same pseudo-random input; then N timed Predict calls (steady_clock).
//
//   bare_predict MODEL.ms LOOPS [WARMUP=10] [THREADS=1]
// prints: p50_ms=<median> min_ms=<min> runs=<N>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

#include "include/api/context.h"
#include "include/api/model.h"
#include "stats.h"
#include "tensor_data.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bare_predict MODEL.ms LOOPS [WARMUP=10] [THREADS=1]\n");
    return 2;
  }
  const long loops = std::atol(argv[2]);
  const long warmup = argc > 3 ? std::atol(argv[3]) : 10;
  const int threads = argc > 4 ? std::atoi(argv[4]) : 1;
  std::ifstream f(argv[1], std::ios::binary);
  std::vector<char> data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (data.empty() || loops < 1) {
    std::fprintf(stderr, "bare_predict: cannot read %s or LOOPS < 1\n", argv[1]);
    return 2;
  }
  auto context = std::make_shared<mindspore::Context>();
  context->SetThreadNum(threads);
  auto cpu = std::make_shared<mindspore::CPUDeviceInfo>();
  cpu->SetEnableFP16(false);
  context->MutableDeviceInfo().push_back(cpu);
  mindspore::Model model;
  if (model.Build(data.data(), data.size(), mindspore::ModelType::kMindIR_Lite, context) != mindspore::kSuccess) {
    std::fprintf(stderr, "bare_predict: build failed\n");
    return 1;
  }
  std::vector<mindspore::MSTensor> inputs = model.GetInputs();
  device_bench::SplitMix64 rng(device_bench::kDefaultSeed);
  for (mindspore::MSTensor& t : inputs) {
    device_bench::FillPseudoRandom(static_cast<int>(t.DataType()), t.MutableData(), t.DataSize(), &rng);
  }
  std::vector<mindspore::MSTensor> outputs = model.GetOutputs();
  for (long i = 0; i < 1 + warmup; ++i) {
    if (model.Predict(inputs, &outputs) != mindspore::kSuccess) {
      std::fprintf(stderr, "bare_predict: predict failed\n");
      return 1;
    }
  }
  std::vector<double> runs(static_cast<size_t>(loops));
  for (long i = 0; i < loops; ++i) {
    const auto a = std::chrono::steady_clock::now();
    model.Predict(inputs, &outputs);
    const auto b = std::chrono::steady_clock::now();
    runs[static_cast<size_t>(i)] = std::chrono::duration<double, std::milli>(b - a).count();
  }
  const device_bench::Summary s = device_bench::Summarize(runs);
  std::printf("p50_ms=%.6f min_ms=%.6f runs=%ld\n", s.p50, s.min, loops);
  return 0;
}
