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
#
# MANTLE_CROSS_MULTIARCH=ON (the fleet node tree, scripts/cross.sh node):
# Debian's own packages of the target architecture (dpkg multiarch,
# installed by scripts/deps.sh for arm64) as well, in /usr/lib/TRIPLE and
# /usr/include/TRIPLE, for the libraries that would be long to build
# (libnats, libcurl, tpm2-tss, ...).
# try_compile() re-reads this file in the same process: without the two
# options it would set PKG_CONFIG_LIBDIR back to the plain cross default.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES MANTLE_CROSS_DEPS
     MANTLE_CROSS_MULTIARCH)
set(CMAKE_FIND_ROOT_PATH /usr/${MANTLE_CROSS_TRIPLE})
set(_mantle_pc "")
if(MANTLE_CROSS_DEPS)
  list(APPEND CMAKE_FIND_ROOT_PATH ${MANTLE_CROSS_DEPS})
  set(_mantle_pc ${MANTLE_CROSS_DEPS}/lib/pkgconfig)
endif()
if(MANTLE_CROSS_MULTIARCH OR NOT MANTLE_CROSS_DEPS)
  list(APPEND _mantle_pc /usr/lib/${MANTLE_CROSS_TRIPLE}/pkgconfig)
endif()
if(MANTLE_CROSS_MULTIARCH)
  list(APPEND CMAKE_FIND_ROOT_PATH /)
  list(APPEND _mantle_pc /usr/share/pkgconfig)
  string(APPEND CMAKE_C_FLAGS_INIT " -isystem /usr/include/${MANTLE_CROSS_TRIPLE}")
endif()
string(REPLACE ";" ":" _mantle_pc "${_mantle_pc}")
set(ENV{PKG_CONFIG_LIBDIR} "${_mantle_pc}")
set(ENV{PKG_CONFIG_PATH} "")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Tests registered with CTest run through the emulator, with the cross
# toolchain's libc next to its dynamic linker (scripts/cross.sh guest_env:
# why).
set(CMAKE_CROSSCOMPILING_EMULATOR ${MANTLE_CROSS_QEMU} -L /usr/${MANTLE_CROSS_TRIPLE}
    -E LD_LIBRARY_PATH=/usr/${MANTLE_CROSS_TRIPLE}/lib)
