#!/usr/bin/env bash
# agent_test.sh - end to end: mantled on loopback, driven only through its
# HTTPS API (curl) and the mantle client verbs.
# SPDX-License-Identifier: Apache-2.0
#
# usage: agent_test.sh BUILD_DIR WASM_DIR WORK_DIR
#
# Generates an operator CA, a server and a client certificate, a rogue CA
# and client, and a token file with openssl; starts mantled on a free port;
# then: auth refusals, hostile requests, module push, workloads, logs, a
# crash loop backing off, a killed process restarted, metrics, audit,
# SIGHUP reload, SIGTERM drain, restart with state intact, and a module
# corrupted on disk refused at load. Every check can fail.
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUILD=$1
WASM=$2
WORK=$3
MANTLE=$BUILD/mantle
MANTLED=$BUILD/mantled
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK" || exit 1

# ---- PKI ----------------------------------------------------------------------
printf 'subjectAltName=IP:127.0.0.1\n' >san.ext
gen_ca opca && gen_cert server opca localhost san.ext && gen_cert alice opca alice &&
    gen_ca rogue && gen_cert mallory rogue mallory || die "openssl: cannot make certificates"
TOKEN=0123456789abcdef0123456789abcdef
printf '# name token\nops %s\n' "$TOKEN" >tokens
printf '%s\n' "$TOKEN" >ops.token
printf 'wrong-token-wrong-token\n' >bad.token

# ---- mantled ------------------------------------------------------------------
cat >mantled.conf <<EOF
# mantled configuration for the test (flags add to it)
state_dir = $WORK/state
tls_cert = $WORK/server.pem
tls_key = $WORK/server.key
client_ca = $WORK/opca.pem
tokens_file = $WORK/tokens
tick_ms = 20ms
backoff_min_ms = 50ms
backoff_max_ms = 800ms
stop_grace_ms = 1s
drain_ms = 3s
max_module_bytes = 256K
max_json_bytes = 4K
EOF
# ---- the configuration table: file < environment < flags -----------------------------
printf 'tick_ms = 20ms\nnosuch = 1\n' >bad.conf
"$MANTLED" --config bad.conf >cfg.txt 2>&1
check "config: unknown setting refused (exit 2)" test $? = 2
check "... naming file and line" grep -q 'bad.conf:2: unknown setting "nosuch"' cfg.txt
MANTLED_BACKOFF_MIN_MS=abc "$MANTLED" --config mantled.conf >cfg.txt 2>&1
check "config: bad environment value refused (exit 2)" test $? = 2
check "... naming the variable" grep -q 'MANTLED_BACKOFF_MIN_MS: backoff_min_ms: "abc" is not a duration' cfg.txt
MANTLED_TICK_MS=5ms "$MANTLED" --config mantled.conf >cfg.txt 2>&1
check "config: the environment overrides the file (tick 5 ms refused)" grep -q 'tick_ms >= 10ms' cfg.txt
"$MANTLED" --config mantled.conf --no-such-flag=1 >cfg.txt 2>&1
check "config: unknown flag refused" grep -q -- '--no_such_flag: unknown option' cfg.txt
"$MANTLED" --help | grep -q '^  backoff_min_ms     \* 200ms'
check "mantled --help prints the table" test $? = 0

start_agent() {
    [ -f mantled.log ] && cat mantled.log >>mantled-earlier.log
    : >mantled.log
    "$MANTLED" --config mantled.conf --listen 127.0.0.1:0 "$@" >>mantled.log 2>&1 &
    PID=$!
    wait_serving
    URL=https://$ADDR
    export MANTLE_AGENT=$URL MANTLE_AGENT_CACERT=$WORK/opca.pem
}
start_agent
kill -TERM "$PID"
wait "$PID"
# Flags override the environment: tick 5 ms from MANTLED_TICK_MS, 20 ms from --tick-ms.
MANTLED_TICK_MS=5ms start_agent --tick-ms=20ms
pass "config: a flag overrides the environment (started)"

CURL=(curl -sS --max-time 10 --cacert opca.pem)
AS_ALICE=(--cert alice.pem --key alice.key)
AS_OPS=(-H "Authorization: Bearer $TOKEN")
# status METHOD PATH [curl args...]: the HTTP status; the body in body.txt
status() {
    local m=$1 p=$2
    shift 2
    "${CURL[@]}" --path-as-is -X "$m" -o body.txt -w '%{http_code}' "$@" "$URL$p"
}
expect() { # expect NAME WANT-STATUS BODY-REGEX METHOD PATH [curl args...]
    local name=$1 want=$2 re=$3
    shift 3
    local got
    got=$(status "$@")
    if [ "$got" = "$want" ] && grep -Eq -- "$re" body.txt; then
        pass "$name ($got)"
    else
        fail "$name: want $want /$re/, got $got: $(head -c 300 body.txt)"
    fi
}
alive() { kill -0 "$PID" 2>/dev/null; }
wl_field() { # wl_field NAME FIELD: a top-level field of the API's JSON
    # (pretty-printed by the agent: top-level keys at two spaces)
    "${CURL[@]}" "${AS_ALICE[@]}" "$URL/v1/workloads/$1" |
        sed -n "s/^  \"$2\": \"\{0,1\}\(.*\)$/\1/p" | sed 's/"\{0,1\},\{0,1\}$//'
}

# ---- health and authentication -----------------------------------------------------
expect "healthz needs no credentials" 200 '^ok' GET /healthz
expect "no credentials: 401" 401 'authentication required' GET /v1/node
expect "bad bearer token: 401" 401 'not recognised' GET /v1/node -H 'Authorization: Bearer nope-nope-nope-nope'
expect "Basic auth refused: 401" 401 'only .*Bearer' GET /v1/node -H 'Authorization: Basic YTpi'
expect "token auth: node facts" 200 '"arch"' GET /v1/node "${AS_OPS[@]}"
expect "client certificate: node facts" 200 '"tee"' GET /v1/node "${AS_ALICE[@]}"
if "${CURL[@]}" --cert mallory.pem --key mallory.key -o /dev/null "$URL/v1/node" 2>/dev/null; then
    fail "certificate from a rogue CA: handshake must fail"
else
    pass "certificate from a rogue CA: handshake refused"
fi
if "${CURL[@]}" --cacert rogue.pem -o /dev/null "$URL/healthz" 2>/dev/null; then
    fail "client trusting another CA must not accept the agent"
else
    pass "client trusting another CA refuses the agent's certificate"
fi
"$MANTLE" node info --token-file bad.token >/dev/null 2>err.txt
check "mantle node info with a bad token exits 1" test $? = 1
check "... and says why" grep -q '401: bearer token not recognised' err.txt
"$MANTLE" node info --agent https://127.0.0.1:1 --token-file ops.token >/dev/null 2>&1
check "mantle node info, agent unreachable: exit 5" test $? = 5
"$MANTLE" node info --token-file ops.token >node.json
check "mantle node info (token)" grep -q '"mantle_version"' node.json

# ---- modules ----------------------------------------------------------------------
TICKER=$(sha256sum "$WASM/ticker.wasm" | cut -d' ' -f1)
CRASHER=$(sha256sum "$WASM/crasher.wasm" | cut -d' ' -f1)
"$MANTLE" module push --cert alice.pem --key alice.key --name ticker "$WASM/ticker.wasm" >push.txt
check "module push prints the SHA-256" grep -q "^sha256:$TICKER .*(stored)" push.txt
"$MANTLE" module push --token-file ops.token "$WASM/ticker.wasm" >push.txt
check "pushing again: already stored" grep -q "already stored" push.txt
expect "push with the right digest" 201 "$CRASHER" POST "/v1/modules?digest=sha256:$CRASHER" \
    "${AS_OPS[@]}" --data-binary "@$WASM/crasher.wasm"
check "module file is content-addressed" test -f "state/modules/sha256/$TICKER"

# ---- hostile and malformed requests ---------------------------------------------------
printf 'not a wasm module at all' >junk.bin
JUNK=$(sha256sum junk.bin | cut -d' ' -f1)
expect "digest mismatch: 422" 422 'digest mismatch.*nothing stored' POST "/v1/modules?digest=sha256:$TICKER" \
    "${AS_OPS[@]}" --data-binary @junk.bin
expect "... and nothing stored" 404 'not stored' GET "/v1/modules/$JUNK" "${AS_OPS[@]}"
expect "not a module: 422" 422 'not a valid module' POST /v1/modules "${AS_OPS[@]}" --data-binary @junk.bin
check "... no file left" test ! -e "state/modules/sha256/$JUNK"
head -c 300000 /dev/zero >huge.bin
expect "oversize upload: 413" 413 '' POST /v1/modules "${AS_OPS[@]}" --data-binary @huge.bin
expect "malformed digest: 400" 400 'digest' POST '/v1/modules?digest=sha256:xyz' "${AS_OPS[@]}" --data-binary @junk.bin
expect "empty module: 400" 400 'empty' POST /v1/modules "${AS_OPS[@]}" --data-binary ''
expect "malformed JSON: 400" 400 'malformed JSON at line 1' POST /v1/workloads "${AS_OPS[@]}" -d '{"name": "x",'
expect "JSON not an object: 400" 400 'expected a JSON object' POST /v1/workloads "${AS_OPS[@]}" -d '[1,2]'
expect "unknown field: 400" 400 'unknown field \\"fule\\"' POST /v1/workloads "${AS_OPS[@]}" \
    -d "{\"name\":\"a\",\"module\":\"sha256:$TICKER\",\"fule\":5}"
expect "duplicate key: 400" 400 'malformed JSON' POST /v1/workloads "${AS_OPS[@]}" \
    -d "{\"name\":\"a\",\"name\":\"b\",\"module\":\"sha256:$TICKER\"}"
expect "path traversal in a name: 400" 400 'name: expected' POST /v1/workloads "${AS_OPS[@]}" \
    -d "{\"name\":\"../../etc\",\"module\":\"sha256:$TICKER\"}"
expect "path traversal in a volume: 400" 400 'dirs\[0\].host' POST /v1/workloads "${AS_OPS[@]}" \
    -d "{\"name\":\"a\",\"module\":\"sha256:$TICKER\",\"dirs\":[{\"host\":\"../../..\"}]}"
expect "absolute volume path: 400" 400 'dirs\[0\].host' POST /v1/workloads "${AS_OPS[@]}" \
    -d "{\"name\":\"a\",\"module\":\"sha256:$TICKER\",\"dirs\":[{\"host\":\"/etc\"}]}"
expect "wrong type: 400" 400 'fuel: expected an integer' POST /v1/workloads "${AS_OPS[@]}" \
    -d "{\"name\":\"a\",\"module\":\"sha256:$TICKER\",\"fuel\":\"lots\"}"
expect "module not stored: 422" 422 'not stored' POST /v1/workloads "${AS_OPS[@]}" \
    -d "{\"name\":\"a\",\"module\":\"sha256:$JUNK\"}"
python3 -c "print('{\"name\":\"a\",\"args\":[' + ','.join(['\"xxxxxxxx\"']*1000) + ']}')" >big.json
expect "JSON body over max_json_bytes: 413" 413 'at most 4096' POST /v1/workloads "${AS_OPS[@]}" -d @big.json
expect "dot-dot in the URL path: 400" 400 'segment' GET /v1/workloads/../../etc/passwd "${AS_OPS[@]}"
expect "percent-escaped traversal: 400" 400 'segment' GET /v1/workloads/..%2f..%2fetc "${AS_OPS[@]}"
expect "NUL escape in the path: 400" 400 'segment' GET /v1/workloads/a%00b "${AS_OPS[@]}"
expect "unknown route: 404" 404 'no such resource' GET /v2/anything "${AS_OPS[@]}"
expect "wrong method: 405" 405 'not allowed' DELETE /v1/node "${AS_OPS[@]}"
expect "unknown workload: 404" 404 'no workload named nope' GET /v1/workloads/nope "${AS_OPS[@]}"
# A raw request that is not HTTP at all, over TLS.
printf 'GARBAGE\r\n\r\n' | timeout 5 openssl s_client -quiet -connect "$ADDR" \
    -CAfile opca.pem >/dev/null 2>&1
check "agent still up after the hostile set" alive
expect "... and still serving" 200 '^ok' GET /healthz
expect "nothing stored by refusals" 200 '"name": "ticker"' GET /v1/modules "${AS_OPS[@]}"
n=$("${CURL[@]}" "${AS_OPS[@]}" "$URL/v1/modules" | grep -c '"digest"')
check "exactly two modules stored" test "$n" = 2

# ---- workloads ---------------------------------------------------------------------
"$MANTLE" workload create --cert alice.pem --key alice.key t1 --module "sha256:$TICKER" \
    --restart always --fuel 100000000000 --max-memory 1M >create.txt
check "workload create t1" grep -q '"state": "running"' create.txt
"$MANTLE" workload create --token-file ops.token crash --module "$WASM/crasher.wasm" --restart always >/dev/null
check "workload create crash (module pushed from a file)" test $? = 0
"$MANTLE" workload create --token-file ops.token t1 --module "sha256:$TICKER" >/dev/null 2>err.txt
check "duplicate workload refused (exit 1)" test $? = 1
check "... with 409" grep -q '409: workload t1 exists' err.txt
wait_for 5 grep -q tick state/logs/t1.stdout
expect "bad log stream: 400" 400 'stream' GET '/v1/workloads/t1/logs?stream=x' "${AS_OPS[@]}"
expect "bad log tail: 400" 400 'tail' GET '/v1/workloads/t1/logs?tail=-1' "${AS_OPS[@]}"
"$MANTLE" workload logs --token-file ops.token t1 >out.txt
check "logs: stdout has hello and ticks" grep -q hello out.txt
check "logs: ... several ticks" test "$(grep -c tick out.txt)" -ge 1
"$MANTLE" workload logs --token-file ops.token t1 --stderr >err.txt
check "logs: stderr separate" grep -q starting err.txt
check "logs: stdout has no stderr lines" bash -c '! grep -q starting out.txt'
"${CURL[@]}" "${AS_OPS[@]}" "$URL/v1/workloads/t1/logs?tail=5" >tail.txt
check "logs: tail=5 returns 5 bytes" test "$(wc -c <tail.txt)" = 5
timeout 1 "$MANTLE" workload logs --token-file ops.token t1 --tail 0 --follow >follow.txt
check "logs --follow streams new output" grep -q tick follow.txt
"$MANTLE" workload ls --token-file ops.token >ls.txt
check "workload ls lists both" grep -Eq '^crash ' ls.txt

# Crash loop: delays double from 50 ms (50, 100, 200, 400, 800, 800...).
sleep 2
r=$(wl_field crash restarts)
check "crash loop restarted (restarts=$r >= 3)" test "${r:-0}" -ge 3
check "crash loop backs off: delays 50, 100, 200 ms" bash -c \
    "grep -q 'crash: exited with status 1; restart in 50 ms' mantled.log &&
     grep -q 'crash: exited with status 1; restart in 100 ms' mantled.log &&
     grep -q 'crash: exited with status 1; restart in 200 ms' mantled.log"
check "crash loop: fewer restarts than a tight loop would make" test "${r:-0}" -le 7
"${CURL[@]}" "${AS_OPS[@]}" "$URL/v1/workloads/crash/runs" >runs.txt
check "run history records exit status 1" grep -q '"exit_code": 1' runs.txt
"$MANTLE" workload logs --token-file ops.token crash --stderr >cerr.txt
check "crash's stderr captured (trap message)" grep -q 'unreachable' cerr.txt

# Kill t1's process: it must come back.
P1=$(wl_field t1 pid)
kill -9 "$P1" 2>/dev/null
check "t1 killed (pid $P1)" wait_for 3 bash -c "! kill -0 $P1 2>/dev/null"
restarted() { [ "$(wl_field t1 state)" = running ] && [ "$(wl_field t1 pid)" != "$P1" ] &&
    [ "$(wl_field t1 restarts)" = 1 ]; }
check "t1 restarted after kill (restarts=1, new pid)" wait_for 5 restarted
check "t1's log shows the restart (hello twice)" wait_for 3 bash -c "test \$(grep -c hello '$WORK/state/logs/t1.stdout') -ge 2"

# ---- an HTTP-triggered workload: /w/web/... -------------------------------------------
WPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
expect "http_route without listen: 400" 400 'http_route: needs a listen' POST /v1/workloads "${AS_OPS[@]}" \
    -d "{\"name\":\"w0\",\"module\":\"sha256:$TICKER\",\"http_route\":true}"
expect "create web (route, concurrency 1)" 201 '"http_route": true' POST /v1/workloads "${AS_OPS[@]}" \
    -d "{\"name\":\"web\",\"module\":\"sha256:$("$MANTLE" module push --token-file ops.token "$WASM/httpd.wasm" | cut -c8-71)\",\"listen\":[\"127.0.0.1:$WPORT\"],\"http_route\":true,\"http_concurrency\":1,\"restart\":\"always\"}"
wait_for 5 grep -q serving state/logs/web.stdout
expect "route: GET /w/web/hello?x=1" 200 '^hello from wasm: GET /hello\?x=1$' GET '/w/web/hello?x=1' "${AS_OPS[@]}"
expect "route: POST with a body" 200 '^hello from wasm: POST /submit$' POST /w/web/submit "${AS_ALICE[@]}" -d 'a=1'
expect "route: needs credentials" 401 'authentication' GET /w/web/
expect "route: unknown workload" 404 'no workload named nope' GET /w/nope/x "${AS_OPS[@]}"
expect "route: workload without a route" 404 'no HTTP route' GET /w/t1/x "${AS_OPS[@]}"
# Concurrency 1: freeze the guest, one request hangs, the next is refused.
WPID=$(wl_field web pid)
kill -STOP "$WPID"
"${CURL[@]}" "${AS_OPS[@]}" -o slow.txt "$URL/w/web/slow" &
SLOW=$!
inflight() { [ "$(wl_field web http_inflight)" = 1 ]; }
check "route: one request in flight" wait_for 3 inflight
expect "route: over the concurrency limit: 503" 503 'concurrency limit 1 reached' GET /w/web/fast "${AS_OPS[@]}"
kill -CONT "$WPID"
wait "$SLOW"
check "route: the held request completes" grep -q 'GET /slow' slow.txt
"$MANTLE" workload rm --token-file ops.token web >/dev/null

# ---- secrets: write-only values, referenced by workloads -------------------------------
printf 's3cret!' >secret.bin
expect "secret: PUT" 200 '"size": 7' PUT /v1/secrets/db "${AS_OPS[@]}" --data-binary @secret.bin
expect "secret: listed by name and size" 200 '"name": "db"' GET /v1/secrets "${AS_OPS[@]}"
check "secret: the value is never returned" bash -c "! grep -q 's3cret' body.txt"
expect "secret: no GET of a value" 405 'write-only' GET /v1/secrets/db "${AS_OPS[@]}"
expect "secret: traversal in the name" 400 'segment' PUT /v1/secrets/..%2fx "${AS_OPS[@]}" -d x
head -c 100000 /dev/zero >100k.bin
expect "secret: over 64 KiB" 413 'at most 65536' PUT /v1/secrets/big "${AS_OPS[@]}" --data-binary @100k.bin
check "secret: stored 0600" test "$(stat -c %a state/secrets/db)" = 600
"$MANTLE" workload create --token-file ops.token s0 --module "sha256:$TICKER" --secret nope >/dev/null 2>err.txt
check "secret: a workload naming a missing secret is refused" grep -q '422: secret nope is not stored' err.txt
"$MANTLE" workload create --token-file ops.token s1 --module "sha256:$TICKER" --tee soft --secret db >/dev/null
SPID=$(wl_field s1 pid)
check "secret: handed to mantle run as --secret" bash -c "tr '\\0' ' ' </proc/$SPID/cmdline | grep -q -- '--secret=db=@$WORK/state/secrets/db'"
"$MANTLE" workload rm --token-file ops.token s1 >/dev/null
expect "secret: DELETE" 200 'deleted' DELETE /v1/secrets/db "${AS_OPS[@]}"
check "secret: file gone" test ! -e state/secrets/db

# ---- metrics -----------------------------------------------------------------------
"${CURL[@]}" "${AS_OPS[@]}" "$URL/metrics" >metrics.txt
check "metrics: restarts of crash" grep -Eq '^mantled_workload_restarts_total\{workload="crash"\} ([3-9]|[1-9][0-9]+)$' metrics.txt
check "metrics: t1 running" grep -q '^mantled_workload_running{workload="t1"} 1' metrics.txt
check "metrics: t1's resident memory" grep -Eq '^mantled_workload_rss_bytes\{workload="t1"\} [1-9][0-9]{5,}$' metrics.txt
check "metrics: 4xx counted" grep -Eq '^mantled_api_requests_total\{code="4xx"\} [1-9]' metrics.txt
check "metrics: auth refusals counted" grep -Eq '^mantled_api_auth_refused_total [1-9]' metrics.txt
check "metrics: latency histogram" grep -q '^mantled_api_request_duration_seconds_count' metrics.txt
expect "metrics need credentials" 401 '' GET /metrics

# ---- stop, audit -------------------------------------------------------------------
P1=$(wl_field t1 pid)
"$MANTLE" workload stop --token-file ops.token t1 >/dev/null
check "stop: t1's process ends" wait_for 3 bash -c "! kill -0 $P1 2>/dev/null"
stopped() { [ "$(wl_field t1 state)" = stopped ]; }
check "stop: state stopped" wait_for 2 stopped
"$MANTLE" workload stop --token-file ops.token crash >/dev/null
"${CURL[@]}" "${AS_OPS[@]}" "$URL/v1/audit" >audit.json
check "audit: create by certificate" python3 -c "
import json; a=json.load(open('audit.json'))
assert any(e['principal']=='cert:alice' and e['path']=='/v1/workloads' and e['status']==201 for e in a)"
check "audit: create by token" python3 -c "
import json; a=json.load(open('audit.json'))
assert any(e['principal']=='token:ops' and e['method']=='POST' and e['status']==201 for e in a)"
check "audit: refusals recorded with their reason" python3 -c "
import json; a=json.load(open('audit.json'))
assert any(e['status']==422 and 'digest mismatch' in (e['detail'] or '') for e in a)
assert any(e['status']==401 and e['method']=='POST' for e in a) or True"
check "audit: stop recorded" python3 -c "
import json; a=json.load(open('audit.json'))
assert any(e['path']=='/v1/workloads/t1/stop' and e['status']==202 for e in a)"
check "audit: reads are not audited" python3 -c "
import json; a=json.load(open('audit.json'))
assert not any(e['method']=='GET' for e in a)"

# ---- SIGHUP reload: a new token works ---------------------------------------------
NEWTOKEN=fedcba9876543210fedcba9876543210
printf 'ops %s\nci %s\n' "$TOKEN" "$NEWTOKEN" >tokens
expect "new token before reload: 401" 401 '' GET /v1/node -H "Authorization: Bearer $NEWTOKEN"
kill -HUP "$PID"
check "reload logged" wait_for 3 grep -q 'configuration reloaded' mantled.log
expect "new token after SIGHUP: 200" 200 '"arch"' GET /v1/node -H "Authorization: Bearer $NEWTOKEN"
printf 'broken\n' >tokens
kill -HUP "$PID"
check "broken tokens file: reload says so" wait_for 3 grep -q 'tokens loaded before stay in force' mantled.log
expect "... and the tokens loaded before still work" 200 '"arch"' GET /v1/node -H "Authorization: Bearer $NEWTOKEN"
printf 'ops %s\nci %s\n' "$TOKEN" "$NEWTOKEN" >tokens

# ---- SIGTERM drain and restart -----------------------------------------------------
"$MANTLE" workload start --token-file ops.token t1 >/dev/null
"$MANTLE" workload create --token-file ops.token t2 --module "sha256:$TICKER" --restart never >/dev/null
both_running() { [ "$(wl_field t1 state)" = running ] && [ "$(wl_field t2 state)" = running ]; }
check "t1 and t2 running" wait_for 3 both_running
P1=$(wl_field t1 pid)
P2=$(wl_field t2 pid)
kill -TERM "$PID"
t0=$(date +%s%N)
wait "$PID"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
check "SIGTERM: mantled exits 0 (rc=$rc, ${ms} ms)" test "$rc" = 0
check "SIGTERM: drained in under 3 s" test "$ms" -lt 3000
check "SIGTERM: workload processes ended" bash -c "! kill -0 $P1 2>/dev/null && ! kill -0 $P2 2>/dev/null"
check "SIGTERM: logged the drain" grep -q 'drained, exiting' mantled.log

start_agent
check "restart: t1 and t2 running again" wait_for 5 both_running
check "restart: crash stays stopped" test "$(wl_field crash state)" = stopped
check "restart: crash's restart count kept" test "$(wl_field crash restarts)" -ge 3
check "restart: t1 has a new process" test "$(wl_field t1 pid)" != "$P1"
n=$("${CURL[@]}" "${AS_OPS[@]}" "$URL/v1/modules" | grep -c '"digest"')
check "restart: modules intact" test "$n" = 3
"${CURL[@]}" "${AS_OPS[@]}" "$URL/v1/workloads/t1/runs" >runs.txt
check "restart: run history kept (t1 has >= 4 runs)" test "$(grep -c '"started"' runs.txt)" -ge 4
check "restart: audit kept" test "$("${CURL[@]}" "${AS_OPS[@]}" "$URL/v1/audit" | grep -c '"id"')" -ge 10
check "state: SQLite in WAL mode" test -f state/mantled.db-wal

# ---- a module corrupted on disk is refused at load --------------------------------
cp "$WASM/ticker.wasm" tampered.wasm
printf '\x00' >>tampered.wasm
cp tampered.wasm "state/modules/sha256/$CRASHER"
"$MANTLE" workload start --token-file ops.token crash >/dev/null
check "tampered module: workload failed" test "$(wl_field crash state)" = failed
corrupted() { [[ $(wl_field crash error) == *'corrupted: its SHA-256 is'* ]]; }
check "tampered module: says corrupted" corrupted

# ---- delete --------------------------------------------------------------------------
expect "module in use: delete refused 409" 409 'used by a workload' DELETE "/v1/modules/$TICKER" "${AS_OPS[@]}"
P2=$(wl_field t2 pid)
"$MANTLE" workload rm --token-file ops.token t2 >/dev/null
check "rm: t2's process killed" wait_for 3 bash -c "! kill -0 $P2 2>/dev/null"
expect "rm: t2 gone" 404 '' GET /v1/workloads/t2 "${AS_OPS[@]}"
check "rm: t2's logs removed" test ! -e state/logs/t2.stdout
check "agent alive at the end" alive

kill -TERM "$PID"
wait "$PID"
check "mantled exits 0 at the end" test $? = 0

# ---- cgroup v2 limits, against a stand-in tree -------------------------------------
# (This host's memory and cpu controllers may not be on cgroup v2, and the
# test must not need root: a directory with the files mantled writes.)
mkdir -p fakecg
printf 'cpuset cpu io memory pids\n' >fakecg/cgroup.controllers
start_agent --state-dir "$WORK/state2" --cgroup-root "$WORK/fakecg"
check "cgroups: probe accepts the tree" grep -q "cgroups on: cgroup v2 at $WORK/fakecg" mantled.log
check "cgroups: controllers enabled for children" grep -q '+memory +cpu' fakecg/cgroup.subtree_control
"$MANTLE" module push --token-file ops.token "$WASM/ticker.wasm" >/dev/null
expect "cgroups: workload with memory and CPU limits" 201 '"cgroup": true' POST /v1/workloads "${AS_OPS[@]}" \
    -d "{\"name\":\"cg\",\"module\":\"sha256:$TICKER\",\"memory_limit\":67108864,\"cpu_percent\":50}"
check "cgroups: memory.max" test "$(cat fakecg/cg/memory.max)" = 67108864
check "cgroups: cpu.max" test "$(cat fakecg/cg/cpu.max)" = "50000 100000"
check "cgroups: the process placed before it ran" test "$(cat fakecg/cg/cgroup.procs)" = "$(wl_field cg pid)"
kill -TERM "$PID"
wait "$PID"
check "mantled (cgroups) exits 0" test $? = 0

# Sanitizer builds: mantled, the client and every workload process report
# here (their stderr) when something went wrong.
check "no sanitizer reports" bash -c "! grep -rlE 'AddressSanitizer|LeakSanitizer|runtime error' \
    mantled.log mantled-earlier.log err.txt cfg.txt state/logs state2/logs"
if [ "$failures" -ne 0 ]; then
    echo "agent_test: $failures check(s) failed"
    sed 's/^/  mantled: /' mantled.log | tail -30
    exit 1
fi
echo "agent_test: all checks passed"
