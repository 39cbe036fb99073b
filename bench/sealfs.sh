#!/usr/bin/env bash
# sealfs.sh - sealed versus plain file throughput of a WASI guest
# (bench/sealfs_io.c) under `mantle run`: sequential and random 4 KiB reads
# and writes and SQLite-style transactions, on --dir and on --dir-sealed
# (soft backend; median of BENCH_RUNS runs); then a second process reads
# the file back (cold-read: a fresh mount for sealed). Sealed runs twice:
# with the default page cache (8 MiB per mount) and with a cache that holds
# the working set (--sealed-cache SEALED_CACHE, default twice the file: the
# sealed equivalent of a kernel page cache with room for it).
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
WS=${SEALED_CACHE-$((2 * MIB))M}
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
        [ "$1" = cached ] && cache=(--sealed-cache "$WS")
        "$MANTLE" run --tier="$TIER" --tee=soft --state-dir "$OUT/state" \
            ${cache[@]+"${cache[@]}"} --dir-sealed "$OUT/dir::/d" "$OUT/sealfs_io.wasm" /d "$MIB" 2>/dev/null
    fi >>"$OUT/$1.txt"
}

rm -f "$OUT/plain.txt" "$OUT/sealed.txt" "$OUT/cached.txt"
for ((i = 0; i < RUNS; i++)); do
    run plain; run sealed
    [ -n "$WS" ] && run cached
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
printf "  sealed: default page cache (8 MiB)%s\n" \
    "${WS:+; sealed-ws: --sealed-cache $WS (holds the working set)}"
printf "%-11s %19s %19s %6s" phase "plain min/median" "sealed min/median" ratio
[ -n "$WS" ] && printf " %19s %6s" "sealed-ws min/med" ratio
printf "\n"
for p in seq-write seq-read rand-write rand-read sqlite-tx cold-read; do
    a=$(median plain "$p") b=$(median sealed "$p")
    unit=$(grep -m1 "^$p " "$OUT/plain.txt" | awk '{print $3}')
    printf "%-11s %9s/%-9s %9s/%-9s %6.2f" "$p" "$(lowest plain "$p")" \
        "$a" "$(lowest sealed "$p")" "$b" \
        "$(awk -v a="$a" -v b="$b" 'BEGIN {print b / a}')"
    if [ -n "$WS" ]; then
        c=$(median cached "$p")
        printf " %9s/%-9s %6.2f" "$(lowest cached "$p")" "$c" \
            "$(awk -v a="$a" -v c="$c" 'BEGIN {print c / a}')"
    fi
    printf "  %s\n" "$unit"
done
