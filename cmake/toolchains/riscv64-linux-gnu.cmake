# riscv64-linux-gnu.cmake - cross toolchain: 64-bit RISC-V (RV64GC, lp64d), Linux, glibc.
# SPDX-License-Identifier: Apache-2.0
#
# Debian's cross compiler (riscv64-linux-gnu-gcc, package gcc-riscv64-linux-gnu) and its
# libc (libc6-dev-riscv64-cross, in /usr/riscv64-linux-gnu). Binaries run under
# qemu-user: qemu-riscv64 -L /usr/riscv64-linux-gnu PROGRAM (see scripts/cross.sh).
#   cmake -S . -B build-cross-riscv64 \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/riscv64-linux-gnu.cmake
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(MANTLE_CROSS_TRIPLE riscv64-linux-gnu)

set(CMAKE_C_COMPILER riscv64-linux-gnu-gcc)
set(CMAKE_AR riscv64-linux-gnu-ar CACHE FILEPATH "")
set(CMAKE_RANLIB riscv64-linux-gnu-ranlib CACHE FILEPATH "")
set(CMAKE_STRIP riscv64-linux-gnu-strip CACHE FILEPATH "")

# Target libraries and headers come from the cross libc and from
# MANTLE_CROSS_DEPS (jansson, built by scripts/cross-deps.sh); programs
# (wat2wasm, clang for wasm32 guests) from the host. pkg-config must not
# hand out the host's libraries.
set(CMAKE_FIND_ROOT_PATH /usr/riscv64-linux-gnu)
if(MANTLE_CROSS_DEPS)
  list(APPEND CMAKE_FIND_ROOT_PATH ${MANTLE_CROSS_DEPS})
  set(ENV{PKG_CONFIG_LIBDIR} ${MANTLE_CROSS_DEPS}/lib/pkgconfig)
else()
  set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/riscv64-linux-gnu/pkgconfig)
endif()
set(ENV{PKG_CONFIG_PATH} "")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Tests registered with CTest run through the emulator.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-riscv64 -L /usr/riscv64-linux-gnu)
