#include "build_version.h"

#ifndef MINDEDGE_VERSION_STRING
#error "MINDEDGE_VERSION_STRING must be defined by the build (cmake/MindedgeVersion.cmake)"
#endif

namespace mindedge {

const char *ConvertVersion() { return MINDEDGE_VERSION_STRING; }

}  // namespace mindedge
