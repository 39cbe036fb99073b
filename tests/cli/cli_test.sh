#!/usr/bin/env bash
# cli_test.sh - end-to-end tests of the `mantle` command: output and exit status.
# SPDX-License-Identifier: Apache-2.0
#
# usage: cli_test.sh MANTLE WAT2WASM WORKDIR
# Builds tiny modules with wat2wasm in WORKDIR (wiped first), runs the
# verbs on them and checks each exit status (see `mantle help`) and output.
set -u
if [ $# -ne 3 ]; then
    echo "usage: $0 MANTLE WAT2WASM WORKDIR" >&2
    exit 2
fi
MANTLE=$1
WAT2WASM=$2
WORK=$3
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK" || exit 1

passed=0
failed=0
OUT=

fail() {
    echo "FAIL: $1"
    printf '%s\n' "$OUT" | sed 's/^/    | /'
    failed=$((failed + 1))
}

# check NAME STATUS ERE CMD...: CMD exits STATUS and its stdout+stderr
# matches the extended regex ERE (empty: anything); no sanitizer reports.
check() {
    local name=$1 want=$2 pattern=$3 st
    shift 3
    OUT=$("$@" 2>&1)
    st=$?
    if [ "$st" -ne "$want" ]; then
        fail "$name: exit status $st, want $want: $*"
    elif [ -n "$pattern" ] && ! grep -Eq -- "$pattern" <<<"$OUT"; then
        fail "$name: output does not match /$pattern/: $*"
    elif grep -Eq 'Sanitizer|runtime error:' <<<"$OUT"; then
        fail "$name: sanitizer report: $*"
    else
        passed=$((passed + 1))
    fi
}

# also NAME ERE: the last check's output also matches ERE.
also() {
    if grep -Eq -- "$2" <<<"$OUT"; then
        passed=$((passed + 1))
    else
        fail "$1: output does not match /$2/"
    fi
}

wat() {  # wat NAME [wat2wasm flags]: NAME.wat -> NAME.wasm
    local name=$1
    shift
    if ! "$WAT2WASM" --debug-names "$@" "$name.wat" -o "$name.wasm"; then
        echo "cli_test.sh: wat2wasm $name.wat failed" >&2
        exit 1
    fi
}

# ---- a valid module --------------------------------------------------------
cat >ok.wat <<'W'
(module $ok
  (memory (export "memory") 1)
  (global (export "counter") (mut i64) (i64.const 0))
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  (func (export "mul64") (param i64 i64) (result i64)
    (i64.mul (local.get 0) (local.get 1)))
  (func (export "half") (param f64) (result f64)
    (f64.mul (local.get 0) (f64.const 0.5)))
  (func (export "f32id") (param f32) (result f32) (local.get 0))
  (func (export "pair") (result i32 i64) (i32.const -1) (i64.const 7))
  (func (export "nothing"))
  (func (export "spin") (loop $l (br $l))))
W
wat ok
check "validate valid" 0 '^ok\.wasm: valid$' "$MANTLE" validate ok.wasm
check "inspect valid" 0 'add: func \(i32, i32\) -> \(i32\)' "$MANTLE" inspect ok.wasm
also "inspect memory export" 'memory: memory pages min 1'
also "inspect global export" 'counter: global mut i64'
also "inspect custom section" 'name: [0-9]+ bytes'
also "inspect module name" 'module name "ok"'
check "run add" 0 '^i32:5$' "$MANTLE" run ok.wasm --invoke add 2 3
check "run negative args" 0 '^i32:-5$' "$MANTLE" run ok.wasm --invoke add -2 -3
check "run hex args" 0 '^i32:0$' "$MANTLE" run ok.wasm --invoke add 0xffffffff 1
check "run options first" 0 '^i32:3$' "$MANTLE" run --invoke add ok.wasm 1 2
check "run -i and --" 0 '^i32:1$' "$MANTLE" run ok.wasm -i add -- 0 1
check "run i64" 0 '^i64:-2$' "$MANTLE" run ok.wasm --invoke mul64 0x7fffffffffffffff 2
check "run f64" 0 '^f64:1\.5$' "$MANTLE" run ok.wasm --invoke half 3
check "run f32 round trip" 0 '^f32:0\.1$' "$MANTLE" run ok.wasm --invoke f32id 0.1
check "run f32 nan payload" 0 '^f32:nan:0x1$' "$MANTLE" run ok.wasm --invoke f32id nan:0x1
check "run multi-value" 0 '^i32:-1$' "$MANTLE" run ok.wasm --invoke pair
also "run multi-value second" '^i64:7$'
check "run no results" 0 '^$' "$MANTLE" run ok.wasm --invoke nothing
check "run out of fuel" 1 'trap: .*out of fuel' "$MANTLE" run ok.wasm --fuel 1000 --invoke spin

# The same limits in native code (where the AOT tier is built): fuel runs
# out, --timeout interrupts a loop, recursion traps cleanly. Native loops
# have no polls: a signal stops them wherever they are, including while
# they spend most of their time in libc (fill) or in a host function
# (yield).
if "$MANTLE" help 2>&1 | grep -q -- '--tier=interp|aot'; then
    cat >limits.wat <<'W'
(module
  (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
  (memory 1)
  (func (export "spin") (loop $l (br $l)))
  (func (export "fill")
    (loop $l (memory.fill (i32.const 0) (i32.const 7) (i32.const 65536)) (br $l)))
  (func (export "yield") (loop $l (drop (call $yield)) (br $l)))
  (func (export "sum") (result i32) (local i32)
    (loop $l
      (local.set 0 (i32.add (local.get 0) (i32.load (i32.const 8))))
      (i32.store (i32.const 12) (local.get 0))
      (br $l))
    (local.get 0))
  (func $deep (export "deep") (param i32) (result i32)
    (i32.add (call $deep (i32.add (local.get 0) (i32.const 1))) (i32.const 1))))
W
    wat limits
    export XDG_CACHE_HOME=$WORK/aot-cache
    check "aot out of fuel" 1 'trap: .*out of fuel' "$MANTLE" run --tier=aot limits.wasm --fuel 100000 --invoke spin
    # (not the CLI's fallback that ends a guest blocked in a host call)
    for f in spin sum fill yield; do
        check "aot interrupted $f" 1 'trap: .*interrupted' "$MANTLE" run --tier=aot --timeout 200ms limits.wasm --invoke $f
        also "aot interrupted $f in the loop" 'trap: function [0-9]+: interrupted'
    done
    check "aot call stack exhausted" 1 'trap: .*call stack exhausted' "$MANTLE" run --tier=aot limits.wasm --invoke deep 0
    # Artifacts: one that runs, and refused ones (status 6, never loaded).
    check "aot compile" 0 'compiled to' "$MANTLE" compile limits.wasm -o limits.mantle
    check "aot artifact runs" 1 'call stack exhausted' "$MANTLE" run limits.mantle --invoke deep 0
    head -c 100 limits.mantle >truncated.mantle
    check "aot truncated artifact" 6 'truncated\.mantle: artifact refused: ' "$MANTLE" run truncated.mantle --invoke spin
    cp limits.mantle flipped.mantle
    printf 'X' | dd of=flipped.mantle bs=1 seek=$(($(stat -c %s flipped.mantle) - 10)) conv=notrunc 2>/dev/null
    check "aot corrupted artifact" 6 'artifact refused: .*corrupt' "$MANTLE" run flipped.mantle --invoke spin
    check "aot fuel mismatch" 6 'artifact refused: .*fuel' "$MANTLE" run limits.mantle --fuel 10 --invoke spin
    unset XDG_CACHE_HOME
fi

# ---- usage errors: status 2 ------------------------------------------------
check "no arguments" 2 '^usage:' "$MANTLE"
check "unknown verb" 2 'unknown command' "$MANTLE" frobnicate
check "run without file" 2 'missing FILE' "$MANTLE" run
check "invoke twice" 2 'given twice' "$MANTLE" run ok.wasm --invoke add --invoke add 1 2
check "fuel twice" 2 'given twice' "$MANTLE" run --fuel 1 ok.wasm --fuel 2 --invoke add 1 2
check "bad fuel" 2 'fuel' "$MANTLE" run --fuel lots ok.wasm --invoke add 1 2
check "unknown option" 2 'unknown option' "$MANTLE" run --frob ok.wasm
check "missing option argument" 2 'needs an argument' "$MANTLE" run ok.wasm --invoke
check "wrong argument count" 2 'ok\.wasm: invoke add: takes 2 arguments' "$MANTLE" run ok.wasm --invoke add 1
check "bad argument" 2 'argument 2: "abc" is not an i32' "$MANTLE" run ok.wasm --invoke add 1 abc
check "i32 out of range" 2 'is not an i32' "$MANTLE" run ok.wasm --invoke add 1 4294967296
check "no such export" 2 'no exported function "nope"' "$MANTLE" run ok.wasm --invoke nope
check "no _start" 2 'no _start' "$MANTLE" run ok.wasm
check "args without invoke" 2 'need --invoke' "$MANTLE" run ok.wasm 1 2
check "validate two files" 2 'exactly one' "$MANTLE" validate ok.wasm ok.wasm
check "inspect option" 2 'unknown option' "$MANTLE" inspect -x ok.wasm

# ---- I/O errors: status 5 --------------------------------------------------
check "missing file" 5 'nope\.wasm: open: No such file' "$MANTLE" validate nope.wasm
mkdir -p adir.wasm
check "directory" 5 'adir\.wasm: read: ' "$MANTLE" inspect adir.wasm
check "run missing file" 5 'nope\.wasm: open' "$MANTLE" run nope.wasm --invoke f

# ---- malformed and invalid modules: status 3 -------------------------------
printf '\0asn\1\0\0\0' >badmagic.wasm
check "malformed magic" 3 'badmagic\.wasm: malformed module: ' "$MANTLE" validate badmagic.wasm
printf '\0asm\1\0\0\0\1\5\1' >truncated.wasm
check "malformed truncated" 3 'truncated\.wasm: malformed module: .*offset' "$MANTLE" validate truncated.wasm
check "run malformed" 3 'malformed module' "$MANTLE" run truncated.wasm --invoke f

cat >invalid.wat <<'W'
(module
  (func $fine (result i32) (i32.const 0))
  (func $bad (result i32) (f64.const 1)))
W
wat invalid --no-check
check "invalid type mismatch" 3 'invalid\.wasm: invalid module: .*function 1([^0-9]|$)' "$MANTLE" validate invalid.wasm
also "invalid names offset" 'offset'
check "inspect invalid" 3 'invalid module' "$MANTLE" inspect invalid.wasm

# ---- unlinkable: status 4 --------------------------------------------------
cat >needs.wat <<'W'
(module
  (import "env" "missing_fn" (func $m (param i32)))
  (func (export "f") (call $m (i32.const 1))))
W
wat needs
check "validate with imports" 0 'needs\.wasm: valid' "$MANTLE" validate needs.wasm
check "inspect imports" 0 'env\.missing_fn: func \(i32\) -> \(\)' "$MANTLE" inspect needs.wasm
check "unlinkable" 4 'needs\.wasm: unlinkable: .*env.*missing_fn' "$MANTLE" run needs.wasm --invoke f

# ---- traps: status 1 -------------------------------------------------------
cat >trap.wat <<'W'
(module $trapper
  (func $inner_div (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1)))
  (func $outer (export "div") (param i32 i32) (result i32)
    (call $inner_div (local.get 0) (local.get 1))))
W
wat trap
check "no trap" 0 '^i32:3$' "$MANTLE" run trap.wasm --invoke div 7 2
check "divide by zero" 1 'trap\.wasm: trap: .*integer divide by zero' "$MANTLE" run trap.wasm --invoke div 1 0
also "backtrace names the function" 'inner_div'
also "backtrace names the caller" 'outer'

cat >start.wat <<'W'
(module
  (func $boom unreachable)
  (start $boom)
  (func (export "f")))
W
wat start
check "trap in start" 1 'trap: .*unreachable' "$MANTLE" run start.wasm --invoke f

# ---- version and help ------------------------------------------------------
check "version" 0 '^mantle [0-9]+\.[0-9]+\.[0-9]+$' "$MANTLE" version
check "help" 0 'exit status' "$MANTLE" help

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
