#!/bin/sh
# cli_wat.sh - `mantle` on text modules: run, validate errors with line:column, inspect --disasm.
# SPDX-License-Identifier: Apache-2.0
#
# usage: cli_wat.sh MANTLE WORKDIR
set -u
MANTLE=$1
mkdir -p "$2" && cd "$2" || exit 1
fails=0
check() { # NAME WANT-STATUS ERE CMD...
    name=$1 want=$2 pat=$3
    shift 3
    out=$("$@" 2>&1)
    st=$?
    if [ "$st" -ne "$want" ] || ! printf '%s\n' "$out" | grep -Eq -- "$pat"; then
        echo "FAIL $name (status $st, want $want): $*"
        printf '%s\n' "$out" | sed 's/^/    | /'
        fails=$((fails + 1))
    fi
}

cat >fac.wat <<'W'
(module
  (func $fac (export "fac") (param $n i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n))
      (then (i64.const 1))
      (else (i64.mul (local.get $n)
                     (call $fac (i64.sub (local.get $n) (i64.const 1))))))))
W
check "run text" 0 '3628800' "$MANTLE" run fac.wat --invoke fac 10
check "validate text" 0 'fac\.wat: valid' "$MANTLE" validate fac.wat
check "disasm all" 0 '^    i64\.const 1$' "$MANTLE" inspect --disasm fac.wat
check "disasm one" 0 '^\(func \(;0;\) \(type 0\) \(param i64\) \(result i64\)$' \
    "$MANTLE" inspect --disasm=0 fac.wat
check "disasm FUNC FILE" 0 '^  if \(result i64\)$' "$MANTLE" inspect --disasm 0 fac.wat
check "disasm no such function" 2 'no function 9' "$MANTLE" inspect --disasm=9 fac.wat

printf '(module\n  (func (call $nope)))\n' >bad.wat
check "text error line:col" 3 'bad\.wat:2:15: unknown function \$nope' "$MANTLE" validate bad.wat
printf '(module (func (result i32) (i64.const 1)))' >invalid.wat
check "text invalid" 3 'invalid' "$MANTLE" validate invalid.wat

[ "$fails" -eq 0 ] && echo "cli_wat: ok"
exit "$fails"
