#!/usr/bin/env bash
# lattice_test.sh - the fleet end to end over NATS, on loopback.
# SPDX-License-Identifier: Apache-2.0
#
# usage: lattice_test.sh BUILD_DIR TEST_BIN_DIR WORK_DIR
#
# Starts a 3-server nats-server cluster with JetStream (R3 buckets), a leaf
# node server linked to it through tcpgate (so the test can cut the link),
# and four mantled nodes with different facts: n1 (tier=cloud, soft TEE,
# attested), n2 (tier=cloud), n3 (tier=edge, all three server URLs), n4
# (tier=edge, on the leaf server). Then: invalid manifests and an
# unreachable NATS give clear errors; deployments land only where their
# constraints allow (TEE, labels, spread) and impossible ones stay pending
# with the reason; `mantle invoke` reaches them (a bounded load test prints
# latency and throughput); kill -9 of a node moves its replica within a
# bound; the leaf partitioned keeps serving locally and resynchronises;
# a NATS server killed makes its client reconnect; SIGTERM drains every
# node. Every check can fail. Without nats-server the test fails.
set -uo pipefail
# shellcheck source=../agent/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../agent/lib.sh"
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUILD=$1
BIN=$2
WORK=$3
MANTLE=$BUILD/mantle
MANTLED=$BUILD/mantled
GATE=$BIN/tcpgate
NATS_SERVER=$(command -v nats-server) ||
    { echo "FATAL nats-server not found: install it (scripts/deps.sh)"; exit 1; }
fleet_work "$WORK"
now_ms() { date +%s%3N; }

# ---- NATS: 3-server cluster with JetStream, a leaf server behind a gate ----
mapfile -t P < <("$GATE" --free-ports 12) || die "no free ports"
C=(${P[0]} ${P[1]} ${P[2]})       # client ports s1..s3
R=(${P[3]} ${P[4]} ${P[5]})       # cluster routes
L=(${P[6]} ${P[7]} ${P[8]})       # leafnode listeners
LEAF=${P[9]} GATEP=${P[10]} DEAD=${P[11]}
for i in 0 1 2; do
    n=$((i + 1))
    routes=""
    for j in 0 1 2; do
        [ "$j" != "$i" ] && routes="$routes${routes:+, }nats-route://127.0.0.1:${R[$j]}"
    done
    cat >s$n.conf <<EOF
server_name: s$n
listen: 127.0.0.1:${C[$i]}
jetstream { store_dir: "$WORK/js$n", domain: hub }
cluster { name: mantle, listen: 127.0.0.1:${R[$i]}, routes: [$routes] }
EOF
    # Only s1 accepts leaf nodes, and it advertises the gate as its
    # leafnode address: the leaf server would otherwise learn a way around
    # the gate and reconnect through it during the partition.
    [ $n = 1 ] && echo "leafnodes { listen: 127.0.0.1:${L[$i]}, advertise: \"127.0.0.1:$GATEP\" }" >>s$n.conf
    "$NATS_SERVER" -c s$n.conf >s$n.log 2>&1 &
    PIDS+=($!)
    eval "S${n}_PID=$!"
done
# The leaf server reaches s1's leafnode port through the gate.
cat >leaf.conf <<EOF
server_name: leaf
listen: 127.0.0.1:$LEAF
leafnodes { reconnect: 1, remotes: [ { url: "nats-leaf://127.0.0.1:$GATEP" } ] }
EOF
start_gate() {
    "$GATE" "$GATEP" "${L[0]}" >gate.log 2>&1 &
    GATE_PID=$!
    PIDS+=($GATE_PID)
    wait_for 5 grep -q ready gate.log || die "tcpgate did not start"
}
start_gate
"$NATS_SERVER" -c leaf.conf >leaf.log 2>&1 &
PIDS+=($!)
HUB="nats://127.0.0.1:${C[0]},nats://127.0.0.1:${C[1]},nats://127.0.0.1:${C[2]}"
LEAFURL="nats://127.0.0.1:$LEAF"
export MANTLE_LATTICE="$HUB" MANTLE_LATTICE_DOMAIN=hub MANTLE_LATTICE_REPLICAS=3
# JetStream is ready once a meta leader is elected: deploy ls then works.
wait_for 30 "$MANTLE" deploy ls --timeout 2s >/dev/null 2>&1 ||
    die "the NATS cluster's JetStream did not come up"
wait_for 15 "$MANTLE" deploy ls --lattice "$LEAFURL" --timeout 2s >/dev/null 2>&1 ||
    die "JetStream not reachable through the leaf server"
pass "NATS: 3-server JetStream cluster and a leaf server up"

# ---- clear errors before any node exists ----------------------------------
"$MANTLE" deploy ls --lattice "nats://127.0.0.1:$DEAD" --timeout 1s >out.txt 2>&1
check "unreachable NATS: exit 1" test $? = 1
check "... saying so" grep -q "cannot reach NATS at nats://127.0.0.1:$DEAD" out.txt
env -u MANTLE_LATTICE "$MANTLE" deploy ls >out.txt 2>&1
check "no lattice given: exit 2" test $? = 2
check "... saying how to give one" grep -q "set MANTLE_LATTICE" out.txt
cp "$BIN/echo.wasm" .
printf 'name: Bad_Name\nmodule: echo.wasm\nreplicas: -1\n' >bad1.yaml
"$MANTLE" deploy bad1.yaml >out.txt 2>&1
check "invalid manifest: exit 2" test $? = 2
check "... naming file and field" grep -q "bad1.yaml: name" out.txt
printf '{"name": "x", "module": "echo.wasm", "constraints": {"tee": ["sev"]}}' >bad2.json
"$MANTLE" deploy bad2.json >out.txt 2>&1
check "unknown TEE kind: exit 2, field path" grep -q "bad2.json: constraints.tee\[0\]" out.txt
printf 'name: x\nmodule: missing.wasm\n' >bad3.yaml
"$MANTLE" deploy bad3.yaml >out.txt 2>&1
check "missing module file: named, with the reason" grep -q "missing.wasm: read: No such file" out.txt

# ---- four nodes -----------------------------------------------------------
fleet_node_pki
mkdir -p roots
start_node() { # NAME LATTICE LABELS TEE
    local name=$1
    mkdir -p "$name/tee"
    fleet_node_conf $name "$2" <<EOF
tick_ms = 20ms
lattice_domain = hub
lattice_replicas = 3
node_labels = $3
node_tee = $4
tee_roots = $WORK/roots
heartbeat_ms = 300ms
dead_after_ms = 1500ms
lease_ms = 1500ms
reconnect_max_ms = 500ms
invoke_timeout_ms = 10s
EOF
    "$MANTLED" --config $name.conf >>$name.log 2>&1 &
    eval "${name^^}_PID=$!"
    PIDS+=($!)
}
# n1's soft TEE root is what every reconciler trusts for its evidence.
mkdir -p n1/tee
"$MANTLE" evidence root --tee=soft --state-dir n1/tee -o roots/n1.pem >out.txt 2>&1 ||
    die "mantle evidence root: $(cat out.txt)"
start_node n1 "nats://127.0.0.1:${C[0]}" "tier=cloud,site=dc1" soft
# n2 claims the soft TEE too, but no reconciler trusts its root.
start_node n2 "nats://127.0.0.1:${C[1]}" "tier=cloud,site=dc1" soft
start_node n3 "$HUB" "tier=edge,site=dc2" ""
start_node n4 "$LEAFURL" "tier=edge,site=branch" ""
for n in n1 n2 n3 n4; do
    wait_for 20 grep -q "fleet: node $n joined" $n.log || die "$n did not join"
done
pass "four mantled nodes joined"

# ---- deployments: constraints decide --------------------------------------
cat >conf.yaml <<EOF
name: conf
module: echo.wasm
replicas: 2
constraints:
  tee: [soft]
  debug_ok: true
  spread: node
EOF
cat >edge.yaml <<EOF
name: edge
module: echo.wasm
replicas: 2
constraints:
  labels: {tier: edge}
  spread: node
EOF
cat >web.json <<EOF
{"name": "web", "module": "echo.wasm", "replicas": 1,
 "constraints": {"labels": {"tier": "cloud"}}}
EOF
cat >never.yaml <<EOF
name: never
module: echo.wasm
replicas: 2
constraints:
  arch: [riscv64]
  labels: {tier: moon}
EOF
placed() { # NAME N: N replicas placed
    [ "$("$MANTLE" deploy status "$1" 2>/dev/null | grep -c '^  replica [0-9]*: n[0-9]')" = "$2" ]
}
t0=$(now_ms)
"$MANTLE" deploy conf.yaml >deploy.txt 2>&1 || die "deploy conf: $(cat deploy.txt)"
wait_for 20 placed conf 1 || die "conf not placed: $("$MANTLE" deploy status conf 2>&1)"
t1=$(now_ms)
echo "placement latency (deploy to assignment, incl. upload): $((t1 - t0)) ms"
check "deploy uploads the module by digest" grep -q "module sha256:[0-9a-f]\{64\}: uploaded" deploy.txt
for f in edge.yaml web.json never.yaml; do
    "$MANTLE" deploy $f >deploy.txt 2>&1 || die "deploy $f: $(cat deploy.txt)"
done
check "re-deploying the same module does not upload it again" grep -q "already stored" deploy.txt
wait_for 20 placed edge 2 || die "edge not placed: $("$MANTLE" deploy status edge 2>&1)"
wait_for 20 placed web 1 || die "web not placed"
"$MANTLE" deploy status conf >st.txt
check "conf (tee: soft) only on the attested node n1" grep -q "^  replica 0: n1" st.txt
check "... not on n2, whose evidence no root verifies (pending)" \
    grep -q "^  replica 1: pending: .*soft not verified" st.txt
check "... the reconciler logged why" grep -q "node n2: TEE evidence refused" n[1-4].log
"$MANTLE" deploy status edge >st.txt
check "edge (tier=edge, spread node) on n3 and n4" \
    sh -c "grep -q ': n3' st.txt && grep -q ': n4' st.txt"
wait_for 10 sh -c "'$MANTLE' deploy status never | grep -c 'pending' | grep -q 2"
"$MANTLE" deploy status never >st.txt
check "impossible constraints: every replica pending" test "$(grep -c ': pending' st.txt)" = 2
check "... with the reason (arch)" grep -qi "arch" st.txt
cat st.txt
"$MANTLE" deploy ls >ls.txt
check "deploy ls lists all four" test "$(wc -l <ls.txt)" = 4
"$MANTLE" deploy status nosuch >out.txt 2>&1
check "deploy status of an unknown name: exit 1" test $? = 1
check "... no such deployment" grep -q "nosuch: no such deployment" out.txt

# ---- invocation -------------------------------------------------------------
wait_for 10 sh -c "'$MANTLE' invoke conf --data ping 2>/dev/null | grep -q 'echo: ping'"
out=$("$MANTLE" invoke conf --data hello -v 2>inv.err)
check "invoke conf: stdin in, stdout out" test "$out" = "echo: hello"
check "... answered by n1" grep -q "answered by node n1" inv.err
printf 'from a file\n' >req.txt
wait_for 10 sh -c "'$MANTLE' invoke edge --file req.txt 2>/dev/null | grep -q 'echo: from a file'"
check "invoke edge --file" sh -c "'$MANTLE' invoke edge --file req.txt | grep -q 'echo: from a file'"
"$MANTLE" invoke never --data x --timeout 2s >out.txt 2>&1
check "invoke of a pending deployment: no replica serving" grep -q "no replica is serving it" out.txt
wait_for 10 sh -c "'$MANTLE' invoke web --data up >/dev/null 2>&1" || die "web does not answer"
"$MANTLE" invoke web --data load --repeat 200 --concurrency 4 >/dev/null 2>load.txt
check "load: 200 invocations, none failed" grep -q "200 requests, 0 failed" load.txt
cat load.txt

# ---- kill -9 a node: its replica moves ---------------------------------------
holder=$("$MANTLE" deploy status web | sed -n 's/^  replica 0: \(n[0-9]\).*/\1/p')
other=n1; [ "$holder" = n1 ] && other=n2
pid_var="${holder^^}_PID"
t0=$(now_ms)
kill -9 "${!pid_var}"
moved() { "$MANTLE" deploy status web 2>/dev/null | grep -q "^  replica 0: $other" &&
    "$MANTLE" invoke web --data moved -v 2>&1 | grep -q "answered by node $other"; }
wait_for 20 moved || die "web did not move from $holder to $other"
t1=$(now_ms)
echo "failover: web moved from $holder to $other and answers in $((t1 - t0)) ms"
check "failover within 10 s (dead_after 1.5 s, lease 1.5 s, heartbeat 0.3 s)" test $((t1 - t0)) -lt 10000

# ---- partition the leaf: n4 keeps serving locally, then resynchronises ------
kill -9 $GATE_PID
t0=$(now_ms)
wait_for 15 sh -c "'$MANTLE' deploy status edge | grep -q 'replica 1: pending\|replica 0: pending'" ||
    die "the hub did not notice n4 gone: $("$MANTLE" deploy status edge 2>&1)"
echo "partition noticed by the reconciler after $(($(now_ms) - t0)) ms"
"$MANTLE" invoke edge --lattice "$LEAFURL" --data local -v >out.txt 2>&1
check "partitioned leaf: n4 still answers local clients" \
    sh -c "grep -q 'echo: local' out.txt && grep -q 'answered by node n4' out.txt" ||
    cat out.txt
"$MANTLE" invoke edge --data hub -v >out.txt 2>&1
check "... and the hub's clients reach n3" grep -q "answered by node n3" out.txt
start_gate
t0=$(now_ms)
wait_for 20 sh -c "'$MANTLE' deploy status edge | grep -q ': n4'" ||
    die "n4 not back after the partition: $("$MANTLE" deploy status edge 2>&1)"
echo "partition healed: n4 placed again after $(($(now_ms) - t0)) ms"
check "n4 logged its resynchronisation" wait_for 5 grep -q "fleet: node n4 resynchronised" n4.log
wait_for 10 sh -c "'$MANTLE' invoke edge --lattice '$LEAFURL' --data again -v 2>&1 | grep -q 'node n4'"
check "n4 serves again after the partition" test $? = 0

# ---- facts change: n3's labels reloaded (SIGHUP) -----------------------------
sed -i 's/^node_labels = .*/node_labels = tier=lab,site=dc2/' n3.conf
t0=$(now_ms)
kill -HUP $N3_PID
wait_for 10 sh -c "'$MANTLE' deploy status edge | grep -q 'replica 0: pending'"
t1=$(now_ms)
"$MANTLE" deploy status edge >st.txt
check "n3 relabelled tier=lab: its edge replica leaves it (pending)" grep -q "replica 0: pending" st.txt
check "... saying why (label tier)" grep -q "replica 0: pending: .*label tier" st.txt || cat st.txt
echo "facts change re-placed after $((t1 - t0)) ms"
sed -i 's/^node_labels = .*/node_labels = tier=edge,site=dc2/' n3.conf
kill -HUP $N3_PID
check "relabelled back: placed on n3 again" \
    wait_for 10 sh -c "'$MANTLE' deploy status edge | grep -q 'replica 0: n3'"

# ---- drain: a node leaving on SIGTERM withdraws its facts -------------------
# Its replica is re-placed at the next round, not after dead_after_ms.
t0=$(now_ms)
kill -TERM $N4_PID
wait_for 10 sh -c "'$MANTLE' deploy status edge | grep -q 'replica 1: pending'"
t1=$(now_ms)
"$MANTLE" deploy status edge >st.txt
check "drained n4: its edge replica pending (no other free edge node)" grep -q "replica 1: pending" st.txt
check "... because n4 withdrew its facts (3 nodes left), not by timeout" grep -q "replica 1: pending: 3 nodes" st.txt || cat st.txt
echo "drain of n4 seen by the reconciler after $((t1 - t0)) ms"
wait $N4_PID
check "n4 drained on SIGTERM (exit 0)" test $? = 0

"$MANTLE" deploy rm never >out.txt 2>&1
check "deploy rm" sh -c "grep -q 'deployment never removed' out.txt && ! '$MANTLE' deploy ls | grep -q never"
check "... its assignment goes too" \
    wait_for 5 sh -c "'$MANTLE' deploy status never 2>&1 | grep -q 'no such deployment'"
# A deployment removed while it runs: the nodes that are not the reconciler
# read its assignment before the reconciler deletes it, and its manifest
# after it is gone (this once crashed them with a double free).
printf 'name: gone\nmodule: echo.wasm\nreplicas: 2\n' >gone.yaml
"$MANTLE" deploy gone.yaml >/dev/null 2>&1 || die "deploy gone failed"
live=(n1 n2 n3)
live=(${live[@]/$holder}) # web's first host was killed above
check "gone: placed on the two live nodes" wait_for 20 sh -c \
    "grep -q 'replica gone/[01] started' ${live[0]}.log &&
     grep -q 'replica gone/[01] started' ${live[1]}.log"
"$MANTLE" deploy rm gone >/dev/null 2>&1 || die "deploy rm gone failed"
pid_a="${live[0]^^}_PID" pid_b="${live[1]^^}_PID"
check "... removed while running: both stop it and stay up" wait_for 10 sh -c \
    "grep -q 'replica gone/[01] stopped' ${live[0]}.log &&
     grep -q 'replica gone/[01] stopped' ${live[1]}.log &&
     kill -0 ${!pid_a} && kill -0 ${!pid_b}"

# ---- a NATS server dies: its clients reconnect -------------------------------
# n3 lists all three servers; kill the one it is connected to.
via=$(sed -n 's/.*fleet: node n3 \(joined\|resynchronised\) via nats:\/\/127.0.0.1:\([0-9]*\).*/\2/p' n3.log | tail -1)
victim=
for i in 0 1 2; do [ "${C[$i]}" = "$via" ] && victim=$((i + 1)); done
[ -n "$victim" ] || die "cannot tell which server n3 is connected to"
pid_var="S${victim}_PID"
# The lease across the restart: its holder renews on a thread of its own
# with requests bounded below the lease period, so it keeps the lease
# unless the dead server was its only one (n1 is on s1 only, n2 on s2).
lease_holder() {
    "$MANTLE" deploy status conf 2>/dev/null |
        sed -n 's/^  reconciler: \(n[0-9]*\) (lease valid for .*/\1/p'
}
all_takeovers() { cat n1.log n2.log n3.log | grep -c "reconciler lease taken over"; }
pre_holder=$(lease_holder)
pre_takeovers=$(all_takeovers)
cut_off="n3"
[ "$victim" = 1 ] && cut_off="$cut_off n1"
[ "$victim" = 2 ] && cut_off="$cut_off n2"
t0=$(now_ms)
kill -9 "${!pid_var}"
check "n3 reconnects to another server after s$victim died" \
    wait_for 15 grep -q "NATS link up via" n3.log
echo "n3 reconnected in $(($(now_ms) - t0)) ms"
# JetStream elects new stream leaders meanwhile (seconds, on a loaded
# machine): writes time out and rounds fail until it has.
check "... resynchronises" wait_for 30 grep -q "node n3 resynchronised" n3.log
check "... and stays (or is again) placed" \
    wait_for 20 sh -c "'$MANTLE' deploy status edge | grep -q 'replica 0: n3'"
# The server comes back (its JetStream state intact); nodes that had only
# its URL reconnect with backoff, and the leaf relinks if it was s1.
"$NATS_SERVER" -c s$victim.conf >>s$victim.log 2>&1 &
PIDS+=($!)
eval "S${victim}_PID=$!"
# conf runs only on n1 (the one attested node): pending if n1 was web's
# host, killed above (web lands on n1 when conf was not placed yet).
conf_at="replica 0: n1"
[ "$holder" = n1 ] && conf_at="replica 0: pending"
check "s$victim back: every node placed as before" wait_for 20 sh -c \
    "'$MANTLE' deploy status edge 2>/dev/null | grep -q 'replica 0: n3' &&
     '$MANTLE' deploy status conf 2>/dev/null | grep -q '$conf_at'"
changes=$(( $(all_takeovers) - pre_takeovers ))
echo "server s$victim restarted: lease held by $pre_holder before, $(lease_holder) after, $changes handover(s) (cut off: $cut_off)"
case " $cut_off " in
*" $pre_holder "*)
    check "... the lease changed hands at most once (its holder was cut off), not back" test "$changes" -le 1 ;;
*)
    check "... its holder $pre_holder, still connected, kept the lease (no handover)" test "$changes" = 0 ;;
esac

# ---- the reconciler dies: another node takes the lease over -------------------
alive=()
for n in n1 n2 n3; do [ "$n" != "$holder" ] && alive+=($n); done
# The holder is read from the lease itself (lease_holder, above).
find_leader() { # the same live holder across more than a lease period
    local a b
    a=$(lease_holder)
    [ -n "$a" ] && [ "$a" != "$holder" ] || return 1
    sleep 2
    b=$(lease_holder)
    [ "$a" = "$b" ] || return 1
    leader=$a
}
# A live holder that stays the same across more than a lease period.
leader=
for _ in $(seq 30); do find_leader && break; sleep 0.5; done
[ -n "$leader" ] || die "no live node holds the reconciler lease steadily"
takeovers() { cat n1.log n2.log n3.log | grep -c "reconciler lease taken over from $leader"; }
before=$(takeovers)
pid_var="${leader^^}_PID"
kill -9 "${!pid_var}"
t0=$(now_ms)
printf 'name: late\nmodule: echo.wasm\n' >late.yaml
"$MANTLE" deploy late.yaml >/dev/null 2>&1 || die "deploy late failed"
wait_for 20 placed late 1 || die "late not placed after the reconciler $leader died"
t1=$(now_ms)
new_holder() { local h; h=$(lease_holder); [ -n "$h" ] && [ "$h" != "$leader" ]; }
check "reconciler $leader killed: the lease has a new live holder" wait_for 10 new_holder
check "... which logged taking it over from $leader" \
    wait_for 5 sh -c "test \$(cat n1.log n2.log n3.log | grep -c 'reconciler lease taken over from $leader') -gt $before"
echo "reconciler killed: a new deployment placed $((t1 - t0)) ms later (lease_ms 1.5 s)"

# ---- drain ----------------------------------------------------------------------
for n in "${alive[@]}"; do
    pid_var="${n^^}_PID"
    [ "$n" = "$leader" ] && continue
    kill -TERM "${!pid_var}"
    wait "${!pid_var}"
    check "$n drains on SIGTERM (exit 0)" test $? = 0
done
check "no node crashed or leaked" sh -c "! grep -l 'AddressSanitizer\|LeakSanitizer\|runtime error' n*.log"
[ "$failures" = 0 ] || { for f in n1 n2 n3 n4; do echo "--- $f"; tail -15 $f.log; done; }
echo "$failures failure(s)"
test "$failures" = 0
