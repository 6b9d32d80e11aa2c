#include "build_version.h"

#ifndef MINDEDGE_VERSION_STRING
#error "MINDEDGE_VERSION_STRING must be defined by the build (cmake/MindedgeVersion.cmake)"
#endif

namespace device_bench {

const char* ToolVersion() { return MINDEDGE_VERSION_STRING; }

}  // namespace device_bench
