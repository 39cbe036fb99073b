# aarch64-linux-gnu.cmake - cross toolchain: 64-bit Arm (ARMv8-A), little-endian, Linux, glibc.
# SPDX-License-Identifier: Apache-2.0
#
# Debian's cross compiler (aarch64-linux-gnu-gcc, package gcc-aarch64-linux-gnu) and its
# libc (libc6-dev-arm64-cross, in /usr/aarch64-linux-gnu). Binaries run under
# qemu-user: qemu-aarch64 -L /usr/aarch64-linux-gnu PROGRAM (see scripts/cross.sh).
#   cmake -S . -B build-cross-aarch64 \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(MANTLE_CROSS_TRIPLE aarch64-linux-gnu)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_AR aarch64-linux-gnu-ar CACHE FILEPATH "")
set(CMAKE_RANLIB aarch64-linux-gnu-ranlib CACHE FILEPATH "")
set(CMAKE_STRIP aarch64-linux-gnu-strip CACHE FILEPATH "")

# Target libraries and headers come from the cross libc and from
# MANTLE_CROSS_DEPS (jansson, built by scripts/cross-deps.sh); programs
# (wat2wasm, clang for wasm32 guests) from the host. pkg-config must not
# hand out the host's libraries.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
if(MANTLE_CROSS_DEPS)
  list(APPEND CMAKE_FIND_ROOT_PATH ${MANTLE_CROSS_DEPS})
  set(ENV{PKG_CONFIG_LIBDIR} ${MANTLE_CROSS_DEPS}/lib/pkgconfig)
else()
  set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig)
endif()
set(ENV{PKG_CONFIG_PATH} "")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Tests registered with CTest run through the emulator.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/aarch64-linux-gnu)
