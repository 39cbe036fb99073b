# testlib.sh - helpers of the attestation test scripts (sourced).
# SPDX-License-Identifier: Apache-2.0
# Needs $work; sets fail=1 on the first mismatch and keeps going.
fail=0
run() { # expected-status description command...
    local want=$1 what=$2; shift 2
    "$@" >"$work/out" 2>"$work/err"; local got=$?
    if [ "$got" != "$want" ]; then
        echo "FAIL $what: exit $got, expected $want"; cat "$work/out" "$work/err"; fail=1
    else
        echo "ok   $what (exit $got)"
    fi
}
has() { grep -q -- "$2" "$work/$1" || { echo "FAIL: $1 lacks \"$2\""; cat "$work/$1"; fail=1; }; }
# server_workdir: a fresh $work, and the server a test starts ($pid, if
# set) stopped on exit.
pid=
server_workdir() {
    rm -rf "$work" && mkdir -p "$work" || exit 1
    trap 'if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi' EXIT
}
