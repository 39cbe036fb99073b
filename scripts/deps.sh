#!/usr/bin/env bash
# deps.sh - install the Debian packages Mantle's build, tests and demo need.
# SPDX-License-Identifier: Apache-2.0
#
# The one list of build dependencies. An installed machine does no apt work:
# each package is checked with dpkg -s first, and `apt-get update` runs once,
# only when something is missing. Run as root (as CI is) or with sudo around.
set -euo pipefail

PACKAGES=(
    build-essential            # gcc, make
    cmake
    clang                      # second compiler, sanitizers, libFuzzer
    libclang-rt-14-dev         # clang's ASan/UBSan/libFuzzer runtimes
    lld                        # wasm-ld, for C guests
    libjansson-dev             # spec-test JSON, attestation collateral
    libssl-dev                 # OpenSSL 3: attestation crypto and X.509
    openssl                    # the openssl CLI: tests/tee, tests/attest
    libcbor-dev                # CBOR: CCA tokens, EAT
    libtss2-dev                # tpm2-tss ESYS: the tpm TEE backend
    libsqlite3-dev             # the key broker's state
    libevent-dev               # the key broker's HTTPS server (evhttp + OpenSSL)
    libcurl4-openssl-dev       # mantle run --broker: the KBS client
    swtpm swtpm-tools          # software TPM for tests/tee (tee.tpm)
    tpm2-tools                 # tpm2_pcrextend in tests/tee/tpm_test.sh
    openssl curl               # certificates and raw HTTPS in tests/attest
    wabt                       # wat2wasm for tests, demo and examples
    binaryen
    wasi-libc
    libclang-rt-14-dev-wasm32  # compiler-rt builtins for wasm32-wasi
    pkg-config
    libevent-dev               # mantled: event loop, HTTPS server (evhttp + OpenSSL)
    libsqlite3-dev             # mantled: state (WAL)
    libcurl4-openssl-dev       # mantle node/module/workload: the agent's API
    libyaml-dev                # fleet manifests in YAML (mantle deploy app.yaml)
    libnats-dev                # the fleet over NATS: mantled --lattice, mantle deploy/invoke
    nats-server                # tests/lattice: a NATS cluster with JetStream and a leaf node
    curl                       # tests/agent: the API from outside
    wrk                        # tests/agent: load test of an HTTP-triggered workload
    time                       # /usr/bin/time: peak RSS in make bench
    # cross builds (cmake/toolchains/, scripts/cross.sh) and qemu-user
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross
    gcc-arm-linux-gnueabihf libc6-dev-armhf-cross
    gcc-riscv64-linux-gnu libc6-dev-riscv64-cross
    qemu-user                  # qemu-aarch64, qemu-arm, qemu-riscv64
    dpkg-dev                   # dpkg-source, for apt-get source jansson
)

# node runs the benchmarks' comparison; it may come from outside Debian, so
# only install the Debian package when no node is on the PATH at all.
if ! command -v node >/dev/null 2>&1; then
    PACKAGES+=(nodejs npm) # npm: tests/lattice's nats.js
fi

# scripts/cross-deps.sh builds jansson for the cross targets from Debian's
# source package (riscv64 is not a Debian 12 release architecture), so
# apt needs deb-src entries: the binary ones' twins, added once.
updated=
if ! apt-get source --print-uris jansson >/dev/null 2>&1; then
    src_list=/etc/apt/sources.list.d/mantle-deb-src.sources
    sudo_=
    [ "$(id -u)" -eq 0 ] || sudo_=sudo
    echo "deps.sh: adding deb-src entries ($src_list)"
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
            $sudo_ tee "$src_list" >/dev/null
    else
        grep -h '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
            sed 's/^deb /deb-src /' | $sudo_ tee "${src_list%.sources}.list" >/dev/null
    fi
    $sudo_ apt-get update
    updated=1
fi

# The aarch64 fleet node (scripts/cross.sh node, tests/cross/fleet_node.sh):
# the full mantled for arm64 links Debian's own arm64 libraries (dpkg
# multiarch), so that nothing the fleet needs is built from source but
# libevent (libevent-dev cannot be installed for two architectures at once;
# scripts/cross-deps.sh builds it).
ARM64_PACKAGES=(libssl-dev libjansson-dev libcbor-dev libsqlite3-dev
    libcurl4-openssl-dev libyaml-dev libnats-dev libtss2-dev)
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "deps.sh: adding the arm64 architecture (dpkg multiarch) for the aarch64 fleet node"
    if [ "$(id -u)" -eq 0 ]; then dpkg --add-architecture arm64; else sudo dpkg --add-architecture arm64; fi
    updated=
fi
for p in "${ARM64_PACKAGES[@]}"; do
    PACKAGES+=("$p:arm64")
done

# npm: nats.js, the independent ADR-20 object store that
# tests/lattice/objstore_interop.sh checks Mantle's against (package-lock.json
# pins it); installed once, into tests/lattice/node_modules.
# Run after the Debian packages, which may bring node and npm.
lattice_tests="$(cd "$(dirname "$0")/.." && pwd)/tests/lattice"
npm_deps() {
    [ -d "$lattice_tests/node_modules/nats" ] && return 0
    if command -v npm >/dev/null 2>&1; then
        echo "deps.sh: npm ci in tests/lattice (nats.js)"
        (cd "$lattice_tests" && npm ci --no-audit --no-fund)
    else
        echo "deps.sh: npm not found: tests/lattice/objstore_interop.sh will fail" >&2
    fi
}

# With arm64 added, a name installed for both architectures is ambiguous to
# dpkg -s: ask for the native one then.
native=$(dpkg --print-architecture)
missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg -s "$p" >/dev/null 2>&1 && ! dpkg -s "$p:$native" >/dev/null 2>&1; then
        missing+=("$p")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    npm_deps
    exit 0
fi

echo "deps.sh: installing ${missing[*]}"
SUDO=
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
[ -n "$updated" ] || $SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"
npm_deps
