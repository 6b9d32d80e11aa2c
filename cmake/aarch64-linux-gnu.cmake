# Cross-compiling for aarch64 Linux (glibc) with Debian's g++-aarch64-linux-gnu:
#
#   cmake -S device_bench -B build/aarch64/device_bench -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
#         -DMSLITE_ROOT=<aarch64 SDK>        (what `mindedge sdk build --arch aarch64` runs)
#
# Tests (ctest) run under qemu-user when it is installed (Debian qemu-user-static): the emulator gets the
# cross toolchain's sysroot as its library prefix.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(MINDEDGE_AARCH64_SYSROOT "/usr/aarch64-linux-gnu" CACHE PATH "Sysroot of the aarch64 cross toolchain")
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_FIND_ROOT_PATH "${MINDEDGE_AARCH64_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

find_program(MINDEDGE_QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64)
if(MINDEDGE_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${MINDEDGE_QEMU_AARCH64};-L;${MINDEDGE_AARCH64_SYSROOT}")
endif()
