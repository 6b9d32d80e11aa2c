# Shared by converters/native and device_bench: the MSLITE_ROOT cache variable.
# Default: the MSLITE_ROOT environment variable, else the SDK that `mindedge sdk install` unpacks.
if(DEFINED ENV{MSLITE_ROOT} AND NOT "$ENV{MSLITE_ROOT}" STREQUAL "")
  set(_mslite_default "$ENV{MSLITE_ROOT}")
elseif(DEFINED ENV{MINDEDGE_HOME} AND NOT "$ENV{MINDEDGE_HOME}" STREQUAL "")
  set(_mslite_default "$ENV{MINDEDGE_HOME}/sdk/mindspore-lite-2.0.0")
else()
  set(_mslite_default "$ENV{HOME}/.cache/mindedge/sdk/mindspore-lite-2.0.0")
endif()
set(MSLITE_ROOT "${_mslite_default}" CACHE PATH
    "MindSpore Lite SDK root: wheel layout (lib/, include/) or vendor package (runtime/, tools/converter/)")
