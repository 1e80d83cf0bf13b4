#!/usr/bin/env bash
# tests/topology/instances.sh: nothing an instance keeps in memory makes another instance
# answer differently (issue 19). Two `glasplade serve` on one database (a topology of its own,
# scripts/cluster), driven alternately and directly, so that the balancer cannot hide anything:
#   - a consent recorded through one instance shows in the very next read through the other,
#     and a consent withdrawn through one filters the very next read through the other (both
#     ways round);
#   - a block recorded through one filters the next read through the other; withdrawn, likewise;
#   - a break-glass override made through one opens the block for the next read through the
#     other, and once it has expired neither instance honours it;
#   - a client created through one is refused (pending) until a second admin approves it
#     through the other; once revoked through one it is refused (401) by the other on the next
#     request;
#   - a person's token from the identity provider reads through both; the person revoked
#     through one is refused by the other on the next request, whatever the provider says; the
#     page at the edge signs in at the provider (code + PKCE) and comes back to the edge;
#   - `glasplade sync` run twice at once, as two instances' cron jobs would, syncs each source
#     once: the second is refused per source by the session lock;
#   - the audit chain stays one chain: intact as seen from both instances, exactly one
#     instance holds the sealer's advisory lock, every row sealed once and in order
#     (check_audit_sealed_once).
#
# Usage: tests/topology/instances.sh (scripts/test runs it in step `topology`; lib.sh says
#        what it reads). Last line: "N passed, N failed".
set -euo pipefail
TOPO_NAME=instances
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
GP_PROG=topology-instances

topo_start
A="$INSTANCE_A"
B="$INSTANCE_B"
CPR=1402959302 # the demo's Sofie Mikkelsen: job centre, social services and the region hold data
CW="$GLASPLADE_TOKEN"
SOC="$(new_token caseworker social_services rehabilitation)"
COORD="$(new_token coordinator job_centre rehabilitation)"
ADMIN="$(new_token admin)"
ADMIN2="$(new_token admin)"
AUDITOR="$(new_token auditor)"
WORK="$TOPO_DIR/work"
mkdir -p "$WORK"

# The caller's visibility of the social area in an overview through instance URL, read from
# the index only (refresh=never), so that only what the instance decides can differ.
social() { # URL TOKEN
    curl -sS --max-time 10 -H "Authorization: Bearer $2" \
        "$1/v1/citizens/$CPR/overview?refresh=never" |
        jq -r '[.areas[] | select(.area == "social") | .visibility] | first // "absent"'
}
post() { # URL TOKEN PATH BODY: the answer's body; its status in $WORK/status
    curl -sS --max-time 10 -o "$WORK/body" -w '%{http_code}' -H "Authorization: Bearer $2" \
        -H 'Content-Type: application/json' -d "$4" "$1$3" >"$WORK/status"
    cat "$WORK/body"
}
# A POST without a body (approve, revoke: a body there is refused).
post_bare() { # URL TOKEN PATH: the answer's body; its status in $WORK/status
    curl -sS --max-time 10 -o "$WORK/body" -w '%{http_code}' -X POST \
        -H "Authorization: Bearer $2" "$1$3" >"$WORK/status"
    cat "$WORK/body"
}
status() { cat "$WORK/status"; }
code_of() { # URL TOKEN: the status of a read
    curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $2" \
        "$1/v1/citizens/$CPR"
}

# ---- the index knows the citizen (one press through A) ----
curl -sS --max-time 20 -o /dev/null -H "Authorization: Bearer $CW" "$A/v1/citizens/$CPR/overview"
ok "before any consent, the job centre sees only that social services hold something (A)" \
    test "$(social "$A" "$CW")" = existence
ok "... and the same through B" test "$(social "$B" "$CW")" = existence

# ---- consents, both ways round ----
# Recorded on the citizen's behalf, so it says where the signed form is kept.
consent='{"purpose":"rehabilitation","scope":{"areas":["social"]},"form":"written","evidence_ref":"topology test form"}'
c1="$(post "$B" "$CW" "/v1/citizens/$CPR/consents" "$consent" | jq -r .id)"
ok "consent recorded through B: 201" test "$(status)" = 201
ok "... the very next read through A shows social services in full" test "$(social "$A" "$CW")" = full
post "$A" "$CW" "/v1/consents/$c1/withdraw" '{"reason":"the citizen withdrew it"}' >/dev/null
ok "consent withdrawn through A: 200" test "$(status)" = 200
ok "... the very next read through B is filtered again" test "$(social "$B" "$CW")" = existence

c2="$(post "$A" "$CW" "/v1/citizens/$CPR/consents" "$consent" | jq -r .id)"
ok "consent recorded through A: 201" test "$(status)" = 201
ok "... the very next read through B shows it" test "$(social "$B" "$CW")" = full
post "$B" "$CW" "/v1/consents/$c2/withdraw" '{"reason":"the citizen withdrew it"}' >/dev/null
ok "consent withdrawn through B: 200" test "$(status)" = 200
ok "... the very next read through A is filtered again" test "$(social "$A" "$CW")" = existence

# ---- a block beats a consent; break-glass beats a block until it expires ----
post "$B" "$CW" "/v1/citizens/$CPR/consents" "$consent" >/dev/null
ok "a third consent through B" test "$(status)" = 201
ok "... and the coordinator, through A, sees social services in full" \
    test "$(social "$A" "$COORD")" = full
block="$(post "$A" "$SOC" "/v1/citizens/$CPR/blocks" \
    '{"scope":{"kind":"area","value":"social"},"reason":"the citizen does not want it shared"}' | jq -r .id)"
ok "block recorded through A (by social services): 201" test "$(status)" = 201
ok "... the very next read through B no longer shows social services in full" \
    test "$(social "$B" "$CW")" != full
ok "... nor through A" test "$(social "$A" "$COORD")" != full

post "$B" "$COORD" "/v1/citizens/$CPR/overrides" \
    '{"reason_code":"acute_risk","note":"topology test","minutes":15}' >/dev/null
ok "break-glass through B: 201" test "$(status)" = 201
ok "... the very next read through A passes the block" test "$(social "$A" "$COORD")" = full
# Fifteen minutes pass: the override ends (break_glass is append-only; the test moves its
# times back as the superuser, with the append-only trigger off for this session).
topo_psql -c "SET session_replication_role = replica" -c "UPDATE break_glass
    SET created_at = now() - interval '20 minutes', expires_at = now() - interval '5 minutes'
    WHERE cpr = '$CPR'" >/dev/null
ok "expired break-glass: the very next read through A is blocked again" \
    test "$(social "$A" "$COORD")" != full
ok "... and through B" test "$(social "$B" "$COORD")" != full

post "$B" "$SOC" "/v1/blocks/$block/withdraw" '{"reason":"lifted by the citizen"}' >/dev/null
ok "block withdrawn through B: 200" test "$(status)" = 200
ok "... the very next read through A shows social services in full again" \
    test "$(social "$A" "$CW")" = full

# ---- a revoked token ----
client="$(post "$A" "$ADMIN" /v1/clients \
    '{"role":"caseworker","name":"topology temp","department":"job_centre","default_purpose":"rehabilitation"}')"
ok "a client created through A: 201" test "$(status)" = 201
tmp_id="$(jq -r .id <<<"$client")"
tmp_token="$(jq -r .token <<<"$client")"
ok "... pending: its token is refused through B: 401" test "$(code_of "$B" "$tmp_token")" = 401
post_bare "$B" "$ADMIN2" "/v1/clients/$tmp_id/approve" >/dev/null
ok "approved through B by a second admin: 200" test "$(status)" = 200
ok "... its token reads through B: 200" test "$(code_of "$B" "$tmp_token")" = 200
ok "... and through A: 200" test "$(code_of "$A" "$tmp_token")" = 200
post_bare "$B" "$ADMIN" "/v1/clients/$tmp_id/revoke" >/dev/null
ok "revoked through B: 200" test "$(status)" = 200
ok "... the very next request through A is refused: 401" test "$(code_of "$A" "$tmp_token")" = 401
ok "... and through B: 401" test "$(code_of "$B" "$tmp_token")" = 401

# ---- a person signed in at the identity provider (scripts/cluster starts it) ----
ok "the topology runs the identity provider" test -n "${GLASPLADE_IDP_URL:-}"
person="$(curl -sS --max-time 10 -u caseworker-jobcentre:demo -d grant_type=client_credentials \
    "${GLASPLADE_IDP_URL:-http://127.0.0.1:1}/token" | jq -r .access_token)" || person=""
ok "... it gives the job-centre caseworker a token" test -n "$person" -a "$person" != null
ok "... which reads through A: 200" test "$(code_of "$A" "$person")" = 200
ok "... and through B: 200" test "$(code_of "$B" "$person")" = 200
person_id="$(curl -sS --max-time 10 -H "Authorization: Bearer $ADMIN" "$A/v1/clients" |
    jq -r '[.. | objects | select(.kind? == "person" and .subject? == "caseworker-jobcentre")][0].id')"
ok "... the person is a client the admin sees" test -n "$person_id" -a "$person_id" != null
post_bare "$A" "$ADMIN" "/v1/clients/$person_id/revoke" >/dev/null
ok "the person revoked through A: 200" test "$(status)" = 200
ok "... their valid token is refused by B on the very next request: 401" \
    test "$(code_of "$B" "$person")" = 401

# ---- the page at the edge signs in at the provider and comes back to the edge ----
issuer="$(edge_curl "$GLASPLADE_URL/web/config.json" | jq -r .oidc.issuer)" || issuer=""
ok "the page at the edge names the provider to sign in at" test "$issuer" = "${GLASPLADE_IDP_URL:-}"
browser="$("$GP_ROOT/scripts/idp/login" "${GLASPLADE_IDP_URL:-http://127.0.0.1:1}" \
    caseworker-social demo glasplade-web "$GLASPLADE_URL/" 2>"$WORK/login.err")" || browser=""
ok "... the authorization code flow with PKCE comes back to the edge's page" test -n "$browser"
ok "... and that token reads through the edge: 200" test "$(edge_curl -o /dev/null \
    -w '%{http_code}' -H "Authorization: Bearer $browser" "$GLASPLADE_URL/v1/citizens/$CPR/overview")" = 200

# ---- glasplade sync runs once across instances ----
# Slow exports (deptsim's fault injection), small pages: two syncs started together overlap
# for every source.
curl -sS -o /dev/null -X PUT "http://127.0.0.1:$((GLASPLADE_SIM_BASE_PORT + 5))/faults/all" \
    -d '{"latency_ms":40}'
"$GLASPLADE_BIN" sync --jobs 5 --page-size 25 --no-progress >"$WORK/sync1.out" 2>"$WORK/sync1.err" &
s1=$!
"$GLASPLADE_BIN" sync --jobs 5 --page-size 25 --no-progress >"$WORK/sync2.out" 2>"$WORK/sync2.err" &
s2=$!
rc1=0 rc2=0
wait "$s1" || rc1=$?
wait "$s2" || rc2=$?
curl -sS -o /dev/null -X PUT "http://127.0.0.1:$((GLASPLADE_SIM_BASE_PORT + 5))/faults/all" -d '{}'
refused="$(cat "$WORK"/sync[12].out "$WORK"/sync[12].err | grep -c 'another sync of this source is running' || true)"
ok "two syncs at once: each of the five sources refused to one of them ($refused refusals; exit $rc1 and $rc2)" \
    test "$refused" = 5
ok "... and synced by the other: every source's pass completed" \
    test "$(topo_psql -c "SELECT count(*) FROM sync_state WHERE last_completed_at IS NOT NULL")" = 5

# ---- the audit chain: one chain, each row sealed once ----
# Rows are appended without a lock by both instances and sealed afterwards into audit_chain by
# the one sealer that holds the advisory lock (key 7361029482: classid 1, objid 3066062186),
# within GLASPLADE_AUDIT_SEAL_DELAY_MS (1 s).
jq_true() { jq -e "$@" >/dev/null; }
unsealed() {
    topo_psql -c "SELECT count(*) FROM audit_log l WHERE NOT EXISTS
        (SELECT 1 FROM audit_chain c WHERE c.id = l.id)"
}
check_audit_sealed_once() {
    local va vb deadline=$((SECONDS + 10))
    va="$(curl -sS -H "Authorization: Bearer $AUDITOR" "$A/v1/audit/verify")"
    vb="$(curl -sS -H "Authorization: Bearer $AUDITOR" "$B/v1/audit/verify")"
    ok "audit chain intact as seen from A" jq_true '.intact == true' <<<"$va"
    # shellcheck disable=SC2016 # $a is jq's
    ok "audit chain intact as seen from B, at the same head or later" \
        jq_true --argjson a "$(jq .last_id <<<"$va")" '.intact == true and .last_id >= $a' <<<"$vb"
    ok "exactly one session (one instance's sealer) holds the sealing lock" \
        test "$(topo_psql -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
            AND classid = 1 AND objid = 3066062186 AND objsubid = 1 AND granted")" = 1
    until [[ "$(unsealed)" == 0 ]] || ((SECONDS > deadline)); do sleep 0.2; done
    ok "every audit row is sealed within the promised delay" test "$(unsealed)" = 0
    ok "... each once, in id order, the positions gapless" \
        test "$(topo_psql -c "SELECT (SELECT count(*) FROM audit_chain) = (SELECT count(*) FROM audit_log)
            AND (SELECT count(DISTINCT id) = count(*) AND max(seq) = count(*) FROM audit_chain)
            AND NOT EXISTS (SELECT 1 FROM audit_chain a JOIN audit_chain b ON b.seq = a.seq - 1
                            WHERE a.id <= b.id OR a.prev_hash <> b.row_hash)")" = t
}
check_audit_sealed_once

finish
