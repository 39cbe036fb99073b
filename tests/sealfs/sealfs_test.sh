#!/usr/bin/env bash
# sealfs_test.sh - sealed directories end to end under `mantle run`.
# SPDX-License-Identifier: Apache-2.0
#
# usage: sealfs_test.sh MANTLE CLANG WORKDIR ops|tamper|crash|crash-big|crash-wb|tpm [N]
#
#   ops     an unmodified WASI C program (sealed_ops.c) does every file
#           operation on a sealed directory, then checks them after a
#           restart; the host directory shows no file name or plaintext.
#   tamper  each attack on the host copy is detected: the guest gets EIO
#           and never tampered (or any) plaintext of what was attacked.
#   crash   kill -9 the runtime at random points of a write-heavy guest
#           (crash_guest.c), N times (default 200); after each kill the
#           directory opens, in one committed state (never a mix).
#   crash-big  the same with a 9 MiB file through an 8 MiB page cache:
#           kills land among dirty pages spilled before the commit too.
#   crash-wb   crash-big with --sealed-cache 64M, a cache that holds the
#           whole file: kills land among runs written early (write-behind)
#           while every page stays cached.
#   tpm     the TPM backend against a swtpm this test starts: a rollback
#           of the whole directory together with the state directory is
#           detected through the TPM NV counter.
#
# The guests are compiled with clang --target=wasm32-wasi into a fresh
# WORKDIR/MODE.XXXXXX (so any runs can go in parallel), removed when the
# run passes.
# Never skips: a missing tool is a failure.
set -u
if [ $# -lt 4 ]; then
    echo "usage: $0 MANTLE CLANG WORKDIR ops|tamper|crash|crash-big|crash-wb|tpm [N]" >&2
    exit 2
fi
MANTLE=$1 CLANG=$2 WORK=$3 MODE=$4 N=${5:-200}
SRC=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$WORK" || exit 1
WORK=$(cd "$WORK" && pwd)
# A directory of its own per run, so that runs of one mode (ctest -j, two
# trees, a repeat) never share files; kept when the run fails.
T=$(mktemp -d "$WORK/$MODE.XXXXXX") || exit 1
failed=0
TEE=soft

fail() { echo "FAIL: $*"; failed=1; }

compile() {
    if ! "$CLANG" --target=wasm32-wasi -O2 -Wall -Wextra -Werror \
            -o "$T/$1.wasm" "$SRC/$1.c" 2>"$T/$1.cc.log"; then
        echo "FAIL: clang --target=wasm32-wasi could not build $1.c:"
        sed 's/^/    | /' "$T/$1.cc.log"
        exit 1
    fi
}

# sealed DIR STATE GUEST ARGS...: run GUEST with DIR sealed at /data;
# stdout in $T/out, stderr in $T/err, status in ST.
sealed() {
    local dir=$1 state=$2 guest=$3
    shift 3
    timeout -k 5 60 "$MANTLE" run --tee="$TEE" --state-dir "$state" \
        --dir-sealed "$dir::/data" "$T/$guest.wasm" "$@" \
        >"$T/out" 2>"$T/err"
    ST=$?
}

show() { sed 's/^/    | /' "$T/out" "$T/err" | head -20; }

# expect_eio WHAT FILE: cat of FILE in $T/d gets EIO and prints nothing else
expect_eio() {
    sealed "$T/d" "$T/s" sealed_ops cat /data "$2"
    if [ "$ST" -ne 3 ] || [ "$(cat "$T/out")" != EIO ]; then
        fail "$1: reading $2 was not refused with EIO (status $ST)"; show
    fi
}

# expect_ls_eio WHAT: the whole directory refuses (its manifest is bad)
expect_ls_eio() {
    sealed "$T/d" "$T/s" sealed_ops ls /data
    if [ "$ST" -ne 3 ] || [ "$(cat "$T/out")" != EIO ] ||
       ! grep -q "the guest gets EIO" "$T/err"; then
        fail "$1: the directory was not refused with EIO (status $ST)"; show
    fi
}

expect_cat() {   # FILE SHA256
    sealed "$T/d" "$T/s" sealed_ops cat /data "$1"
    if [ "$ST" -ne 0 ] || [ "$(sha256sum <"$T/out" | cut -d' ' -f1)" != "$2" ]; then
        fail "reading $1 of an intact directory (status $ST)"; show
    fi
}

# The manifest slot (sealfs.0 or sealfs.1) or version table slot that a
# directory's last commit wrote: the current one.
cur_manifest() { ls -t "$1"/sealfs.[01] | head -1; }
cur_table() { ls -t "$1"/sealfs-versions.[01] | head -1; }

# The node file of the only sealed file created since `before` was listed.
newest_node() {
    ls -t "$T/d" | grep -E '^[0-9a-f]{32}$' | head -1
}

flip() {   # FILE OFFSET: invert one byte in place
    local b
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "$(printf '\\%03o' $((255 - b)))" |
        dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

restore() {   # NAME: put the pristine copy back
    rm -rf "$T/d" "$T/s"
    cp -a "$T/$1.d" "$T/d" && cp -a "$T/$1.s" "$T/s"
}

snapshot() {   # NAME
    rm -rf "$T/$1.d" "$T/$1.s"
    cp -a "$T/d" "$T/$1.d" && cp -a "$T/s" "$T/$1.s"
}

test_ops() {
    compile sealed_ops
    mkdir -p "$T/d" "$T/s"
    sealed "$T/d" "$T/s" sealed_ops write /data
    [ "$ST" -eq 0 ] && [ "$(tail -1 "$T/out")" = ok ] || { fail "write"; show; }
    grep -q "no hardware monotonic counter" "$T/err" ||
        { fail "no notice that soft has no hardware counter"; show; }
    sealed "$T/d" "$T/s" sealed_ops check /data
    [ "$ST" -eq 0 ] && [ "$(tail -1 "$T/out")" = ok ] ||
        { fail "check after restart"; show; }
    # nothing of the names or contents on the host
    if ls -R "$T/d" | grep -qE 'hello|big|log|renamed|sub2|deeper|victim'; then
        fail "a guest file name is visible on the host:"; ls -R "$T/d"
    fi
    if grep -rqaE 'hello, sealed|renamed|deep' "$T/d"; then
        fail "guest plaintext is visible on the host"
    fi
    # another module, or the same one with another launch configuration,
    # cannot open the directory
    cp "$T/sealed_ops.wasm" "$T/other.wasm" && printf '\0\2\1x' >>"$T/other.wasm"
    timeout 60 "$MANTLE" run --tee=soft --state-dir "$T/s" --dir-sealed \
        "$T/d::/data" "$T/other.wasm" cat /data hello.txt >"$T/out" 2>"$T/err"
    [ "$?" -eq 3 ] && [ "$(cat "$T/out")" = EIO ] ||
        { fail "another module read the sealed directory"; show; }
    timeout 60 "$MANTLE" run --tee=soft --state-dir "$T/s" --env X=1 \
        --dir-sealed "$T/d::/data" "$T/sealed_ops.wasm" cat /data hello.txt \
        >"$T/out" 2>"$T/err"
    [ "$?" -eq 3 ] || { fail "another launch configuration read it"; show; }
    # still intact afterwards
    sealed "$T/d" "$T/s" sealed_ops check /data
    [ "$ST" -eq 0 ] || { fail "check after foreign opens"; show; }
    # --sealed-cache: the same directory through a cache of another size
    # (not part of the launch configuration); below 1M is a usage error
    for size in 1M 64M; do
        timeout 60 "$MANTLE" run --tee=soft --state-dir "$T/s" \
            --sealed-cache "$size" --dir-sealed "$T/d::/data" \
            "$T/sealed_ops.wasm" check /data >"$T/out" 2>"$T/err"
        [ "$?" -eq 0 ] && [ "$(tail -1 "$T/out")" = ok ] ||
            { fail "check with --sealed-cache $size"; show; }
    done
    "$MANTLE" run --sealed-cache 512K --tee=soft --state-dir "$T/s" \
        --dir-sealed "$T/d::/data" "$T/sealed_ops.wasm" check /data \
        >"$T/out" 2>"$T/err"
    [ "$?" -eq 2 ] && grep -q -- "--sealed-cache" "$T/err" ||
        { fail "--sealed-cache 512K was not refused"; show; }
    # O_SYNC: each write is committed when it returns, before any close
    local pid
    "$MANTLE" run --tee=soft --state-dir "$T/s" --dir-sealed "$T/d::/data" \
        "$T/sealed_ops.wasm" osync /data >"$T/osync.out" 2>"$T/osync.err" &
    pid=$!
    for _ in $(seq 100); do
        grep -q written "$T/osync.out" 2>/dev/null && break
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    sealed "$T/d" "$T/s" sealed_ops cat /data sync.txt
    [ "$ST" -eq 0 ] && [ "$(cat "$T/out")" = durable ] ||
        { fail "an O_SYNC write did not survive kill -9"; show; cat "$T/osync.err"; }
    # two runtimes committing at once to two directories that share the
    # state directory (and its version table): both stay consistent
    compile crash_guest
    mkdir -p "$T/c1" "$T/c2"
    local p1 p2 s1 s2
    "$MANTLE" run --tee=soft --state-dir "$T/s" --dir-sealed "$T/c1::/data" \
        "$T/crash_guest.wasm" churn /data 25 >/dev/null 2>"$T/c1.err" &
    p1=$!
    "$MANTLE" run --tee=soft --state-dir "$T/s" --dir-sealed "$T/c2::/data" \
        "$T/crash_guest.wasm" churn /data 25 >/dev/null 2>"$T/c2.err" &
    p2=$!
    wait "$p1"; s1=$?
    wait "$p2"; s2=$?
    [ "$s1" -eq 0 ] && [ "$s2" -eq 0 ] ||
        { fail "concurrent commits: status $s1 $s2"; cat "$T/c1.err" "$T/c2.err"; }
    for c in c1 c2; do
        sealed "$T/$c" "$T/s" crash_guest verify /data
        [ "$ST" -eq 0 ] && [ "$(cat "$T/out")" = 25 ] ||
            { fail "concurrent commits: $c after"; show; }
    done
}

test_tamper() {
    compile sealed_ops
    mkdir -p "$T/d" "$T/s"
    local a b sa sb node off slots
    # a.bin: 5 data nodes and 1 index node; b.bin: as many; sub/c.txt
    sealed "$T/d" "$T/s" sealed_ops mk /data a.bin 20000 1
    a=$(newest_node); sleep 0.01
    sealed "$T/d" "$T/s" sealed_ops mk /data b.bin 20000 2
    b=$(newest_node)
    [ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ] || { fail "setup"; return; }
    sealed "$T/d" "$T/s" sealed_ops cat /data a.bin
    sa=$(sha256sum <"$T/out" | cut -d' ' -f1)
    sealed "$T/d" "$T/s" sealed_ops cat /data b.bin
    sb=$(sha256sum <"$T/out" | cut -d' ' -f1)
    snapshot v1
    slots=$(( $(stat -c %s "$T/d/$a") / 4125 ))
    [ "$slots" -eq 6 ] || fail "a.bin has $slots nodes, want 6"

    # a flipped byte in each node (data and index), at a random place
    for ((i = 0; i < slots; i++)); do
        restore v1
        off=$((i * 4125 + RANDOM % 4125))
        flip "$T/d/$a" "$off"
        expect_eio "flip byte $off (node $i)" a.bin
        expect_cat b.bin "$sb"   # the other file is untouched
    done
    # two nodes swapped inside the file
    restore v1
    dd if="$T/v1.d/$a" of="$T/d/$a" bs=4125 skip=1 seek=2 count=1 conv=notrunc status=none
    dd if="$T/v1.d/$a" of="$T/d/$a" bs=4125 skip=2 seek=1 count=1 conv=notrunc status=none
    expect_eio "swap nodes 1 and 2" a.bin
    # two files swapped
    restore v1
    mv "$T/d/$a" "$T/swap" && mv "$T/d/$b" "$T/d/$a" && mv "$T/swap" "$T/d/$b"
    expect_eio "swap files" a.bin
    expect_eio "swap files" b.bin
    # truncated: a node cut, a whole node gone, the file emptied
    for len in 24000 20625 0; do
        restore v1
        truncate -s "$len" "$T/d/$a"
        expect_eio "truncate to $len" a.bin
    done
    # the file deleted on the host
    restore v1
    rm "$T/d/$a"
    expect_eio "node file deleted" a.bin
    # the manifest: flipped, truncated, deleted
    restore v1
    flip "$(cur_manifest "$T/d")" 40
    expect_ls_eio "flip a byte of the manifest"
    restore v1
    truncate -s 100 "$(cur_manifest "$T/d")"
    expect_ls_eio "truncate the manifest"
    restore v1
    rm "$(cur_manifest "$T/d")"
    expect_ls_eio "delete the manifest"
    restore v1
    rm "$T"/d/sealfs.[01]
    expect_ls_eio "delete both manifest slots"
    # the version table
    restore v1
    flip "$(cur_table "$T/s")" 20
    expect_ls_eio "flip a byte of the version table"

    # older copies: a.bin rewritten (v2), then its old node file put back
    restore v1
    sealed "$T/d" "$T/s" sealed_ops mk /data a.bin 20000 3
    [ "$ST" -eq 0 ] || { fail "rewrite a.bin"; show; }
    snapshot v2
    cp "$T/v1.d/$a" "$T/d/$a"
    expect_eio "an older copy of one file" a.bin
    # the older manifest alone
    restore v2
    cp "$(cur_manifest "$T/v1.d")" "$(cur_manifest "$T/d")"
    expect_ls_eio "an older manifest"
    # the whole sealed directory, older
    restore v2
    rm -rf "$T/d" && cp -a "$T/v1.d" "$T/d"
    expect_ls_eio "an older copy of the whole directory"
    # ... mixed with new files
    restore v2
    cp "$T/v1.d/$b" "$T/d/$b" &&
        cp "$(cur_manifest "$T/v1.d")" "$(cur_manifest "$T/d")"
    expect_ls_eio "old manifest mixed with new files"
    # The documented limit of the soft backend: the directory and the state
    # directory rolled back together are not detected (tpm detects it).
    restore v1
    sealed "$T/d" "$T/s" sealed_ops cat /data a.bin
    [ "$ST" -eq 0 ] && [ "$(sha256sum <"$T/out" | cut -d' ' -f1)" = "$sa" ] ||
        { fail "soft: a consistent older state (data and state) should open"; show; }
    # and after all that, an untouched copy still reads back
    restore v2
    expect_cat b.bin "$sb"
}

test_crash() {   # [MIB] [EXTRA_MS] [--sealed-cache SIZE]
    compile crash_guest
    mkdir -p "$T/d" "$T/s"
    local last=0 g pid kills=0 start=$SECONDS t0 lo span ms big=${1:-}
    local extra=${2:-0} cache=("${@:3}")
    # How long start-up and mount take in this build (ASan is slower): kill
    # from half of that to 150 ms past it, so kills land in start-up and
    # mount (where a roll-forward happens) and anywhere in the transactions.
    t0=$(date +%s%N)
    sealed "$T/d" "$T/s" crash_guest verify /data $big
    t0=$((($(date +%s%N) - t0) / 1000000))
    lo=$((t0 / 2)) span=$((t0 / 2 + 150 + extra))
    for ((i = 1; i <= N; i++)); do
        "$MANTLE" run --tee=soft --state-dir "$T/s" ${cache[@]+"${cache[@]}"} \
            --dir-sealed "$T/d::/data" "$T/crash_guest.wasm" churn /data \
            1000000 $big >/dev/null \
            2>"$T/churn.err" &
        pid=$!
        ms=$((lo + RANDOM % span))
        sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
        kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
        wait "$pid" 2>/dev/null
        sealed "$T/d" "$T/s" crash_guest verify /data $big
        g=$(cat "$T/out")
        if [ "$ST" -ne 0 ]; then
            fail "iteration $i: the directory did not open consistent"; show
            break
        fi
        if [ "$g" -lt "$last" ]; then
            fail "iteration $i: generation went back from $last to $g"
            break
        fi
        last=$g
    done
    echo "crash: $N iterations, $kills kills (at $lo..$((lo + span)) ms)," \
         "reached generation $last in $((SECONDS - start)) s"
    [ "$last" -gt 0 ] || fail "no transaction ever committed"
}

test_tpm() {
    compile sealed_ops
    . "$SRC/../tee/swtpm.sh"
    trap swtpm_stop EXIT
    swtpm_start "$T/tpmstate" || exit 1
    TEE="tpm:$TCTI"
    mkdir -p "$T/d" "$T/s"
    sealed "$T/d" "$T/s" sealed_ops mk /data a.bin 20000 1
    [ "$ST" -eq 0 ] || { fail "tpm: write"; show; return; }
    grep -q "hardware monotonic counter" "$T/err" && ! grep -q "no hardware" "$T/err" ||
        { fail "tpm: no notice of the hardware counter"; show; }
    sealed "$T/d" "$T/s" sealed_ops cat /data a.bin
    local sa
    sa=$(sha256sum <"$T/out" | cut -d' ' -f1)
    snapshot v1
    sealed "$T/d" "$T/s" sealed_ops mk /data a.bin 20000 2
    [ "$ST" -eq 0 ] || { fail "tpm: rewrite"; show; }
    sealed "$T/d" "$T/s" sealed_ops cat /data a.bin
    [ "$ST" -eq 0 ] && [ "$(sha256sum <"$T/out" | cut -d' ' -f1)" != "$sa" ] ||
        { fail "tpm: read back"; show; }
    snapshot v2
    # the whole directory and the whole state directory, older: the TPM
    # counter has moved on
    restore v1
    expect_ls_eio "tpm: older directory and state directory together"
    grep -q "stale" "$T/err" || { fail "tpm: the reason is not the counter"; show; }
    # the current state still opens
    restore v2
    sealed "$T/d" "$T/s" sealed_ops ls /data
    [ "$ST" -eq 0 ] && [ "$(cat "$T/out")" = "a.bin " ] || { fail "tpm: current"; show; }
    swtpm_stop
}

case $MODE in
    ops) test_ops ;;
    tamper) test_tamper ;;
    crash) test_crash ;;
    crash-big) test_crash 9 500 --sealed-cache 8M ;;
    crash-wb) test_crash 9 500 --sealed-cache 64M ;;
    tpm) test_tpm ;;
    *) echo "unknown mode $MODE" >&2; exit 2 ;;
esac
if [ "$failed" -eq 0 ]; then
    echo "sealfs.$MODE: passed"
    rm -rf "$T"
else
    echo "sealfs.$MODE: files kept in $T"
fi
exit "$failed"
