# lib.sh - shared by the tests/agent scripts (sourced): check helpers and
# the PKI they generate with openssl.
# SPDX-License-Identifier: Apache-2.0

failures=0
pass() { printf 'ok   %s\n' "$1"; }
fail() {
    printf 'FAIL %s\n' "$1"
    failures=$((failures + 1))
}
check() { # check NAME COMMAND...
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}
die() {
    printf 'FATAL %s\n' "$1"
    [ -f mantled.log ] && sed 's/^/  mantled: /' mantled.log | tail -40
    [ -n "${PID:-}" ] && kill -9 "$PID" 2>/dev/null
    exit 1
}

gen_ca() { # NAME
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$1.key" -out "$1.pem" -days 2 -subj "/CN=$1" 2>/dev/null
}
gen_cert() { # NAME CA CN [EXTFILE]
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$1.key" -out "$1.csr" -subj "/CN=$3" 2>/dev/null &&
        openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" \
            -CAcreateserial -out "$1.pem" -days 2 ${4:+-extfile "$4"} 2>/dev/null
}

wait_for() { # wait_for SECONDS COMMAND...: poll until it succeeds
    local t=$1
    shift
    for _ in $(seq $((t * 20))); do
        "$@" && return 0
        sleep 0.05
    done
    return 1
}
wait_serving() { # after starting mantled as $PID logging to mantled.log: ADDR
    ADDR=
    for _ in $(seq 200); do
        ADDR=$(sed -n 's/^mantled: serving https:\/\/\([^ ]*\) .*/\1/p' mantled.log)
        [ -n "$ADDR" ] && return 0
        kill -0 "$PID" 2>/dev/null || die "mantled exited at start"
        sleep 0.05
    done
    die "mantled did not start"
}
