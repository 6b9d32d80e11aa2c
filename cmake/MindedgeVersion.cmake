# The version string baked into mindedge's native tools (device_bench, mslite_convert):
#
#   MINDEDGE_VERSION_STRING = "<MINDEDGE_VERSION>+<MINDEDGE_BUILD_ID>", e.g. "0.1.0+g1a2b3c4d5e6f"
#
# Cache variables (both projects):
#   MINDEDGE_VERSION   e.g. 0.1.0; empty (the default) = `version = "..."` of [project] in the
#                      repository's pyproject.toml, the single version source (configure fails when
#                      it cannot be read)
#   MINDEDGE_BUILD_ID  an opaque id of the sources, e.g. g1a2b3c4d5e6f (commit) or a digest; empty
#                      (the default) = "unknown"
# Both are [0-9A-Za-z._-]+ (the version has no '+': it separates the build id).
#
# Included from a project it sets MINDEDGE_VERSION_STRING; in script mode (cmake -P) it only defines
# the functions (tests/test_version.cmake of device_bench calls them).

set(MINDEDGE_PYPROJECT "${CMAKE_CURRENT_LIST_DIR}/../pyproject.toml")
get_filename_component(MINDEDGE_PYPROJECT "${MINDEDGE_PYPROJECT}" ABSOLUTE)

# `version = "..."` of the [project] table of `pyproject` -> out_var; FATAL_ERROR when there is none.
function(mindedge_pyproject_version pyproject out_var)
  if(NOT EXISTS "${pyproject}")
    message(FATAL_ERROR "mindedge version: MINDEDGE_VERSION is not set and '${pyproject}' does not exist, "
                        "so the version cannot be read from it; pass -DMINDEDGE_VERSION=X.Y.Z "
                        "(the version in mindedge's pyproject.toml), or run `mindedge sdk build`")
  endif()
  file(READ "${pyproject}" _text)
  set(_text "\n${_text}")
  string(FIND "${_text}" "\n[project]" _at)
  set(_found "")
  if(_at GREATER_EQUAL 0)
    math(EXPR _at "${_at} + 10")
    string(SUBSTRING "${_text}" ${_at} -1 _table)
    string(FIND "${_table}" "\n[" _end)
    if(_end GREATER_EQUAL 0)
      string(SUBSTRING "${_table}" 0 ${_end} _table)
    endif()
    if(_table MATCHES "\n[ \t]*version[ \t]*=[ \t]*\"([^\"\n]*)\"")
      set(_found "${CMAKE_MATCH_1}")
    endif()
  endif()
  if(_found STREQUAL "")
    message(FATAL_ERROR "mindedge version: MINDEDGE_VERSION is not set and '${pyproject}' has no "
                        "`version = \"...\"` line in its [project] table; fix that file or pass "
                        "-DMINDEDGE_VERSION=X.Y.Z")
  endif()
  set(${out_var} "${_found}" PARENT_SCOPE)
endfunction()

# "<version>+<build id>" -> out_var, with the defaults above; FATAL_ERROR on a malformed value.
function(mindedge_version_string version build_id pyproject out_var)
  set(_from "MINDEDGE_VERSION")
  if(version STREQUAL "")
    mindedge_pyproject_version("${pyproject}" version)
    set(_from "the version in '${pyproject}'")
  endif()
  if(NOT version MATCHES "^[0-9A-Za-z._-]+$")
    message(FATAL_ERROR "mindedge version: ${_from} is '${version}'; it must consist of [0-9A-Za-z._-] "
                        "only (no '+': that separates the build id), e.g. 0.1.0")
  endif()
  if(build_id STREQUAL "")
    set(build_id "unknown")
  endif()
  if(NOT build_id MATCHES "^[0-9A-Za-z._-]+$")
    message(FATAL_ERROR "mindedge version: MINDEDGE_BUILD_ID is '${build_id}'; it must consist of "
                        "[0-9A-Za-z._-] only, e.g. g1a2b3c4d5e6f")
  endif()
  set(${out_var} "${version}+${build_id}" PARENT_SCOPE)
endfunction()

if(NOT CMAKE_SCRIPT_MODE_FILE)
  set(MINDEDGE_VERSION "" CACHE STRING
      "mindedge version, e.g. 0.1.0 (empty: version = \"...\" in the repository's pyproject.toml)")
  set(MINDEDGE_BUILD_ID "" CACHE STRING
      "Build id of the sources, [0-9A-Za-z._-]+, e.g. g1a2b3c4d5e6f (empty: unknown)")
  if(MINDEDGE_VERSION STREQUAL "")
    # Re-configure when the version source changes.
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${MINDEDGE_PYPROJECT}")
  endif()
  mindedge_version_string("${MINDEDGE_VERSION}" "${MINDEDGE_BUILD_ID}" "${MINDEDGE_PYPROJECT}"
                          MINDEDGE_VERSION_STRING)
  message(STATUS "mindedge version string: ${MINDEDGE_VERSION_STRING}")
endif()
