# Tests of cmake/MindedgeVersion.cmake, run by ctest as
#   cmake -DMODULE=<module> -DWORK=<scratch dir> -P test_version.cmake
# Each case runs the module's function in a child `cmake -P` (a FATAL_ERROR ends only the child) and
# checks its exit code and output. With -DCASE=... this file is that child.
cmake_minimum_required(VERSION 3.16)

if(DEFINED CASE)  # ---- child: one call, prints "RESULT=<string>" --------------------------------
  include("${MODULE}")
  mindedge_version_string("${VERSION}" "${BUILD_ID}" "${PYPROJECT}" _out)
  message("RESULT=${_out}")
  return()
endif()

set(_failures 0)
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")

# expect(<name> <pyproject text or MISSING> <version> <build id> <0|1: should fail> <substring of output>)
function(expect name pyproject_text version build_id should_fail needle)
  set(_py "${WORK}/${name}.toml")
  if(NOT pyproject_text STREQUAL "MISSING")
    file(WRITE "${_py}" "${pyproject_text}")
  endif()
  execute_process(
    COMMAND "${CMAKE_COMMAND}" -DCASE=${name} -DMODULE=${MODULE} -DPYPROJECT=${_py} "-DVERSION=${version}"
            "-DBUILD_ID=${build_id}" -P "${CMAKE_CURRENT_LIST_FILE}"
    RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
  set(_text "${_out}${_err}")
  string(REGEX REPLACE "[ \t\n]+" " " _flat "${_text}")  # CMake wraps long messages
  set(_ok TRUE)
  if(should_fail AND _rc EQUAL 0)
    set(_ok FALSE)
  elseif(NOT should_fail AND NOT _rc EQUAL 0)
    set(_ok FALSE)
  endif()
  string(FIND "${_flat}" "${needle}" _at)
  if(_at LESS 0)
    set(_ok FALSE)
  endif()
  if(_ok)
    message(STATUS "[ OK ] ${name}")
  else()
    message(STATUS "[FAIL] ${name}: exit ${_rc}, expected '${needle}' in: ${_flat}")
    math(EXPR _f "${_failures} + 1")
    set(_failures ${_f} PARENT_SCOPE)
  endif()
endfunction()

set(_py_ok "[build-system]\nrequires = [\n  \"setuptools>=64\",\n]\n\n[project]\nname = \"mindedge\"\nversion = \"1.2.3\"\ndependencies = [\n  \"numpy<2; python_version < '3.11'\",\n]\n\n[tool.ruff]\ntarget-version = \"py310\"\n")
expect(from_pyproject "${_py_ok}" "" "g1a2b3c" 0 "RESULT=1.2.3+g1a2b3c")
expect(default_build_id "${_py_ok}" "" "" 0 "RESULT=1.2.3+unknown")
expect(given_version_wins "${_py_ok}" "0.1.0" "abc.def-1_2" 0 "RESULT=0.1.0+abc.def-1_2")
expect(given_version_needs_no_pyproject MISSING "0.1.0" "x" 0 "RESULT=0.1.0+x")
# Only [project]'s version counts: the same key in another table is not it.
expect(version_of_other_table "[tool.poetry]\nversion = \"9.9.9\"\n[project]\nname = \"m\"\n" "" "x" 1
       "has no `version = \"...\"` line in its [project] table")
expect(missing_pyproject MISSING "" "x" 1 "does not exist")
expect(bad_build_id "${_py_ok}" "" "g1 2;3" 1 "MINDEDGE_BUILD_ID is 'g1 2")
expect(build_id_with_quote "${_py_ok}" "" "a\"b" 1 "MINDEDGE_BUILD_ID is")
expect(version_with_plus "${_py_ok}" "0.1.0+x" "y" 1 "no '+'")

if(_failures GREATER 0)
  message(FATAL_ERROR "${_failures} version module case(s) failed")
endif()
message(STATUS "all version module cases passed")
