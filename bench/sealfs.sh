#!/usr/bin/env bash
# sealfs.sh - sealed versus plain file throughput of a WASI guest
# (bench/sealfs_io.c) under `mantle run`: sequential and random 4 KiB reads
# and writes and SQLite-style transactions, on --dir and on --dir-sealed
# (soft backend; median of BENCH_RUNS runs); then a second process reads
# the file back (cold-read: a fresh mount for sealed). Sealed runs twice:
# with the default page cache (1/64 of physical memory within 8-256 MiB per
# mount: on a host with 16 GiB or more it holds the 64 MiB working set, the
# sealed equivalent of the kernel page cache plain files are read from) and
# with a small one (--sealed-cache SEALED_CACHE, default 8M: what a board
# with 512 MiB gets by default; reads then decrypt as they go).
# SPDX-License-Identifier: Apache-2.0
#
# usage: bash bench/sealfs.sh [MIB]      (default 64; environment: MANTLE,
#                                          OUT, BENCH_RUNS, BENCH_TIERS,
#                                          SEALED_CACHE: the second sealed
#                                          column's --sealed-cache SIZE,
#                                          "" for none)
set -eu
MIB=${1:-64}
MANTLE=${MANTLE:-build/mantle}
OUT=${OUT:-build-bench}/sealfs
RUNS=${BENCH_RUNS:-3}
TIER=${BENCH_TIERS:-interp}
TIER=${TIER%% *}
WS=${SEALED_CACHE-8M}
CLANG=$(command -v clang || command -v clang-14)
mkdir -p "$OUT"
"$CLANG" --target=wasm32-wasi -O2 -o "$OUT/sealfs_io.wasm" \
    "$(dirname "$0")/sealfs_io.c"

run() {   # KIND: one run and its cold-read rerun, appended to $OUT/KIND.txt
    rm -rf "$OUT/dir" "$OUT/state" && mkdir -p "$OUT/dir" "$OUT/state"
    run1 "$1" && run1 "$1"
}
run1() {
    if [ "$1" = plain ]; then
        "$MANTLE" run --tier="$TIER" --dir "$OUT/dir::/d" "$OUT/sealfs_io.wasm" /d "$MIB"
    else
        local cache=()
        [ "$1" = small ] && cache=(--sealed-cache "$WS")
        "$MANTLE" run --tier="$TIER" --tee=soft --state-dir "$OUT/state" \
            ${cache[@]+"${cache[@]}"} --dir-sealed "$OUT/dir::/d" "$OUT/sealfs_io.wasm" /d "$MIB" 2>/dev/null
    fi >>"$OUT/$1.txt"
}

rm -f "$OUT/plain.txt" "$OUT/sealed.txt" "$OUT/small.txt"
for ((i = 0; i < RUNS; i++)); do
    run plain; run sealed
    [ -n "$WS" ] && run small
done
median() {   # KIND PHASE
    grep "^$2 " "$OUT/$1.txt" | awk '{print $2}' | sort -g |
        awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}
lowest() {   # KIND PHASE
    grep "^$2 " "$OUT/$1.txt" | awk '{print $2}' | sort -g | head -1
}
printf "sealed vs plain, %s MiB, %s run(s) interleaved, tier %s\n" "$MIB" \
    "$RUNS" "$TIER"
printf "  sealed: default page cache (%s MiB here)%s\n" \
    "$(awk '/^MemTotal/ {m = int($2 / 1024 / 64); print (m < 8 ? 8 : (m > 256 ? 256 : m))}' /proc/meminfo)" \
    "${WS:+; sealed-small: --sealed-cache $WS}"
printf "%-11s %19s %19s %6s" phase "plain min/median" "sealed min/median" ratio
[ -n "$WS" ] && printf " %19s %6s" "small min/median" ratio
printf "\n"
for p in seq-write seq-read rand-write rand-read sqlite-tx cold-read; do
    a=$(median plain "$p") b=$(median sealed "$p")
    unit=$(grep -m1 "^$p " "$OUT/plain.txt" | awk '{print $3}')
    printf "%-11s %9s/%-9s %9s/%-9s %6.2f" "$p" "$(lowest plain "$p")" \
        "$a" "$(lowest sealed "$p")" "$b" \
        "$(awk -v a="$a" -v b="$b" 'BEGIN {print b / a}')"
    if [ -n "$WS" ]; then
        c=$(median small "$p")
        printf " %9s/%-9s %6.2f" "$(lowest small "$p")" "$c" \
            "$(awk -v a="$a" -v c="$c" 'BEGIN {print c / a}')"
    fi
    printf "  %s\n" "$unit"
done
