# aarch64-linux-gnu.cmake - cross toolchain: 64-bit Arm (ARMv8-A), little-endian, Linux, glibc.
# SPDX-License-Identifier: Apache-2.0
#
# Debian's cross compiler (aarch64-linux-gnu-gcc, package gcc-aarch64-linux-gnu) and its
# libc (libc6-dev-arm64-cross, in /usr/aarch64-linux-gnu). Binaries run under
# qemu-user: qemu-aarch64 -L /usr/aarch64-linux-gnu PROGRAM (see scripts/cross.sh).
#   cmake -S . -B build-cross-aarch64 \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(MANTLE_CROSS_TRIPLE aarch64-linux-gnu)
set(MANTLE_CROSS_QEMU qemu-aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/linux-gnu-common.cmake)
