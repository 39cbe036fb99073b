#!/usr/bin/env bash
# run_tests.sh - build the WASI guest tests with clang and run them under `mantle run`.
# SPDX-License-Identifier: Apache-2.0
#
# usage: run_tests.sh MANTLE CLANG WORKDIR NAME...
#
# For each NAME, compiles tests/wasi/NAME.c to WORKDIR/NAME.wasm
# (clang --target=wasm32-wasi -O2), makes a scratch directory under
# WORKDIR/scratch, lays out what the test needs there, runs the guest with
# the right --dir/--dir-ro/--env/--listen, arguments and stdin, and checks
# its exit status, its output and, for the escape tests, the host file
# system afterwards. Exit status 0 when every NAME passed; the scratch
# directory of a failed test is kept for inspection.
#
# Sections: helpers; one test_NAME function per guest program; main.
#
# Needs bash, coreutils (timeout, cksum, cmp, find, mktemp) and clang with
# wasi-libc and lld, as scripts/deps.sh installs. The socket test connects
# through bash's /dev/tcp.
set -u
if [ $# -lt 4 ]; then
    echo "usage: $0 MANTLE CLANG WORKDIR NAME..." >&2
    exit 2
fi
MANTLE=$1
CLANG=$2
WORK=$3
shift 3
SRC=$(cd "$(dirname "$0")" && pwd)
RUN_TIMEOUT=${RUN_TIMEOUT:-60}   # seconds for one guest run

mkdir -p "$WORK/scratch" || exit 1
WORK=$(cd "$WORK" && pwd)

failed=0
S=        # this test's scratch directory
ST=0      # status of the last run_guest
OUT=      # its stdout file
ERR=      # its stderr file

# ---- helpers ---------------------------------------------------------------

fail() {
    echo "FAIL: $CUR: $*"
    if [ -n "$OUT" ] && [ -f "$OUT" ]; then
        echo "  stdout:"; head -c 4000 "$OUT" | sed 's/^/    | /'
    fi
    if [ -n "$ERR" ] && [ -f "$ERR" ]; then
        echo "  stderr:"; head -c 4000 "$ERR" | sed 's/^/    | /'
    fi
    CUR_FAILED=1
}

# compile NAME: NAME.c -> WORK/NAME.wasm (through a temporary, so that
# a half-written module is never left behind).
compile() {
    local name=$1 tmp
    tmp=$(mktemp "$WORK/$name.wasm.XXXXXX") || return 1
    if ! "$CLANG" --target=wasm32-wasi -O2 -Wall -Wextra -Werror \
            -o "$tmp" "$SRC/$name.c" 2>"$WORK/$name.cc.log"; then
        echo "FAIL: $name: clang --target=wasm32-wasi could not build $name.c:"
        sed 's/^/    | /' "$WORK/$name.cc.log"
        rm -f "$tmp"
        return 1
    fi
    mv -f "$tmp" "$WORK/$name.wasm"
}

# run_guest [-i STDIN] MANTLE-RUN-ARGS...: `mantle run ARGS` with stdout and
# stderr captured to files; ST is its exit status. Standard input is
# /dev/null unless -i names a file.
run_guest() {
    local in=/dev/null
    if [ "$1" = -i ]; then
        in=$2
        shift 2
    fi
    OUT=$S/stdout.$((++RUNS))
    ERR=$S/stderr.$RUNS
    timeout -k 5 "$RUN_TIMEOUT" "$MANTLE" run "$@" <"$in" >"$OUT" 2>"$ERR"
    ST=$?
    if [ "$ST" -eq 124 ] || [ "$ST" -eq 137 ]; then
        fail "timed out after ${RUN_TIMEOUT}s: mantle run $*"
        return 1
    fi
    return 0
}

# expect_ok WHAT: the last run exited 0 and printed "ok" as its last line.
expect_ok() {
    if [ "$ST" -ne 0 ]; then
        fail "$1: exit status $ST, want 0"
    elif [ "$(tail -n 1 "$OUT")" != ok ]; then
        fail "$1: last line of output is not \"ok\""
    fi
}

# expect_status WANT WHAT
expect_status() {
    if [ "$ST" -ne "$1" ]; then
        fail "$2: exit status $ST, want $1"
    fi
}

# snapshot DIR: every entry under DIR with type, size, mode, mtime, link
# target, and the contents' checksum: any change shows as a difference.
snapshot() {
    (
        cd "$1" || exit 1
        find . -printf '%p %y %s %m %T@ %l\n' | LC_ALL=C sort
        find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r cksum
    )
}

# same_tree BEFORE-FILE DIR WHAT: DIR's snapshot still equals BEFORE-FILE.
same_tree() {
    local after=$S/snap.after.$RANDOM
    snapshot "$2" >"$after"
    if ! cmp -s "$1" "$after"; then
        fail "$3: $2 changed:"
        diff "$1" "$after" | head -40 | sed 's/^/    /'
    fi
}

# only_entry DIR NAME: the scratch directory holds NAME (and our logs).
no_strays() {
    local stray
    stray=$(cd "$S" && find . -mindepth 1 -maxdepth 1 \
        ! -name 'stdout.*' ! -name 'stderr.*' ! -name 'snap.*' \
        ! -name 'in.*' ! -name sandbox ! -name outside ! -name ro ! -name rw)
    if [ -n "$stray" ]; then
        fail "files appeared beside the preopen: $stray"
    fi
}

sandbox() {
    mkdir -p "$S/sandbox"
}

# ---- the tests -------------------------------------------------------------

test_args_env() {
    run_guest --env FOO=bar --env 'SPACED=a b c' --env EMPTY= --env EQ=x=y \
        "$WASM" explicit alpha "with space" "" "ünï"
    expect_ok "explicit args and --env"
    MANTLE_WASI_INHERIT=yes-$$ run_guest --env-inherit "$WASM" inherit
    expect_ok "--env-inherit"
    MANTLE_WASI_INHERIT=yes-$$ run_guest "$WASM" none
    expect_ok "no --env: empty environment"
}

test_clocks() {
    run_guest "$WASM" "$(date +%s)"
    expect_ok clocks
}

test_random() {
    run_guest "$WASM"
    expect_ok random
}

test_fd_io() {
    sandbox
    run_guest --dir "$S/sandbox::/sandbox" "$WASM"
    expect_ok "fd I/O"
    # the guest's writes reached the host file system
    if [ "$(cat "$S/sandbox/libc.txt" 2>/dev/null)" != "hello, world" ]; then
        fail "sandbox/libc.txt on the host does not hold what the guest wrote"
    fi
    if ! seq 0 999 | sed 's/^/line /' | cmp -s - "$S/sandbox/stdio.txt"; then
        fail "sandbox/stdio.txt on the host differs from 'line 0'..'line 999'"
    fi
    if [ "$(stat -c %s "$S/sandbox/big.bin" 2>/dev/null)" != 1048576 ]; then
        fail "sandbox/big.bin on the host is not 1 MiB"
    fi
    no_strays
}

test_fd_meta() {
    sandbox
    run_guest --dir "$S/sandbox::/sandbox" "$WASM"
    expect_ok "fd metadata"
    # the last times the guest set on times.txt are visible on the host
    if [ "$(stat -c %X:%Y "$S/sandbox/times.txt" 2>/dev/null)" != \
         1234567890:1234567891 ]; then
        fail "times.txt on the host: atime:mtime $(stat -c %X:%Y \
            "$S/sandbox/times.txt" 2>&1), want 1234567890:1234567891"
    fi
    if [ "$(stat -c %s "$S/sandbox/alloc.bin" 2>/dev/null)" != 4096 ]; then
        fail "alloc.bin on the host is not 4096 bytes"
    fi
    no_strays
}

test_dirs() {
    sandbox
    run_guest --dir "$S/sandbox::/sandbox" "$WASM"
    expect_ok directories
    local n
    n=$(find "$S/sandbox/list" -mindepth 1 | wc -l)
    if [ "$n" -ne 41 ]; then   # 40 files + subdir + link - f0
        fail "sandbox/list on the host has $n entries, want 41"
    fi
    [ -d "$S/sandbox/d1" ] && fail "sandbox/d1 still exists on the host"
    no_strays
}

test_paths() {
    sandbox
    run_guest --dir "$S/sandbox::/sandbox" "$WASM"
    expect_ok paths
    if [ "$(readlink "$S/sandbox/lsl")" != sdir/target.txt ]; then
        fail "the guest's symlink lsl is not sdir/target.txt on the host"
    fi
    if [ "$(stat -c %h "$S/sandbox/l2" 2>/dev/null)" != 1 ] ||
       [ "$(cat "$S/sandbox/l2" 2>/dev/null)" != L ]; then
        fail "sandbox/l2 on the host: want one link holding L"
    fi
    no_strays
}

test_badfd() {
    sandbox
    run_guest --dir "$S/sandbox::/sandbox" "$WASM"
    expect_ok "bad fds"
}

test_poll() {
    sandbox
    # stdin stays empty until the guest has seen a poll time out with
    # nothing to read (it then creates stdin-wanted), then carries one line
    mkfifo "$S/in.fifo" || { fail "mkfifo"; return; }
    { for _ in $(seq 600); do
          [ -e "$S/sandbox/stdin-wanted" ] && break
          sleep 0.05
      done
      printf 'ping\n'; } >"$S/in.fifo" &
    local writer=$!
    run_guest -i "$S/in.fifo" --dir "$S/sandbox::/sandbox" "$WASM"
    wait "$writer"
    expect_ok "poll_oneoff"
}

test_stdin_echo() {
    local in=$S/in.bin want got
    # 1 MiB and a few bytes of binary data, zeros included
    head -c 1048579 /dev/urandom >"$in"
    want=$(cksum <"$in")
    run_guest -i "$in" "$WASM" cksum
    expect_status 0 "stdin cksum"
    got=$(cat "$OUT")
    [ "$got" = "$want" ] || fail "guest cksum '$got', host cksum '$want'"
    run_guest -i "$in" "$WASM" cat
    expect_status 0 "stdin cat"
    cmp -s "$in" "$OUT" || fail "stdin copied to stdout differs from the input"
    # empty input
    : >"$S/in.empty"
    want=$(cksum <"$S/in.empty")
    run_guest -i "$S/in.empty" "$WASM" cksum
    expect_status 0 "empty stdin"
    [ "$(cat "$OUT")" = "$want" ] || fail "empty stdin: '$(cat "$OUT")', want '$want'"
    # a pipe, not a file
    OUT=$S/stdout.pipe
    ERR=$S/stderr.pipe
    got=$(head -c 300000 "$in" | timeout "$RUN_TIMEOUT" \
        "$MANTLE" run "$WASM" cksum 2>"$ERR")
    want=$(head -c 300000 "$in" | cksum)
    [ "$got" = "$want" ] || fail "piped stdin: guest '$got', host '$want'"
}

test_exit_code() {
    local code
    for code in 0 7 42 113; do
        run_guest "$WASM" exit "$code"
        expect_status "$code" "exit($code)"
        [ "$(cat "$OUT")" = "exiting $code" ] ||
            fail "exit($code): output before exit was lost"
    done
    run_guest "$WASM" proc 42
    expect_status 42 "proc_exit(42)"
    # proc_exit ends the instance at once: libc's buffer is never flushed
    [ -s "$OUT" ] && fail "proc_exit(42): unflushed stdio output appeared"
    run_guest "$WASM" return 3
    expect_status 3 "return 3 from main"
    run_guest "$WASM" trap
    expect_status 1 "a trap"
    [ "$(cat "$OUT")" = trapping ] || fail "trap: stdout before the trap lost"
    [ -s "$ERR" ] || fail "trap: nothing on stderr"
    run_guest "$WASM" raise
    expect_ok "proc_raise refused"
}

# talk PORT LINE: connect (retrying while the guest starts), send LINE,
# print the one-line reply.
talk() {
    local port=$1 line=$2 i reply
    for ((i = 0; i < 100; i++)); do
        if exec 7<>"/dev/tcp/127.0.0.1/$port"; then
            printf '%s\n' "$line" >&7
            IFS= read -r -t 10 reply <&7
            exec 7<&- 7>&-
            printf '%s\n' "$reply"
            return 0
        fi 2>/dev/null
        kill -0 "$GUEST" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

test_sockets() {
    local attempt port line want got
    for attempt in 1 2 3; do
        port=$((20000 + RANDOM % 40000))
        OUT=$S/stdout.sock$attempt
        ERR=$S/stderr.sock$attempt
        timeout -k 5 "$RUN_TIMEOUT" "$MANTLE" run --listen "127.0.0.1:$port" \
            "$WASM" </dev/null >"$OUT" 2>"$ERR" &
        GUEST=$!
        line="hello mantle"
        if got=$(talk "$port" "$line"); then
            break
        fi
        wait "$GUEST"
        ST=$?
        # the port may have been taken: try another, then give up
        if [ "$attempt" -eq 3 ]; then
            fail "could not connect to the guest on 127.0.0.1:$port (status $ST)"
            return
        fi
    done
    want="$(printf '%s' "$line" | tr '[:lower:]' '[:upper:]') ${#line}"
    [ "$got" = "$want" ] || fail "client 1: reply '$got', want '$want'"
    line="Second line, with CAPS and 123"
    got=$(talk "$port" "$line") || fail "client 2: no connection"
    want="$(printf '%s' "$line" | tr '[:lower:]' '[:upper:]') ${#line}"
    [ "$got" = "$want" ] || fail "client 2: reply '$got', want '$want'"
    wait "$GUEST"
    ST=$?
    expect_ok "sockets"
}

test_escape() {
    local T=$S
    mkdir -p "$T/outside/emptydir" "$T/sandbox/sub"
    printf secret >"$T/outside/secret.txt"
    printf inside >"$T/sandbox/inside.txt"
    printf file >"$T/sandbox/sub/file.txt"
    (
        cd "$T/sandbox" || exit 1
        ln -s /etc etc_link
        ln -s /etc/passwd etc_passwd
        ln -s .. up
        ln -s ../outside outlink
        ln -s "$T/outside" abs_out
        ln -s c2 c1
        ln -s c3 c2
        ln -s ../outside/secret.txt c3
        ln -s sub/d2link d1
        ln -s ../../outside sub/d2link
        ln -s ../outside/made_dangling.txt newout
        ln -s "$T/outside/made_abs.txt" abs_new
        ln -s sub/file.txt good
        ln -s ../inside.txt sub/upgood
        ln -s loop2 loop1
        ln -s loop1 loop2
    ) || { fail "setting up the sandbox"; return; }
    rm -f /tmp/mantle_escape_abs
    snapshot "$T/outside" >"$T/snap.outside"
    run_guest --dir "$T/sandbox::/sandbox" --dir "$T/sandbox/sub::/inner" "$WASM"
    expect_ok "escape attempts"
    same_tree "$T/snap.outside" "$T/outside" "escape attempts"
    [ "$(cat "$T/sandbox/inside.txt" 2>/dev/null)" = inside ] ||
        fail "sandbox/inside.txt was moved or changed"
    if [ -e /tmp/mantle_escape_abs ]; then
        fail "/tmp/mantle_escape_abs was created through an absolute path"
        rm -rf /tmp/mantle_escape_abs
    fi
    no_strays
}

test_escape_race() {
    local T=$S rel=0
    mkdir -p "$T/outside" "$T/sandbox/race/a" "$T/sandbox/race/b"
    printf marker >"$T/outside/marker"
    snapshot "$T/outside" >"$T/snap.outside"
    OUT=$S/stdout.race
    ERR=$S/stderr.race
    timeout -k 5 "$RUN_TIMEOUT" "$MANTLE" run --dir "$T/sandbox::/sandbox" \
        "$WASM" 3 </dev/null >"$OUT" 2>"$ERR" &
    GUEST=$!
    # swap race/b: real directory -> symlink out (absolute, then relative,
    # alternately) -> real directory, for as long as the guest runs
    (
        cd "$T/sandbox/race" || exit 1
        while kill -0 "$GUEST" 2>/dev/null; do
            mv -T b b_real 2>/dev/null
            if [ $((rel ^= 1)) -eq 1 ]; then
                ln -sfn ../../outside b_tmp
            else
                ln -sfn "$T/outside" b_tmp
            fi
            mv -T b_tmp b
            rm -f b
            mv -T b_real b 2>/dev/null
        done
    ) &
    local swapper=$!
    wait "$GUEST"
    ST=$?
    wait "$swapper"
    expect_ok "rename race"
    sed -n 's/^rounds/  race: rounds/p' "$OUT"
    same_tree "$T/snap.outside" "$T/outside" "rename race"
    no_strays
}

test_readonly() {
    mkdir -p "$S/ro/sub" "$S/rw"
    printf 'readonly data' >"$S/ro/data.txt"
    ln -s data.txt "$S/ro/link"
    touch -d '2001-02-03 04:05:06' "$S/ro/data.txt" "$S/ro/sub" "$S/ro"
    snapshot "$S/ro" >"$S/snap.ro"
    run_guest --dir-ro "$S/ro::/ro" --dir "$S/rw::/rw" "$WASM"
    expect_ok "read-only preopen"
    same_tree "$S/snap.ro" "$S/ro" "read-only preopen"
    [ "$(cat "$S/rw/copy.txt" 2>/dev/null)" = "readonly data" ] ||
        fail "rw/copy.txt on the host does not hold the copied data"
    no_strays
}

# ---- main ------------------------------------------------------------------

if [ ! -x "$MANTLE" ]; then
    echo "FAIL: $MANTLE: not an executable" >&2
    exit 1
fi
for CUR in "$@"; do
    if ! declare -F "test_$CUR" >/dev/null; then
        echo "FAIL: $CUR: no such test"
        failed=$((failed + 1))
        continue
    fi
    if ! compile "$CUR"; then
        failed=$((failed + 1))
        continue
    fi
    WASM=$WORK/$CUR.wasm
    S=$(mktemp -d "$WORK/scratch/$CUR.XXXXXX") || exit 1
    RUNS=0
    CUR_FAILED=0
    OUT=
    ERR=
    "test_$CUR"
    if [ "$CUR_FAILED" -ne 0 ]; then
        echo "wasi.$CUR: FAILED (scratch kept in $S)"
        failed=$((failed + 1))
    else
        echo "wasi.$CUR: passed"
        rm -rf "$S"
    fi
done
[ "$failed" -eq 0 ]
