#!/usr/bin/env bash
# cross-deps.sh - build the target libraries a cross build needs (jansson,
# OpenSSL's libcrypto).
# SPDX-License-Identifier: Apache-2.0
#
# usage: cross-deps.sh TOOLCHAIN-FILE PREFIX [LIBRARY...]
#
# LIBRARY: jansson, openssl (the default: both) or libevent (for the fleet
# node tree, whose other libraries are Debian's multiarch packages:
# libevent-dev is the one of them that cannot be installed for two
# architectures at once).
#
# The spec runner links jansson; the AOT tier's artifacts are digested with
# libcrypto (SHA-256 through EVP). riscv64 is not a Debian 12 release
# architecture, so there is no libjansson-dev:riscv64 to install; rather
# than one way per target, every target gets the same: Debian's own source
# packages (`apt-get source`: checksums from the signed Sources index,
# Debian's patches applied) built as static libraries with the cross
# compiler into PREFIX/{include,lib}. Nothing is copied into the
# repository, and the host's dpkg architectures are left alone.
#
# libcrypto is configured small (no libssl, no TLS, only the algorithms a
# default provider needs for digests and AES; no-deprecated, no-dso):
# about 35 s per target on the 2-core CI machine.
#
# Idempotent: each library has a stamp (PREFIX/.done for jansson,
# PREFIX/.openssl-done); once both exist this returns at once. Needs the
# deb-src entries that scripts/deps.sh adds.
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 TOOLCHAIN-FILE PREFIX [jansson|openssl|libevent]..." >&2
    exit 2
fi
TOOLCHAIN=$(realpath "$1")
PREFIX=$(realpath -m "$2")
shift 2
LIBS=${*:-jansson openssl}
STAMP=$PREFIX/.done
OPENSSL_STAMP=$PREFIX/.openssl-done
LIBEVENT_STAMP=$PREFIX/.libevent-done
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

build_jansson() {
    local work=$PREFIX/work src
    rm -rf "$PREFIX"
    mkdir -p "$work"
    echo "cross-deps.sh: building jansson from Debian's source package into $PREFIX"
    (cd "$work" && apt-get source jansson) >"$work/source.log" 2>&1 ||
        { cat "$work/source.log" >&2; exit 1; }
    src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'jansson-*' | head -n 1)
    if [ -z "$src" ] || [ ! -f "$src/CMakeLists.txt" ]; then
        echo "cross-deps.sh: apt-get source jansson failed (deb-src entries missing? run scripts/deps.sh)" >&2
        exit 1
    fi
    cmake -S "$src" -B "$work/build" -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" \
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$PREFIX" \
        -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
        -DJANSSON_BUILD_SHARED_LIBS=OFF -DJANSSON_BUILD_DOCS=OFF \
        -DJANSSON_EXAMPLES=OFF -DJANSSON_WITHOUT_TESTS=ON >"$work/cmake.log" 2>&1 ||
        { cat "$work/cmake.log" >&2; exit 1; }
    cmake --build "$work/build" -j"$JOBS" --target install \
        >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
    rm -rf "$work"
    touch "$STAMP"
}

# OpenSSL's own target name for the cross compiler's architecture.
openssl_target() {
    local cc
    cc=$(sed -n 's/^set(MANTLE_CROSS_TRIPLE \(.*\))$/\1/p' "$TOOLCHAIN")
    case $cc in
    aarch64-linux-gnu) echo linux-aarch64 ;;
    arm-linux-gnueabihf) echo linux-armv4 ;;  # with the compiler's -march (armv7-a)
    riscv64-linux-gnu) echo linux64-riscv64 ;;
    *) echo "cross-deps.sh: no OpenSSL target for \"$cc\" ($TOOLCHAIN)" >&2
       return 1 ;;
    esac
}

build_openssl() {
    local work=$PREFIX/openssl-work triple target src t0=$SECONDS
    triple=$(sed -n 's/^set(MANTLE_CROSS_TRIPLE \(.*\))$/\1/p' "$TOOLCHAIN")
    target=$(openssl_target)
    rm -rf "$work"
    mkdir -p "$work"
    echo "cross-deps.sh: building libcrypto from Debian's openssl source package into $PREFIX"
    # The security suite's newest source first; a mirror that has not got it
    # yet (its .dsc 404s) still has the point release's.
    if ! (cd "$work" && apt-get source openssl) >"$work/source.log" 2>&1; then
        rm -rf "${work:?}"/*
        (cd "$work" && apt-get source openssl/bookworm) >>"$work/source.log" 2>&1 ||
            { cat "$work/source.log" >&2; exit 1; }
    fi
    src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'openssl-*' | head -n 1)
    if [ -z "$src" ] || [ ! -f "$src/Configure" ]; then
        echo "cross-deps.sh: apt-get source openssl failed (deb-src entries missing? run scripts/deps.sh)" >&2
        exit 1
    fi
    # -fPIC: libmantle.so links this archive. The rest keeps the build short.
    (cd "$src" && ./Configure "$target" --cross-compile-prefix="$triple-" \
        --prefix="$PREFIX" --libdir=lib -fPIC \
        no-shared no-module no-tests no-engine no-dso no-async no-legacy \
        no-deprecated no-ui-console no-sock no-ssl no-tls no-dtls no-comp no-ct \
        no-ocsp no-ts no-cms no-srp no-srtp no-autoload-config no-err \
        no-filenames no-padlockeng no-afalgeng no-capieng no-ktls no-aria no-bf \
        no-blake2 no-camellia no-cast no-chacha no-des no-dh no-dsa no-ec \
        no-idea no-md4 no-mdc2 no-ocb no-poly1305 no-rc2 no-rc4 no-rmd160 \
        no-scrypt no-seed no-siphash no-siv no-sm2 no-sm3 no-sm4 no-whirlpool \
        no-cmac no-gost no-rfc3779 no-psk no-multiblock no-ec2m no-cmp) \
        >"$work/configure.log" 2>&1 || { cat "$work/configure.log" >&2; exit 1; }
    # Only the library and its generated headers: no libssl, no apps.
    if ! { make -C "$src" -j"$JOBS" build_generated &&
           make -C "$src" -j"$JOBS" libcrypto.a; } >"$work/build.log" 2>&1; then
        tail -n 40 "$work/build.log" >&2
        exit 1
    fi
    mkdir -p "$PREFIX/include/openssl" "$PREFIX/lib"
    cp "$src"/include/openssl/*.h "$PREFIX/include/openssl/"
    cp "$src/libcrypto.a" "$PREFIX/lib/"
    rm -rf "$work"
    touch "$OPENSSL_STAMP"
    echo "cross-deps.sh: libcrypto ($target) built in $((SECONDS - t0)) s"
}

# libevent (static, with its OpenSSL bufferevents against the target's
# multiarch libssl-dev) for mantled in the fleet node tree.
build_libevent() {
    local work=$PREFIX/libevent-work src t0=$SECONDS
    rm -rf "$work"
    mkdir -p "$work"
    echo "cross-deps.sh: building libevent from Debian's source package into $PREFIX"
    (cd "$work" && apt-get source libevent) >"$work/source.log" 2>&1 ||
        { cat "$work/source.log" >&2; exit 1; }
    src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'libevent-*' | head -n 1)
    if [ -z "$src" ] || [ ! -f "$src/CMakeLists.txt" ]; then
        echo "cross-deps.sh: apt-get source libevent failed (deb-src entries missing? run scripts/deps.sh)" >&2
        exit 1
    fi
    cmake -S "$src" -B "$work/build" -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" \
        -DMANTLE_CROSS_MULTIARCH=ON -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_INSTALL_PREFIX="$PREFIX" -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
        -DEVENT__LIBRARY_TYPE=STATIC -DEVENT__DISABLE_TESTS=ON \
        -DEVENT__DISABLE_SAMPLES=ON -DEVENT__DISABLE_BENCHMARK=ON \
        -DEVENT__DISABLE_REGRESS=ON -DEVENT__DISABLE_MBEDTLS=ON \
        >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log" >&2; exit 1; }
    cmake --build "$work/build" -j"$JOBS" --target install \
        >"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log" >&2; exit 1; }
    rm -rf "$work"
    touch "$LIBEVENT_STAMP"
    echo "cross-deps.sh: libevent built in $((SECONDS - t0)) s"
}

for lib in $LIBS; do
    case $lib in
    jansson) [ -f "$STAMP" ] || build_jansson ;;
    openssl) [ -f "$OPENSSL_STAMP" ] || build_openssl ;;
    libevent) [ -f "$LIBEVENT_STAMP" ] || build_libevent ;;
    *) echo "cross-deps.sh: unknown library \"$lib\" (jansson, openssl, libevent)" >&2
       exit 2 ;;
    esac
done
