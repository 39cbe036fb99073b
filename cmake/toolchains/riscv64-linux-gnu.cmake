# riscv64-linux-gnu.cmake - cross toolchain: 64-bit RISC-V (RV64GC, lp64d), Linux, glibc.
# SPDX-License-Identifier: Apache-2.0
#
# Debian's cross compiler (riscv64-linux-gnu-gcc, package gcc-riscv64-linux-gnu) and its
# libc (libc6-dev-riscv64-cross, in /usr/riscv64-linux-gnu). Binaries run under
# qemu-user: qemu-riscv64 -L /usr/riscv64-linux-gnu PROGRAM (see scripts/cross.sh).
#   cmake -S . -B build-cross-riscv64 \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/riscv64-linux-gnu.cmake
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(MANTLE_CROSS_TRIPLE riscv64-linux-gnu)
set(MANTLE_CROSS_QEMU qemu-riscv64)
include(${CMAKE_CURRENT_LIST_DIR}/linux-gnu-common.cmake)
