# linux-gnu-common.cmake - what every cross toolchain file shares: Debian's
# cross binutils and libc for MANTLE_CROSS_TRIPLE, the find-root rules, and
# qemu-user (MANTLE_CROSS_QEMU) as the emulator for tests. Included by
# ARCH-linux-gnu.cmake after it sets those two and the processor.
# SPDX-License-Identifier: Apache-2.0
set(CMAKE_SYSTEM_NAME Linux)

set(CMAKE_C_COMPILER ${MANTLE_CROSS_TRIPLE}-gcc)
set(CMAKE_AR ${MANTLE_CROSS_TRIPLE}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${MANTLE_CROSS_TRIPLE}-ranlib CACHE FILEPATH "")
set(CMAKE_STRIP ${MANTLE_CROSS_TRIPLE}-strip CACHE FILEPATH "")

# Target libraries and headers come from the cross libc and from
# MANTLE_CROSS_DEPS (jansson, built by scripts/cross-deps.sh); programs
# (wat2wasm, clang for wasm32 guests) from the host. pkg-config must not
# hand out the host's libraries.
set(CMAKE_FIND_ROOT_PATH /usr/${MANTLE_CROSS_TRIPLE})
if(MANTLE_CROSS_DEPS)
  list(APPEND CMAKE_FIND_ROOT_PATH ${MANTLE_CROSS_DEPS})
  set(ENV{PKG_CONFIG_LIBDIR} ${MANTLE_CROSS_DEPS}/lib/pkgconfig)
else()
  set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/${MANTLE_CROSS_TRIPLE}/pkgconfig)
endif()
set(ENV{PKG_CONFIG_PATH} "")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Tests registered with CTest run through the emulator.
set(CMAKE_CROSSCOMPILING_EMULATOR ${MANTLE_CROSS_QEMU} -L /usr/${MANTLE_CROSS_TRIPLE})
