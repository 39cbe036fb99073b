# armv7-linux-gnu.cmake - cross toolchain: 32-bit Arm, ARMv7-A hard-float (Debian armhf: VFPv3-D16, Thumb-2), Linux, glibc.
# SPDX-License-Identifier: Apache-2.0
#
# Debian's cross compiler (arm-linux-gnueabihf-gcc, package gcc-arm-linux-gnueabihf) and its
# libc (libc6-dev-armhf-cross, in /usr/arm-linux-gnueabihf). Binaries run under
# qemu-user: qemu-arm -L /usr/arm-linux-gnueabihf PROGRAM (see scripts/cross.sh).
#   cmake -S . -B build-cross-armv7 \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/armv7-linux-gnu.cmake
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(MANTLE_CROSS_TRIPLE arm-linux-gnueabihf)

set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc)
set(CMAKE_AR arm-linux-gnueabihf-ar CACHE FILEPATH "")
set(CMAKE_RANLIB arm-linux-gnueabihf-ranlib CACHE FILEPATH "")
set(CMAKE_STRIP arm-linux-gnueabihf-strip CACHE FILEPATH "")

# Target libraries and headers come from the cross libc and from
# MANTLE_CROSS_DEPS (jansson, built by scripts/cross-deps.sh); programs
# (wat2wasm, clang for wasm32 guests) from the host. pkg-config must not
# hand out the host's libraries.
set(CMAKE_FIND_ROOT_PATH /usr/arm-linux-gnueabihf)
if(MANTLE_CROSS_DEPS)
  list(APPEND CMAKE_FIND_ROOT_PATH ${MANTLE_CROSS_DEPS})
  set(ENV{PKG_CONFIG_LIBDIR} ${MANTLE_CROSS_DEPS}/lib/pkgconfig)
else()
  set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/arm-linux-gnueabihf/pkgconfig)
endif()
set(ENV{PKG_CONFIG_PATH} "")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Tests registered with CTest run through the emulator.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-arm -L /usr/arm-linux-gnueabihf)
