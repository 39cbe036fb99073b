# armv7-linux-gnu.cmake - cross toolchain: 32-bit Arm, ARMv7-A hard-float (Debian armhf: VFPv3-D16, Thumb-2), Linux, glibc.
# SPDX-License-Identifier: Apache-2.0
#
# Debian's cross compiler (arm-linux-gnueabihf-gcc, package gcc-arm-linux-gnueabihf) and its
# libc (libc6-dev-armhf-cross, in /usr/arm-linux-gnueabihf). Binaries run under
# qemu-user: qemu-arm -L /usr/arm-linux-gnueabihf PROGRAM (see scripts/cross.sh).
#   cmake -S . -B build-cross-armv7 \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/armv7-linux-gnu.cmake
set(CMAKE_SYSTEM_PROCESSOR arm)
set(MANTLE_CROSS_TRIPLE arm-linux-gnueabihf)
set(MANTLE_CROSS_QEMU qemu-arm)
# NEON (Advanced SIMD): the SIMD fast paths (src/vm/simd_vec.h) lower to it.
# Debian armhf's baseline is VFPv3-D16 without NEON; a core without it
# (Tegra 2, some Cortex-A9) needs -DMANTLE_ARMV7_FPU=vfpv3-d16, with which
# the vector code falls back to the compiler's scalar lowering.
set(MANTLE_ARMV7_FPU neon CACHE STRING "-mfpu= for armv7 (neon, or vfpv3-d16)")
set(CMAKE_C_FLAGS_INIT "-mfpu=${MANTLE_ARMV7_FPU}")
include(${CMAKE_CURRENT_LIST_DIR}/linux-gnu-common.cmake)
