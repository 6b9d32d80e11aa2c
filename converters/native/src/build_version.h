// The version string of this build: "<MINDEDGE_VERSION>+<MINDEDGE_BUILD_ID>", e.g.
// "0.1.0+g1a2b3c4d5e6f" (cmake/MindedgeVersion.cmake). Only build_version.cc is compiled with it,
// so a new build id recompiles one file.
#ifndef MINDEDGE_MSLITE_BUILD_VERSION_H_
#define MINDEDGE_MSLITE_BUILD_VERSION_H_

namespace mindedge {

const char *ConvertVersion();

}  // namespace mindedge

#endif  // MINDEDGE_MSLITE_BUILD_VERSION_H_
