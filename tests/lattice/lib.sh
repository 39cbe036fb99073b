# lib.sh - shared by the fleet tests (sourced after ../agent/lib.sh): a
# work directory whose processes die with the test, one JetStream server,
# mantled's API certificate and token, and the settings every test node
# has.
# SPDX-License-Identifier: Apache-2.0

# fleet_work DIR: a fresh DIR as the current directory; every process added
# to PIDS is killed when the test exits.
fleet_work() {
    rm -rf "$1" && mkdir -p "$1" && cd "$1" || exit 1
    PIDS=()
    trap fleet_cleanup EXIT
}
fleet_cleanup() {
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
}

# die MESSAGE: the last lines of every log in the work directory, then
# exit 1 (this replaces agent/lib.sh's, which knows one mantled.log).
die() {
    printf 'FATAL %s\n' "$1"
    local f
    for f in *.log *.err; do
        [ -f "$f" ] && { echo "--- $f"; tail -25 "$f"; }
    done
    exit 1
}

# fleet_nats TCPGATE: one nats-server with JetStream on a free loopback
# port (nats.conf, nats.log); exports MANTLE_LATTICE; waits until
# JetStream answers. Fails, never skips, without nats-server.
fleet_nats() {
    local port
    command -v nats-server >/dev/null ||
        { echo "FATAL nats-server not found (scripts/deps.sh)"; exit 1; }
    port=$("$1" --free-ports 1) || die "no free port"
    printf 'listen: 127.0.0.1:%s\njetstream { store_dir: "%s/js" }\n' \
        "$port" "$PWD" >nats.conf
    nats-server -c nats.conf >nats.log 2>&1 &
    PIDS+=($!)
    export MANTLE_LATTICE=nats://127.0.0.1:$port
    wait_for 20 "$MANTLE" deploy ls --timeout 2s >/dev/null 2>&1 ||
        die "nats-server's JetStream did not come up"
}

# fleet_node_pki: server.pem/.key (mantled's HTTPS API, signed by opca) and
# tokens (one operator token).
fleet_node_pki() {
    printf 'subjectAltName=IP:127.0.0.1\n' >san.ext
    gen_ca opca && gen_cert server opca localhost san.ext || die "openssl failed"
    printf 'ops 0123456789abcdef0123456789abcdef\n' >tokens
}

# fleet_node_conf NAME [LATTICE]: NAME.conf with the settings every test
# node has, then the lines on stdin.
fleet_node_conf() {
    {
        cat <<EOF
state_dir = $PWD/$1
listen = 127.0.0.1:0
tls_cert = $PWD/server.pem
tls_key = $PWD/server.key
tokens_file = $PWD/tokens
drain_ms = 2s
lattice = ${2:-$MANTLE_LATTICE}
node_id = $1
EOF
        cat
    } >"$1.conf"
}
