// The version string of this build: "<MINDEDGE_VERSION>+<MINDEDGE_BUILD_ID>", e.g.
// "0.1.0+g1a2b3c4d5e6f" (cmake/MindedgeVersion.cmake). Only build_version.cc is compiled with it,
// so a new build id recompiles one file.
#ifndef DEVICE_BENCH_BUILD_VERSION_H_
#define DEVICE_BENCH_BUILD_VERSION_H_

namespace device_bench {

const char* ToolVersion();

}  // namespace device_bench

#endif  // DEVICE_BENCH_BUILD_VERSION_H_
