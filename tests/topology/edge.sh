#!/usr/bin/env bash
# tests/topology/edge.sh: drives the edge (deploy/haproxy/haproxy.cfg) of a topology of its own
# (scripts/cluster: HAProxy, two instances, primary, standby, simulators) and checks what the
# configuration promises: TLS only, TLS 1.2 at least; HTTP/2 and HTTP/1.1; strict parsing (a
# malformed head, a forbidden method, a header name with an underscore: 400); the request head's
# deadline (408); the per-address request rate (429) and connection limit; every error the edge
# makes is the server's problem+json shape; the instance's own problems pass through; health
# checks on /readyz take a stuck instance out of rotation and put it back; requests alternate
# between the instances; X-Forwarded-For reaches the instances from the edge only, and a
# client's forged one is dropped; the edge's log masks the CPR.
#
# Usage: tests/topology/edge.sh   (scripts/test runs it in step `topology`; see lib.sh for the
#                                  environment). Last line: "N passed, N failed".
set -euo pipefail
TOPO_NAME=edge
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
GP_PROG=topology-edge

MAX_CONN=12
MAX_RATE=60
topo_start GLASPLADE_EDGE_MAX_CONN="$MAX_CONN" GLASPLADE_EDGE_MAX_RATE="$MAX_RATE" \
    GLASPLADE_EDGE_HEAD_TIMEOUT=1s
EDGE_HOST="${GLASPLADE_URL#https://}"
CPR=1402959302
TOKEN="$GLASPLADE_TOKEN"
WORK="$TOPO_DIR/work"
mkdir -p "$WORK"

# A problem document as the server writes one: its type under urn:glasplade:problem:, the
# status, a title, a detail and a request id.
is_problem() { # FILE STATUS
    jq -e --argjson s "$2" '(.type | startswith("urn:glasplade:problem:")) and .status == $s
        and (.title | length > 0) and (.detail | length > 0) and (.request_id | length > 0)' \
        "$1" >/dev/null
}

# Raw bytes over TLS (for what curl will not send); the answer's bytes on stdout.
raw_tls() { # DATA [SECONDS_TO_HOLD] [SOURCE_ADDRESS]
    { printf '%b' "$1"; sleep "${2:-1}"; } |
        timeout 10 openssl s_client -quiet -connect "$EDGE_HOST" -servername localhost \
            -CAfile "$GLASPLADE_CACERT" 2>/dev/null || true
}

# ---- TLS and protocols ----
ok "HTTP/2 is negotiated by ALPN" \
    test "$(edge_curl --http2 -o /dev/null -w '%{http_version}' "$GLASPLADE_URL/healthz")" = 2
ok "HTTP/1.1 still works" \
    test "$(edge_curl --http1.1 -o /dev/null -w '%{http_version} %{http_code}' "$GLASPLADE_URL/healthz")" = "1.1 200"
ok "plain HTTP on the TLS port gets no answer" \
    bash -c "! curl -s --max-time 5 -o /dev/null 'http://$EDGE_HOST/healthz'"
ok "TLS 1.1 is refused" \
    bash -c "! curl -s --max-time 5 --tls-max 1.1 --tlsv1.0 --cacert '$GLASPLADE_CACERT' -o /dev/null '$GLASPLADE_URL/healthz'"
ok "answers carry Strict-Transport-Security" \
    bash -c "curl -sS --cacert '$GLASPLADE_CACERT' -D - -o /dev/null '$GLASPLADE_URL/healthz' | grep -qi '^strict-transport-security: max-age='"

# ---- strict parsing ----
edge_curl -o "$WORK/underscore.json" -w '%{http_code}' -H 'X_Forwarded_For: 1.2.3.4' \
    "$GLASPLADE_URL/healthz" >"$WORK/underscore.code"
ok "a header name with an underscore is refused: 403" test "$(cat "$WORK/underscore.code")" = 403
ok "... as problem+json" is_problem "$WORK/underscore.json" 403
edge_curl -o "$WORK/trace.json" -w '%{http_code} %{content_type}' -X TRACE "$GLASPLADE_URL/healthz" >"$WORK/trace.code"
ok "TRACE never reaches an instance: 400 application/problem+json" \
    test "$(cat "$WORK/trace.code")" = "400 application/problem+json"
ok "... in the server's problem shape" is_problem "$WORK/trace.json" 400
raw_tls 'GET /healthz HTTP/1.1\r\nHost: edge\r\nBroken header line\r\n\r\n' >"$WORK/malformed.txt"
ok "a malformed header line: 400" grep -q '^HTTP/1.1 400' "$WORK/malformed.txt"
raw_tls 'GET /healthz HTTP/1.1\r\nHost: edge\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello' >"$WORK/smuggle.txt"
ok "two different Content-Lengths (request smuggling): 400" grep -q '^HTTP/1.1 400' "$WORK/smuggle.txt"

# ---- the request head's deadline ----
start=$SECONDS
raw_tls 'GET /healthz HTTP/1.1\r\nHost: edge\r\n' 4 >"$WORK/slow.txt"
ok "a head that does not finish in time: 408" grep -q '^HTTP/1.1 408' "$WORK/slow.txt"
sed -n '/^{/,$p' "$WORK/slow.txt" | head -n 1 >"$WORK/slow.json"
ok "... as problem+json with the edge's request id" is_problem "$WORK/slow.json" 408
ok "... within the deadline, not the client timeout" test $((SECONDS - start)) -le 8

# ---- the instances' own answers pass through ----
edge_curl -o "$WORK/404.json" -w '%{http_code}' "$GLASPLADE_URL/v1/no-such-thing" >"$WORK/404.code"
ok "an instance's 404 problem passes through unchanged" \
    bash -c "test \"\$(cat '$WORK/404.code')\" = 404 && jq -e '.type == \"urn:glasplade:problem:not-found\"' '$WORK/404.json' >/dev/null"
ok "an authenticated read through the edge: 200" \
    test "$(edge_curl -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
        "$GLASPLADE_URL/v1/citizens/$CPR/overview")" = 200

# ---- X-Forwarded-For: from the edge only ----
edge_curl -o /dev/null --interface 127.0.0.5 -H 'X-Request-Id: topo-xff-edge' \
    -H 'X-Forwarded-For: 198.51.100.9' "$GLASPLADE_URL/healthz"
curl -sS -o /dev/null -H 'X-Request-Id: topo-xff-direct' -H 'X-Forwarded-For: 198.51.100.9' \
    "$INSTANCE_A/healthz"
sleep 0.3
# The access line names the peer (client_addr) and, behind a trusted proxy, the client it
# forwarded (forwarded_for; docs/operations.md, "Day to day").
client_of() { # REQUEST_ID: "client_addr forwarded_for" of its access line in either instance's log
    cat "$TOPO_DIR"/log/instance-*.log | jq -r --arg id "$1" \
        'select(.msg == "request" and .request_id == $id) | "\(.client_addr) \(.forwarded_for // "-")"' \
        2>/dev/null | head -n 1
}
ok "through the edge, the instance logs the edge as the peer and the real client (127.0.0.5) as forwarded_for, not the forged header" \
    test "$(client_of topo-xff-edge)" = "127.0.0.2 127.0.0.5"
ok "straight to an instance, X-Forwarded-For is not trusted" \
    test "$(client_of topo-xff-direct)" = "127.0.0.1 -"

# ---- round robin, and the edge's log ----
for i in 1 2 3 4; do
    edge_curl -o /dev/null -H "X-Request-Id: topo-rr-$i" "$GLASPLADE_URL/healthz"
done
sleep 0.3
served_by() { grep -l "\"request_id\":\"$1\"" "$TOPO_DIR"/log/instance-*.log | xargs -r -n1 basename; }
ok "requests alternate between the two instances" \
    test "$(for i in 1 2 3 4; do served_by "topo-rr-$i"; done | sort -u | wc -l)" = 2
ok "the edge's access log masks the CPR" \
    bash -c "grep -q '/v1/citizens/140295-XXXX/overview' '$TOPO_DIR/log/edge.log' && ! grep -q '$CPR' '$TOPO_DIR/log/edge.log'"

# ---- health checks on /readyz ----
pid_a="$(cat "$TOPO_DIR/pids/instance-1.pid")"
kill -STOP "$pid_a"
sleep 3.5 # fall 2 x inter 1 s, each check timing out
codes=""
for i in 1 2 3 4 5 6; do
    codes+="$(edge_curl -o /dev/null -w '%{http_code}' -H "X-Request-Id: topo-hc-$i" "$GLASPLADE_URL/healthz") "
done
kill -CONT "$pid_a"
ok "a stuck instance leaves the rotation: every request answered (${codes% })" \
    test "$codes" = "200 200 200 200 200 200 "
ok "... all by the other instance" \
    test "$(for i in 1 2 3 4 5 6; do served_by "topo-hc-$i"; done | sort -u)" = instance-2.log
ok "the edge logged the instance going down" grep -q 'glasplade/a is DOWN' "$TOPO_DIR/log/edge.log"
deadline=$((SECONDS + 10))
until grep -q 'glasplade/a is UP' "$TOPO_DIR/log/edge.log" || ((SECONDS > deadline)); do sleep 0.2; done
ok "... and back up once it answers /readyz again" grep -q 'glasplade/a is UP' "$TOPO_DIR/log/edge.log"

# ---- per-address limits (from addresses of their own, so the rest is not throttled) ----
urls=()
for ((i = 0; i < MAX_RATE + 20; i++)); do urls+=(-o /dev/null "$GLASPLADE_URL/healthz"); done
curl -s --cacert "$GLASPLADE_CACERT" --interface 127.0.0.3 -w '%{http_code}\n' "${urls[@]}" >"$WORK/rate.codes" || true
n200="$(grep -c '^200$' "$WORK/rate.codes" || true)"
n429="$(grep -c '^429$' "$WORK/rate.codes" || true)"
ok "over $MAX_RATE requests per 10 s from one address: 429 ($n200 x 200, $n429 x 429)" \
    test "$n429" -ge 15 -a "$n200" -ge $((MAX_RATE - 5)) -a "$n200" -le $((MAX_RATE + 1))
edge_curl --interface 127.0.0.3 -D "$WORK/429.head" -o "$WORK/429.json" "$GLASPLADE_URL/healthz" || true
ok "... with Retry-After" grep -qi '^retry-after: 10' "$WORK/429.head"
ok "... as problem+json" is_problem "$WORK/429.json" 429
ok "... while another address is served" \
    test "$(edge_curl -o /dev/null -w '%{http_code}' --interface 127.0.0.4 "$GLASPLADE_URL/healthz")" = 200

# Hold MAX_CONN connections open from 127.0.0.6 (TLS handshakes done, nothing sent).
holders=()
for ((i = 0; i < MAX_CONN; i++)); do
    openssl s_client -quiet -connect "$EDGE_HOST" -bind 127.0.0.6:0 \
        -CAfile "$GLASPLADE_CACERT" < <(sleep 8) >/dev/null 2>&1 &
    holders+=($!)
done
deadline=$((SECONDS + 10))
until (($(ss -Htn state established "( dport = :${EDGE_HOST##*:} and src 127.0.0.6 )" | wc -l) >= MAX_CONN)) ||
    ((SECONDS > deadline)); do
    sleep 0.2
done
code="$(curl -s --cacert "$GLASPLADE_CACERT" --max-time 5 --interface 127.0.0.6 -o /dev/null \
    -w '%{http_code}' "$GLASPLADE_URL/healthz" || true)"
ok "connection $((MAX_CONN + 1)) from one address is refused (got '$code')" test "$code" = 000
ok "... while another address is served" \
    test "$(edge_curl -o /dev/null -w '%{http_code}' --interface 127.0.0.7 "$GLASPLADE_URL/healthz")" = 200
for pid in "${holders[@]}"; do kill "$pid" 2>/dev/null || true; done
wait "${holders[@]}" 2>/dev/null || true
sleep 1
ok "... and served again once the others close" \
    test "$(edge_curl -o /dev/null -w '%{http_code}' --interface 127.0.0.6 "$GLASPLADE_URL/healthz")" = 200

# ---- no instance ready: the edge's own 503 ----
for f in "$TOPO_DIR"/pids/instance-*.pid; do kill -STOP "$(cat "$f")"; done
sleep 3.5
edge_curl -o "$WORK/503.json" -D "$WORK/503.head" "$GLASPLADE_URL/healthz" || true
for f in "$TOPO_DIR"/pids/instance-*.pid; do kill -CONT "$(cat "$f")"; done
ok "no instance in rotation: 503 with Retry-After" grep -qi '^retry-after: 2' "$WORK/503.head"
ok "... as problem+json" is_problem "$WORK/503.json" 503

finish
