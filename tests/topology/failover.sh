#!/usr/bin/env bash
# tests/topology/failover.sh: the failover drill under load (issue 19). A topology of its own
# (scripts/cluster: edge, two instances, primary with a synchronous standby, simulators); a
# steady load through the edge - readers asking a citizen's overview (refresh=never: index
# read and audit row, both on the primary) and writers recording consents - then the primary
# is stopped the hard way (immediate mode) and the standby promoted (`scripts/cluster
# failover`). The instances find the new primary by themselves (libpq multi-host,
# target_session_attrs=read-write). It checks and prints:
#   - the client-visible errors: how many, and their window (first failing request's start to
#     last failing request's end), which must close (at most GP_FAILOVER_MAX_WINDOW_S, 15 s by
#     default: a bound against a hang, not the goal; bench/failover.sh reports against 5 s);
#   - every consent that got a 201 is on the new primary (with a synchronous standby: all of
#     them; GP_FAILOVER_SYNC=0 runs the standby asynchronously and reports the loss instead);
#   - /v1/audit/verify is intact on the new primary, and requests succeed again after;
#   - the old primary rejoins as the new primary's standby (`scripts/cluster rejoin`) and
#     receives what was written since.
# The last lines: "FAILOVER key=value ..." (for bench/failover.sh) and "N passed, N failed".
#
# Environment: GP_FAILOVER_SYNC (1), GP_FAILOVER_READERS (2), GP_FAILOVER_WRITERS (2),
# GP_FAILOVER_BEFORE_S (4, load before the failover), GP_FAILOVER_AFTER_S (8, load after it),
# GP_FAILOVER_MAX_WINDOW_S (15); lib.sh for the rest.
set -euo pipefail
TOPO_NAME=failover
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
GP_PROG=topology-failover

sync_mode="${GP_FAILOVER_SYNC:-1}"
readers="${GP_FAILOVER_READERS:-2}"
writers="${GP_FAILOVER_WRITERS:-2}"
before_s="${GP_FAILOVER_BEFORE_S:-4}"
after_s="${GP_FAILOVER_AFTER_S:-8}"
max_window="${GP_FAILOVER_MAX_WINDOW_S:-15}"

topo_start GLASPLADE_SYNC_STANDBY="$sync_mode" GLASPLADE_EDGE_MAX_RATE=1000000
AUDITOR="$(new_token auditor)"
WORK="$TOPO_DIR/work"
mkdir -p "$WORK"
CPRS=(1402959302 0101901234 1203849318 3112871235)
now_us() { date +%s%6N; } # microseconds: exact in awk's doubles
# An oral consent recorded on the citizen's behalf must say how and when it was given.
CONSENT='{"purpose":"rehabilitation","scope":{"areas":["social"]},"form":"oral","note":"by phone, failover drill"}'

# One line per request: start_us end_us status [consent id]
reader() { # N END_US
    local out="$WORK/reader-$1.log" code t0 cpr
    while (($(now_us) < $2)); do
        cpr="${CPRS[RANDOM % ${#CPRS[@]}]}"
        t0="$(now_us)"
        code="$(edge_curl -o /dev/null -w '%{http_code}' --max-time 10 \
            -H "Authorization: Bearer $GLASPLADE_TOKEN" \
            "$GLASPLADE_URL/v1/citizens/$cpr/overview?refresh=never" 2>/dev/null || true)"
        echo "$t0 $(now_us) ${code:-000}" >>"$out"
    done
}
writer() { # N END_US
    local out="$WORK/writer-$1.log" body="$WORK/writer-$1.json" code t0 cpr id
    while (($(now_us) < $2)); do
        cpr="${CPRS[RANDOM % ${#CPRS[@]}]}"
        t0="$(now_us)"
        code="$(edge_curl -o "$body" -w '%{http_code}' --max-time 10 \
            -H "Authorization: Bearer $GLASPLADE_TOKEN" -H 'Content-Type: application/json' \
            -d "$CONSENT" "$GLASPLADE_URL/v1/citizens/$cpr/consents" 2>/dev/null || true)"
        id=""
        if [[ "$code" == 201 ]]; then id="$(jq -r .id "$body" 2>/dev/null || true)"; fi
        echo "$t0 $(now_us) ${code:-000} $id" >>"$out"
    done
}

start_us="$(now_us)"
end_us=$((start_us + (before_s + after_s) * 1000000))
pids=()
for ((i = 0; i < readers; i++)); do
    reader "$i" "$end_us" &
    pids+=($!)
done
for ((i = 0; i < writers; i++)); do
    writer "$i" "$end_us" &
    pids+=($!)
done
sleep "$before_s"
# How far the standby trails just before the crash: WAL bytes not yet flushed there, and the
# flush lag PostgreSQL measured (what an asynchronous standby may lose).
lag="$(topo_psql -F' ' -c "SELECT coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn), 0),
    round(coalesce(extract(epoch FROM flush_lag) * 1000, 0), 2) FROM pg_stat_replication" || echo '- -')"
read -r lag_bytes lag_ms <<<"${lag:-- -}"
fail_us="$(now_us)"
promote_s="$(env "${TOPO_ENV[@]}" "$GP_ROOT/scripts/cluster" failover 2>"$WORK/failover.err")" ||
    { cat "$WORK/failover.err" >&2; gp_die "scripts/cluster failover failed"; }
promoted_us="$(now_us)"
for pid in "${pids[@]}"; do wait "$pid"; done

cat "$WORK"/reader-*.log "$WORK"/writer-*.log | sort -n >"$WORK/all.log"
total="$(wc -l <"$WORK/all.log")"
ok_before="$(awk -v f="$fail_us" '$1 < f && $3 ~ /^2/' "$WORK/all.log" | wc -l)"
ok_after="$(awk -v p="$promoted_us" '$1 > p && $3 ~ /^2/' "$WORK/all.log" | wc -l)"
errors="$(awk '$3 !~ /^2/' "$WORK/all.log" | wc -l)"
# The window: from the start of the first failing request to the end of the last one.
window="$(awk '$3 !~ /^2/ {if (!s || $1 < s) s = $1; if ($2 > e) e = $2}
    END {if (!s) print "0.00"; else printf "%.2f", (e - s) / 1e6}' "$WORK/all.log")"
statuses="$(awk '$3 !~ /^2/ {print $3}' "$WORK/all.log" | sort | uniq -c | awk '{printf "%s%s x %s", sep, $1, $2; sep = ", "}')"
# Requests that succeeded after the last error: the service is back for good.
last_error_end="$(awk '$3 !~ /^2/ && $2 > e {e = $2} END {printf "%.0f\n", e}' "$WORK/all.log")"
ok_tail="$(awk -v e="$last_error_end" '$1 > e && $3 ~ /^2/' "$WORK/all.log" | wc -l)"

awk '$3 == 201 && $4 != "" {print $4}' "$WORK"/writer-*.log | sort >"$WORK/acked.ids"
acked="$(wc -l <"$WORK/acked.ids")"
# Consents are answered with their public id (a UUID).
present="$(topo_psql -c "SELECT count(*) FROM consent WHERE public_id = ANY ('{$(paste -sd, "$WORK/acked.ids")}'::uuid[])")"
lost=$((acked - present))

gp_info "load: $total requests ($readers readers, $writers writers), $ok_before ok before the" \
    "failover, $ok_after ok after the promotion; errors: $errors (${statuses:-none}) in $window s;" \
    "promotion took $promote_s s"
ok "the standby is the primary now" test "$(env "${TOPO_ENV[@]}" "$GP_ROOT/scripts/cluster" status | awk '$1 == "standby" {print $2}')" = primary
ok "there was load on both sides of the failover ($ok_before before, $ok_after after)" \
    test "$ok_before" -ge 10 -a "$ok_after" -ge 10
ok "the errors stopped: the window is $window s (bound: $max_window s)" \
    awk -v w="$window" -v m="$max_window" 'BEGIN {exit !(w <= m)}'
ok "every request after the last error succeeded ($ok_tail of them)" test "$ok_tail" -ge 10
if [[ "$sync_mode" == 1 ]]; then
    ok "synchronous standby: every consent that got a 201 is on the new primary ($present of $acked)" \
        test "$lost" = 0 -a "$acked" -gt 0
else
    gp_info "asynchronous standby: $lost of $acked acknowledged consents lost"
fi
verify="$(edge_curl -H "Authorization: Bearer $AUDITOR" "$GLASPLADE_URL/v1/audit/verify")"
ok "the audit chain is intact on the new primary" test "$(jq -r .intact <<<"$verify")" = true
for url in $GLASPLADE_INSTANCE_URLS; do
    ok "$url is ready on the new primary" \
        test "$(curl -s -o /dev/null -w '%{http_code}' "$url/readyz")" = 200
done

# The old primary comes back as the new primary's standby, never as a primary.
env "${TOPO_ENV[@]}" "$GP_ROOT/scripts/cluster" rejoin 2>"$WORK/rejoin.err" ||
    { cat "$WORK/rejoin.err" >&2; gp_die "scripts/cluster rejoin failed"; }
ok "the old primary rejoined as a standby" \
    test "$(env "${TOPO_ENV[@]}" "$GP_ROOT/scripts/cluster" status | awk '$1 == "primary" {print $2}')" = standby
post_code="$(edge_curl -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $GLASPLADE_TOKEN" \
    -H 'Content-Type: application/json' \
    -d "$CONSENT" "$GLASPLADE_URL/v1/citizens/${CPRS[0]}/consents")"
ok "... and a write through the edge still succeeds ($post_code)" test "$post_code" = 201
consents_on() { # PORT: the consents that cluster holds
    /usr/lib/postgresql/15/bin/psql -X -q -A -t -h 127.0.0.1 -p "$1" -U postgres -d glasplade \
        -c "SELECT count(*) FROM consent"
}
n_new="$(consents_on "$TOPO_STANDBY_PORT")"
deadline=$((SECONDS + 10))
until [[ "$(consents_on "$TOPO_PRIMARY_PORT")" == "$n_new" ]] || ((SECONDS > deadline)); do sleep 0.2; done
ok "... and the rejoined standby holds every consent ($n_new)" \
    test "$(consents_on "$TOPO_PRIMARY_PORT")" = "$n_new"

echo "FAILOVER sync=$sync_mode requests=$total errors=$errors window_s=$window promote_s=$promote_s acked=$acked lost=$lost lag_bytes=$lag_bytes lag_ms=$lag_ms statuses=${statuses// /}"
finish
