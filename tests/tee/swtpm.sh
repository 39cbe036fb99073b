# swtpm.sh - start and stop a software TPM for a test (sourced by the TPM
# tests of tests/tee and tests/sealfs).
# SPDX-License-Identifier: Apache-2.0
#
# swtpm_start DIR: `swtpm socket` on free loopback ports with its state in
# DIR (created); sets TCTI ("swtpm:host=127.0.0.1,port=P") and SWTPM_PID,
# returns 1 (having said why) when swtpm or tpm2-tools are missing or it
# does not start. swtpm_stop: stop it (safe to call twice; use in a trap).

SWTPM_PID=
TCTI=

swtpm_stop() {
    if [ -n "$SWTPM_PID" ]; then
        kill "$SWTPM_PID" 2>/dev/null
        wait "$SWTPM_PID" 2>/dev/null
        SWTPM_PID=
    fi
}

# port_free PORT: nobody listens on it
swtpm_port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

swtpm_start() {
    local dir=$1 started=0 port attempt
    for tool in swtpm tpm2_pcrextend; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "FAIL: $tool not found: install swtpm, swtpm-tools and" \
                 "tpm2-tools (scripts/deps.sh)"
            return 1
        fi
    done
    mkdir -p "$dir" || return 1
    for attempt in 1 2 3 4 5; do
        port=$((20000 + RANDOM % 40000))
        swtpm_port_free "$port" && swtpm_port_free $((port + 1)) || continue
        swtpm socket --tpm2 --tpmstate dir="$dir" \
            --server type=tcp,port="$port",bindaddr=127.0.0.1 \
            --ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 \
            --flags not-need-init,startup-clear >"$dir/swtpm.log" 2>&1 &
        SWTPM_PID=$!
        for _ in $(seq 50); do
            if ! kill -0 "$SWTPM_PID" 2>/dev/null; then break; fi
            if ! swtpm_port_free "$port"; then started=1; break; fi
            sleep 0.1
        done
        [ "$started" -eq 1 ] && break
        swtpm_stop
    done
    if [ "$started" -ne 1 ]; then
        echo "FAIL: swtpm did not start:"; sed 's/^/    | /' "$dir/swtpm.log"
        return 1
    fi
    TCTI="swtpm:host=127.0.0.1,port=$port"
    echo "swtpm on 127.0.0.1:$port (pid $SWTPM_PID)"
}
