#!/usr/bin/env bash
# run.sh - builds the benchmark suite and runs it natively, under V8 and under each Mantle tier.
# SPDX-License-Identifier: Apache-2.0
#
#   bash bench/run.sh [PROGRAM...]        (what `make bench` runs, after building build/)
#
# Environment:
#   BENCH_RUNS=3           runs of each program in each runtime; the table shows medians
#   BENCH_TIERS="interp aot"  Mantle tiers, space-separated; each run passes --tier=TIER
#                          (aot: each program is first compiled with `mantle compile`,
#                          timed, into $OUT/aot/PROG.mantle, which the runs then use)
#   BENCH_TIMEOUT=180      seconds before one run is killed (reported as "timeout")
#   BENCH_QUICK=1          tiny sizes: checks the pipeline in seconds; the numbers mean nothing
#   BENCH_STRICT=1         also exit 1 when a Mantle run fails to run (not only on wrong output)
#   MANTLE=build/mantle    the mantle binary;  OUT=build-bench  build and scratch folder
#
# Map: 1. build (bench/build.mk)  2. run every program in every runtime,
# alternating runtimes between runs  3. start-up on hello.wasm, binary size
# 4. bench/report.mjs prints the tables and writes bench/results.json.
#
# Exit: 0 every run that ran printed native's output and passed its
# self-check; 1 a self-check failed, outputs differ, a native or V8 run
# failed, or a program did not build (and, with BENCH_STRICT=1, a Mantle
# run failed); 2 usage or set-up error.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2

RUNS=${BENCH_RUNS:-3}
TIERS=${BENCH_TIERS:-interp aot}
TIMEOUT=${BENCH_TIMEOUT:-180}
QUICK=${BENCH_QUICK:-0}
STRICT=${BENCH_STRICT:-0}
MANTLE=${MANTLE:-build/mantle}
OUT=${OUT:-build-bench}
NODE=(node --no-turbo-fast-api-calls --no-warnings bench/wasi-run.mjs)
STARTUP_RUNS=20

# Sizes for BENCH_QUICK=1 (argv[1] of each program); defaults live in the sources.
declare -A QUICK_SIZE=(
    [btree]=50000 [chacha20]=5 [cholesky]=150 [coremark]=500 [fib]=25 [floyd]=150
    [hashmap]=2 [indirect]=20000 [jacobi2d]=30 [json]=2 [lz77]=1 [matmul]=150
    [nussinov]=250 [seidel2d]=10 [sha256]=5 [sort]=100000 [sqlite]=1000
    [simd_matmul]=150 [simd_blur]=2
)

case $RUNS in '' | *[!0-9]* | 0) echo "run.sh: BENCH_RUNS must be a positive integer" >&2; exit 2 ;; esac
for tool in node make clang gcc timeout; do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool not found (run scripts/deps.sh)" >&2; exit 2; }
done
TIME=/usr/bin/time
if [ ! -x "$TIME" ]; then
    echo "run.sh: /usr/bin/time missing (Debian package 'time'): peak RSS will not be measured" >&2
    TIME=
fi

# ---- 1. build ----
printf '\n==== bench: building into %s/ ====\n' "$OUT"
mkdir -p "$OUT/logs" "$OUT/run"
build_ok=1
if ! make --no-print-directory -k -f bench/build.mk OUT="$OUT" -j"$(nproc 2>/dev/null || echo 2)" \
        >"$OUT/logs/build.log" 2>&1; then
    build_ok=0
    echo "run.sh: some programs did not build; see $OUT/logs/build.log:" >&2
    grep -E 'error|Error' "$OUT/logs/build.log" | head -20 >&2
fi
grep -i 'warning' "$OUT/logs/build.log" | head -10

if [ $# -gt 0 ]; then
    PROGS=("$@")
else
    PROGS=()
    for f in bench/programs/*.c; do PROGS+=("$(basename "$f" .c)"); done
fi
for p in "${PROGS[@]}"; do
    [ -f "bench/programs/$p.c" ] || { echo "run.sh: no program '$p' in bench/programs/" >&2; exit 2; }
done

# ---- Mantle: present? does `run` take --tier? ----
mantle_ok=0
mantle_tier_flag=0
if [ -x "$MANTLE" ]; then
    mantle_ok=1
    mantle_help=$("$MANTLE" run --help 2>&1; "$MANTLE" help 2>&1)
    if [[ $mantle_help == *--tier* ]]; then
        mantle_tier_flag=1
    fi
else
    echo "run.sh: $MANTLE not found (run 'make' first): Mantle columns will read n/a" >&2
fi
RUNTIMES=(native v8)
for t in $TIERS; do RUNTIMES+=("mantle-$t"); done

# The command for one runtime, into CMD; returns 1 if it cannot run here.
command_for() { # runtime exe-base args...
    local rt=$1 base=$2 tier
    shift 2
    case $rt in
    native) CMD=("$OUT/native/$base" "$@") ;;
    v8) CMD=("${NODE[@]}" "$OUT/wasm/$base.wasm" "$@") ;;
    mantle-*)
        tier=${rt#mantle-}
        [ "$mantle_ok" = 1 ] || return 1
        if [ "$tier" = aot ]; then
            [ -f "$OUT/aot/$base.mantle" ] || return 1
            CMD=("$MANTLE" run "$OUT/aot/$base.mantle" "$@")
        elif [ "$mantle_tier_flag" = 1 ]; then
            CMD=("$MANTLE" run "--tier=$tier" "$OUT/wasm/$base.wasm" "$@")
        elif [ "$tier" = interp ]; then
            CMD=("$MANTLE" run "$OUT/wasm/$base.wasm" "$@") # the only tier there is
        else
            return 1
        fi
        ;;
    esac
    return 0
}

RAW=$OUT/raw.tsv
printf 'program\truntime\trun\tstatus\trc\twall_s\tinner_s\trss_kib\tstdout_md5\tline\n' >"$RAW"

# Runs one program once in one runtime; appends a row to RAW; sets STATUS.
run_one() { # prog runtime run
    local prog=$1 rt=$2 run=$3 o e r start end rc wall inner rss line md5 args=()
    [ "$QUICK" = 1 ] && args=("${QUICK_SIZE[$prog]:-1}")
    o=$OUT/run/$prog.$rt.out e=$OUT/run/$prog.$rt.err r=$OUT/run/$prog.$rt.rss
    rm -f "$o" "$e" "$r"
    if ! command_for "$rt" "$prog" "${args[@]}"; then
        STATUS=n/a
        printf '%s\t%s\t%s\tn/a\t\t\t\t\t\t\n' "$prog" "$rt" "$run" >>"$RAW"
        return
    fi
    if { [ "$rt" = native ] && [ ! -x "$OUT/native/$prog" ]; } ||
        { [ "$rt" != native ] && [ ! -f "$OUT/wasm/$prog.wasm" ]; }; then
        STATUS=nobuild
        printf '%s\t%s\t%s\tnobuild\t\t\t\t\t\t\n' "$prog" "$rt" "$run" >>"$RAW"
        return
    fi
    start=$EPOCHREALTIME
    if [ -n "$TIME" ]; then
        "$TIME" -f %M -o "$r" timeout -k 5 "$TIMEOUT" "${CMD[@]}" >"$o" 2>"$e" </dev/null
    else
        timeout -k 5 "$TIMEOUT" "${CMD[@]}" >"$o" 2>"$e" </dev/null
    fi
    rc=$?
    end=$EPOCHREALTIME
    wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.6f", b - a }')
    inner=$(sed -n 's/^bench-time: \([0-9.]*\)$/\1/p' "$e" | tail -1)
    rss=$( [ -f "$r" ] && tail -1 "$r" | grep -E '^[0-9]+$' || true)
    line=$(head -1 "$o" | tr -d '\t\r' | cut -c1-200)
    md5=$(md5sum <"$o" | cut -d' ' -f1)
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        STATUS=timeout
    elif ! grep -q "^$prog: checksum " "$o"; then
        STATUS=error
    elif [ "$rc" != 0 ]; then
        STATUS=selfcheck
    else
        STATUS=ok
    fi
    if [ "$STATUS" != ok ]; then
        cp "$e" "$OUT/logs/$prog.$rt.stderr"
        cp "$o" "$OUT/logs/$prog.$rt.stdout"
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$prog" "$rt" "$run" "$STATUS" "$rc" "$wall" \
        "$inner" "$rss" "$md5" "$line" >>"$RAW"
}

# ---- 1b. AOT: compile each program once, timed (seconds and s/MB of Wasm) ----
if [[ " $TIERS " == *" aot "* ]] && [ "$mantle_ok" = 1 ]; then
    mkdir -p "$OUT/aot"
    printf '\n==== bench: AOT compile time (mantle compile -O2) ====\n'
    printf '%-10s %10s %8s %8s\n' program wasm-bytes seconds s/MB | tee "$OUT/aot/compile.tsv"
    for prog in "${PROGS[@]}"; do
        wasm="$OUT/wasm/$prog.wasm"
        [ -f "$wasm" ] || continue
        t0=$(date +%s.%N)
        if "$MANTLE" compile "$wasm" -o "$OUT/aot/$prog.mantle" >"$OUT/logs/aot-$prog.log" 2>&1; then
            t1=$(date +%s.%N)
            bytes=$(stat -c %s "$wasm")
            awk -v p="$prog" -v b="$bytes" -v a="$t0" -v z="$t1" \
                'BEGIN { s = z - a; printf "%-10s %10d %8.2f %8.2f\n", p, b, s, s / (b / 1e6) }' |
                tee -a "$OUT/aot/compile.tsv"
        else
            rm -f "$OUT/aot/$prog.mantle"
            printf '%-10s compile failed: %s\n' "$prog" "$(tail -1 "$OUT/logs/aot-$prog.log")"
        fi
    done
fi

# ---- 2. the suite ----
printf '\n==== bench: %d programs x %d runs x (%s) ====\n' "${#PROGS[@]}" "$RUNS" "${RUNTIMES[*]}"
[ "$QUICK" = 1 ] && echo "(BENCH_QUICK=1: tiny sizes, the numbers mean nothing)"
nrt=${#RUNTIMES[@]}
declare -A dead
for prog in "${PROGS[@]}"; do
    dead=()
    summary=()
    ref_md5=
    for ((run = 1; run <= RUNS; run++)); do
        # rotate the order each run so no runtime always goes first
        for ((k = 0; k < nrt; k++)); do
            rt=${RUNTIMES[$(((k + run - 1) % nrt))]}
            [ -n "${dead[$rt]:-}" ] && continue
            run_one "$prog" "$rt" "$run"
            md5=$(tail -1 "$RAW" | cut -f9)
            if [ "$rt" = native ] && [ -z "$ref_md5" ] && [ "$STATUS" = ok ]; then
                ref_md5=$md5
            elif [ "$STATUS" = ok ] && [ -n "$ref_md5" ] && [ "$md5" != "$ref_md5" ]; then
                printf '  !!! %s under %s, run %d: OUTPUT DIFFERS FROM NATIVE: %s\n' "$prog" "$rt" "$run" \
                    "$(tail -1 "$RAW" | cut -f10)"
            fi
            if [ "$STATUS" != ok ]; then
                dead[$rt]=$STATUS # a runtime that failed once is not run again
                detail=$(grep -v '^bench-time:' "$OUT/run/$prog.$rt.err" 2>/dev/null | head -2 | tr '\n' ' ' | cut -c1-150)
                [ "$STATUS" != n/a ] && printf '  %-10s %-14s run %d: %s (rc %s) %s\n' "$prog" "$rt" "$run" \
                    "$STATUS" "$(tail -1 "$RAW" | cut -f5)" "$detail"
            fi
        done
    done
    for rt in "${RUNTIMES[@]}"; do
        summary+=("$rt=$(awk -F'\t' -v p="$prog" -v r="$rt" '$1 == p && $2 == r && $4 == "ok" { printf "%s%.2f", s, $6; s = "," }' "$RAW")")
    done
    printf '  %-10s %s\n' "$prog" "${summary[*]}"
done

# ---- 3. start-up and binary size ----
printf '\n==== bench: start-up on hello.wasm (%d runs each) ====\n' "$STARTUP_RUNS"
for rt in "${RUNTIMES[@]}"; do
    if ! command_for "$rt" hello; then
        printf '_startup\t%s\t0\tn/a\t\t\t\t\t\t\n' "$rt" >>"$RAW"
        continue
    fi
    for ((i = 1; i <= STARTUP_RUNS; i++)); do
        start=$EPOCHREALTIME
        timeout -k 5 30 "${CMD[@]}" >"$OUT/run/hello.out" 2>"$OUT/run/hello.err" </dev/null
        rc=$?
        end=$EPOCHREALTIME
        wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.6f", b - a }')
        if [ "$rc" = 0 ] && [ "$(cat "$OUT/run/hello.out")" = hello ]; then st=ok; else st=error; fi
        printf '_startup\t%s\t%d\t%s\t%s\t%s\t\t\t\t%s\n' "$rt" "$i" "$st" "$rc" "$wall" \
            "$(head -c 100 "$OUT/run/hello.out" | head -1)" >>"$RAW"
        if [ "$st" != ok ]; then
            cp "$OUT/run/hello.err" "$OUT/logs/hello.$rt.stderr"
            break
        fi
    done
done

MANTLE_SIZE= MANTLE_STRIPPED=
if [ "$mantle_ok" = 1 ]; then
    cp "$MANTLE" "$OUT/mantle.stripped"
    if strip "$OUT/mantle.stripped"; then
        MANTLE_SIZE=$(stat -c %s "$MANTLE")
        MANTLE_STRIPPED=$(stat -c %s "$OUT/mantle.stripped")
    fi
fi

# ---- 4. report ----
BENCH_RUNS=$RUNS BENCH_TIERS=$TIERS BENCH_QUICK=$QUICK BENCH_STRICT=$STRICT \
    BENCH_BUILD_OK=$build_ok MANTLE_PATH=$MANTLE MANTLE_SIZE=$MANTLE_SIZE \
    MANTLE_STRIPPED=$MANTLE_STRIPPED MANTLE_TIER_FLAG=$mantle_tier_flag \
    BENCH_AOT_COMPILE=$([[ " $TIERS " == *" aot "* && -f $OUT/aot/compile.tsv ]] && echo "$OUT/aot/compile.tsv") \
    node bench/report.mjs "$RAW" bench/results.json
