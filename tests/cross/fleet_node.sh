#!/usr/bin/env bash
# fleet_node.sh - a node of another architecture in the fleet: the
# cross-built mantled, under qemu-user, joins a NATS server next to a
# native (x86-64) node; deployments constrained by architecture land on the
# node that has it and run there.
# SPDX-License-Identifier: Apache-2.0
#
# usage: fleet_node.sh HOST_BUILD ARCH MANTLED_WRAPPER MANTLE_WRAPPER WORK_DIR
#
# HOST_BUILD is the host's build tree (mantle, mantled, tcpgate, echo.wasm);
# MANTLED_WRAPPER and MANTLE_WRAPPER run the cross-built mantled and mantle
# under qemu-ARCH (mantled starts replicas with mantle_bin: without binfmt
# the emulated mantled cannot exec an ARCH binary, but it can a script that
# runs qemu). Checked:
# the emulated node reports its own architecture (from uname, as on real
# hardware); a deployment with `arch: [ARCH]` is placed on it only and its
# invocations are answered there; one with `arch: [x86_64]` on the host
# node only; a two-replica spread deployment on both; the emulated node
# killed, its deployment goes pending saying why (arch), and the spread one
# keeps serving from the host. Started by scripts/cross.sh test (needs
# nats-server on the host).
set -uo pipefail
# shellcheck source=../agent/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent/lib.sh"
# shellcheck source=../lattice/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lattice/lib.sh"

BUILD=$1
ARCH=$2
EMU_MANTLED=$3
EMU_MANTLE=$4
WORK=$5
MANTLE=$BUILD/mantle
for f in "$MANTLE" "$BUILD/mantled" "$BUILD/tests/lattice/tcpgate" \
    "$BUILD/tests/lattice/echo.wasm" "$EMU_MANTLED" "$EMU_MANTLE"; do
    [ -e "$f" ] || { echo "FATAL $f missing (make build; cross.sh node $ARCH)"; exit 1; }
done
fleet_work "$WORK"
fleet_nats "$BUILD/tests/lattice/tcpgate"
fleet_node_pki
# Liveness bounds are generous: the emulated node runs 5-20x slower.
start_node() { # NAME MANTLED MANTLE
    mkdir -p "$1"
    fleet_node_conf "$1" <<EOF
mantle_bin = $3
tick_ms = 50ms
node_labels = site=lab
heartbeat_ms = 500ms
dead_after_ms = 4s
lease_ms = 3s
reconnect_max_ms = 500ms
invoke_timeout_ms = 20s
EOF
    "$2" --config "$1.conf" >>"$1.log" 2>&1 &
    PIDS+=($!)
}
start_node host "$BUILD/mantled" "$MANTLE"
HOST_PID=$!
start_node emu "$EMU_MANTLED" "$EMU_MANTLE"
EMU_PID=$!
wait_for 20 grep -q "fleet: node host joined" host.log || die "host did not join"
wait_for 60 grep -q "fleet: node emu joined" emu.log || die "the $ARCH node did not join"
pass "a native node and an emulated $ARCH node joined"

cp "$BUILD/tests/lattice/echo.wasm" .
cat >arm.yaml <<EOF
name: on-$ARCH
module: echo.wasm
constraints:
  arch: [$ARCH]
EOF
cat >x86.yaml <<EOF
name: on-x86
module: echo.wasm
constraints:
  arch: [x86_64]
EOF
cat >both.yaml <<EOF
name: both
module: echo.wasm
replicas: 2
constraints:
  spread: node
EOF
for f in arm.yaml x86.yaml both.yaml; do
    "$MANTLE" deploy $f >deploy.txt 2>&1 || die "deploy $f: $(cat deploy.txt)"
done
placed() { # NAME NODE...: the replicas are on exactly these nodes
    local st want got
    st=$("$MANTLE" deploy status "$1" 2>/dev/null) || return 1
    shift
    want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
    got=$(printf '%s\n' "$st" | sed -n 's/^  replica [0-9]*: \([a-z0-9-]*\):.*/\1/p' |
        grep -vx pending | sort | tr '\n' ' ')
    [ "$got" = "$want" ]
}
check "arch: [$ARCH] placed on the $ARCH node" wait_for 30 placed on-$ARCH emu
check "arch: [x86_64] placed on the native node" wait_for 30 placed on-x86 host
check "spread over both" wait_for 30 placed both emu host
"$MANTLE" deploy status on-$ARCH >st.txt
cat st.txt
answered() { # NAME NODE
    "$MANTLE" invoke "$1" --data "from $2" --timeout 20s -v >inv.out 2>inv.err &&
        grep -q "echo: from $2" inv.out && grep -q "answered by node $2" inv.err
}
check "invoke on-$ARCH: answered by the emulated node, run there" wait_for 60 answered on-$ARCH emu
check "invoke on-x86: answered by the native node" wait_for 30 answered on-x86 host
check "the emulated node started its replica" grep -q "replica on-$ARCH/0 started" emu.log

kill -9 "$EMU_PID"
check "$ARCH node killed: on-$ARCH pending" wait_for 30 sh -c \
    "'$MANTLE' deploy status on-$ARCH | grep -q 'replica 0: pending'"
"$MANTLE" deploy status on-$ARCH >st.txt
check "... saying why (arch)" grep -qi "arch" st.txt || cat st.txt
check "... and the spread deployment still answers from the native node" \
    wait_for 30 answered both host
kill -TERM "$HOST_PID"
wait "$HOST_PID"
check "native node drains on SIGTERM (exit 0)" test $? = 0
echo "$failures failure(s)"
test "$failures" = 0
