#!/usr/bin/env bash
# Benchmark of appending to the audit log (issue 14, "Audit log v2"). See bench/README-audit.md.
#
# Usage: bench/audit.sh          (about 3 minutes with the defaults; prints one markdown report
#                                 and writes it to var/bench/audit-<time>.md)
#
# Self-contained: a Release build of glasplade (build-bench/, built if missing), a private
# PostgreSQL (scripts/pg, its own folder and port), a fresh database migrated as the owner, and
# `glasplade serve` connected as the service's role so that its sealer seals while the load
# runs. In one run, side by side, pgbench with BENCH_CLIENTS clients (64), each transaction one
# INSERT of an audit-shaped row, as the service's role:
#   plain   an ordinary table of the same columns and indexes (no trigger);
#   audit   audit_log itself (v2: id, time and txid from defaults, no lock; sealed afterwards);
#   v1      a copy of the v1 design (migration 0005: a trigger that locks the one head row and
#           hashes the row into the chain), for the figure the issue starts from.
# plain and audit alternate BENCH_ROUNDS times (2); v1 runs once. Meanwhile pg_locks and
# pg_stat_activity are sampled every 100 ms (lock waits, and on what). Afterwards: the sealing
# lag of every row appended during the audit runs (from its insert time to its sealed_at;
# rows commit a little after their insert time, so this overstates the lag slightly), and
# `glasplade audit verify`.
#
# Environment (all optional):
#   BENCH_BUILD (auto: build when BENCH_BUILD_DIR has no glasplade; 1 always; 0 never),
#   BENCH_BUILD_DIR (build-bench), BENCH_DURATION (20s; every pgbench run), BENCH_CLIENTS (64),
#   BENCH_THREADS (2; pgbench -j), BENCH_ROUNDS (2), BENCH_V1 (1; 0 skips the v1 run),
#   BENCH_PG_PORT (55710), BENCH_PG_DIR (var/bench-audit-pg), BENCH_PORT (17520; the server),
#   BENCH_PGBENCH (/usr/lib/postgresql/15/bin/pgbench), BENCH_OUT (var/bench), BENCH_LABEL.
#   GLASPLADE_AUDIT_SEAL_DELAY_MS (1000) and any other GLASPLADE_* reach the server.
# Only 127.0.0.1 is used.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
BENCH_NAME=audit.sh
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

build=${BENCH_BUILD:-auto}
build_dir=${BENCH_BUILD_DIR:-$root/build-bench}
duration=${BENCH_DURATION:-20s}
clients=${BENCH_CLIENTS:-64}
threads=${BENCH_THREADS:-2}
rounds=${BENCH_ROUNDS:-2}
with_v1=${BENCH_V1:-1}
port=${BENCH_PORT:-17520}
pgbench=${BENCH_PGBENCH:-/usr/lib/postgresql/15/bin/pgbench}
out_dir=${BENCH_OUT:-$root/var/bench}
label=${BENCH_LABEL:-}
delay_ms=${GLASPLADE_AUDIT_SEAL_DELAY_MS:-1000}
export GLASPLADE_PG_PORT=${BENCH_PG_PORT:-55710}
export GLASPLADE_PG_DIR=${BENCH_PG_DIR:-$root/var/bench-audit-pg}
db=glasplade_audit_bench
pg="$root/scripts/pg"
glasplade="$build_dir/glasplade"
psql_bin=$(dirname "$pgbench")/psql
[ -x "$psql_bin" ] || psql_bin=psql

dur_s=${duration%s}
[[ "$dur_s" =~ ^[1-9][0-9]*$ ]] || die "BENCH_DURATION must be seconds, e.g. 20s (got '$duration')"
[[ "$clients" =~ ^[1-9][0-9]*$ && "$rounds" =~ ^[1-9][0-9]*$ ]] || die "BENCH_CLIENTS and BENCH_ROUNDS must be positive numbers"
((threads > clients)) && threads=$clients
[ -x "$pgbench" ] || die "no pgbench at $pgbench (Debian: postgresql-15; or set BENCH_PGBENCH)"
command -v curl >/dev/null || die "curl is not installed"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
raw="$out_dir/audit-$stamp"
report="$out_dir/audit-$stamp.md"
mkdir -p "$raw"
server_pid=
sampler_pid=
pg_started=0

cleanup() {
  local rc=$?
  stop_pid "$sampler_pid" 5
  stop_pid "$server_pid" 100
  if [ "$pg_started" = 1 ]; then "$pg" stop >/dev/null 2>&1 || true; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
git_head=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)

# ---- build ----
if [ "$build" = 1 ] || { [ "$build" = auto ] && [ ! -x "$glasplade" ]; }; then
  note "building Release into ${build_dir#"$root"/} (log: ${raw#"$root"/}/build.log)"
  if ! { cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DGP_TESTS=OFF \
    -DCMAKE_C_FLAGS=-Wno-error=format-truncation &&
    cmake --build "$build_dir" -j"$(nproc)" --target glasplade; } >"$raw/build.log" 2>&1; then
    tail -n 30 "$raw/build.log" >&2
    die "the build failed"
  fi
fi
[ -x "$glasplade" ] || die "no $glasplade (BENCH_BUILD=1 builds it)"

# ---- database, roles, the tables to compare ----
port_in_use "$port" && die "port $port is in use (BENCH_PORT)"
"$pg" start
pg_started=1
"$pg" psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
"$pg" createdb "$db"
owner_url=$("$pg" url "$db")
svc_url=$("$pg" service-url "$db")
GLASPLADE_MIGRATE_DATABASE_URL="$owner_url" "$glasplade" migrate --quiet >"$raw/migrate.log" 2>&1 ||
  { cat "$raw/migrate.log" >&2; die "migrate failed"; }
# As the owner: the ordinary table (same columns, checks and indexes as audit_log, an identity
# for the id, no trigger) and the v1 copy (the 0005 trigger: lock the head, hash, link).
"$psql_bin" -X -q -v ON_ERROR_STOP=1 "$owner_url" >"$raw/setup.log" 2>&1 <<'SQL' || { cat "$raw/setup.log" >&2; die "setup failed"; }
CREATE TABLE bench_plain (LIKE audit_log INCLUDING ALL);
ALTER TABLE bench_plain ALTER COLUMN id DROP DEFAULT, ALTER COLUMN txid DROP DEFAULT;
ALTER TABLE bench_plain ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY;
CREATE TABLE bench_v1 (LIKE audit_log INCLUDING ALL, prev_hash bytea, row_hash bytea);
ALTER TABLE bench_v1 ALTER COLUMN id DROP DEFAULT, ALTER COLUMN txid DROP DEFAULT;
CREATE TABLE bench_v1_head (one boolean PRIMARY KEY, last_id bigint NOT NULL, last_hash bytea NOT NULL);
INSERT INTO bench_v1_head VALUES (true, 0, decode(repeat('00', 32), 'hex'));
CREATE FUNCTION bench_v1_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head bench_v1_head;
BEGIN
    SELECT * INTO head FROM bench_v1_head WHERE one FOR UPDATE;
    NEW.id := head.last_id + 1;
    NEW.at := clock_timestamp();
    NEW.prev_hash := head.last_hash;
    NEW.row_hash := sha256(NEW.prev_hash || convert_to(jsonb_build_array(NEW.id,
        to_char(NEW.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), NEW.client_id,
        NEW.client_name, NEW.role, NEW.department, NEW.purpose, NEW.legal_basis, NEW.cpr,
        NEW.action, NEW.route, NEW.sources_asked, NEW.sources_answered, NEW.visibility,
        NEW.override_used, NEW.request_id, NEW.details)::text, 'UTF8'));
    UPDATE bench_v1_head SET last_id = NEW.id, last_hash = NEW.row_hash WHERE one;
    RETURN NEW;
END
$$;
CREATE TRIGGER bench_v1_chain BEFORE INSERT ON bench_v1 FOR EACH ROW EXECUTE FUNCTION bench_v1_chain();
GRANT SELECT, INSERT, UPDATE ON bench_v1_head TO glasplade_service;
SQL

# One pgbench script per table: the row the server writes for one press of the CPR button.
for t in plain audit v1; do
  table=$t
  [ "$t" = plain ] && table=bench_plain
  [ "$t" = audit ] && table=audit_log
  [ "$t" = v1 ] && table=bench_v1
  cat >"$raw/$t.sql" <<SQL
\\set n random(1, 1000000000)
INSERT INTO $table (client_id, client_name, role, department, purpose, legal_basis, cpr, action, route, sources_asked, sources_answered, visibility, override_used, request_id, details) VALUES (1, 'bench caseworker', 'caseworker', 'job_centre', 'rehabilitation', 'Lov om aktiv beskæftigelsesindsats § 2 og Retssikkerhedsloven § 11 a', '0101901234', 'read', 'GET /v1/citizens/{cpr}/overview', '{jobcentre,social,health,region,family}', '{jobcentre,social,health,region,family}', 'full,existence', false, 'bench-' || :n, NULL);
SQL
done

# ---- the server, for its sealer ----
note "starting glasplade serve as the service's role (GLASPLADE_AUDIT_SEAL_DELAY_MS=$delay_ms)"
GLASPLADE_AUDIT_KEY_FILE="$raw/signing-key.pem" "$glasplade" audit keygen >/dev/null 2>&1 || die "audit keygen failed"
env GLASPLADE_DATABASE_URL="$svc_url" GLASPLADE_LISTEN=127.0.0.1 GLASPLADE_PORT="$port" \
  GLASPLADE_THREADS=2 GLASPLADE_LOG_LEVEL="${GLASPLADE_LOG_LEVEL:-info}" \
  GLASPLADE_AUDIT_SEAL_DELAY_MS="$delay_ms" GLASPLADE_AUDIT_KEY_FILE="$raw/signing-key.pem" \
  GLASPLADE_AUDIT_CHECKPOINT_FILE="$raw/checkpoints.jsonl" \
  "$glasplade" serve 2>"$raw/server.log" &
server_pid=$!
wait_http "http://127.0.0.1:$port/healthz" "$server_pid" || { cat "$raw/server.log" >&2; die "the server did not start"; }

# ---- the runs ----
# A sampler session: every 100 ms, lock waits (pg_locks, not granted) by lock type and
# relation, and sessions waiting on a heavyweight lock (pg_stat_activity). One line per sample.
start_sampler() {
  local n=$(((dur_s + 2) * 10))
  {
    for ((k = 0; k < n; k++)); do
      echo "SELECT (SELECT count(*) FROM pg_locks WHERE NOT granted),"
      echo " (SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'),"
      echo " (SELECT coalesce(string_agg(DISTINCT l.locktype || coalesce(':' || l.relation::regclass::text, ''), ' '), '-')"
      echo "  FROM pg_locks l WHERE NOT l.granted);"
      echo "SELECT pg_sleep(0.1) \\g /dev/null"
    done
  } | "$psql_bin" -X -q -A -t -F ' ' "$owner_url" >"$1" 2>&1 &
  sampler_pid=$!
}
stop_sampler() {
  stop_pid "$sampler_pid" 5
  sampler_pid=
}

declare -A tps lat
run() { # NAME ROUND
  local t=$1 r=$2 out="$raw/pgbench-$1-$2.txt"
  start_sampler "$raw/locks-$t-$r.txt"
  "$pgbench" -n -M prepared -c "$clients" -j "$threads" -T "$dur_s" -f "$raw/$t.sql" "$svc_url" \
    >"$out" 2>&1 || { cat "$out" >&2; die "pgbench failed ($t)"; }
  stop_sampler
  tps[$t-$r]=$(awk '/^tps = / {print $3; exit}' "$out")
  lat[$t-$r]=$(awk '/^latency average = / {print $4; exit}' "$out")
  note "$t (round $r): ${tps[$t-$r]} tps, latency average ${lat[$t-$r]} ms"
}

load_measure=$(cut -d' ' -f1-3 /proc/loadavg)
first_audit_id=$("$psql_bin" -X -q -A -t "$owner_url" -c "SELECT coalesce(max(id), 0) FROM audit_log")
for ((r = 1; r <= rounds; r++)); do
  run plain "$r"
  run audit "$r"
done
last_audit_id=$("$psql_bin" -X -q -A -t "$owner_url" -c "SELECT coalesce(max(id), 0) FROM audit_log")
if [ "$with_v1" = 1 ]; then run v1 1; fi
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- sealing lag, verification ----
for _ in $(seq 300); do
  left=$("$psql_bin" -X -q -A -t "$owner_url" -c "SELECT count(*) FROM audit_log l WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.id = l.id)")
  [ "$left" = 0 ] && break
  sleep 0.1
done
[ "$left" = 0 ] || die "$left audit rows still unsealed 30 s after the load"
read -r lag_n lag_p50 lag_p99 lag_max <<<"$("$psql_bin" -X -q -A -t -F ' ' "$owner_url" -c "
  SELECT count(*),
         round((percentile_cont(0.5) WITHIN GROUP (ORDER BY s) * 1000)::numeric, 1),
         round((percentile_cont(0.99) WITHIN GROUP (ORDER BY s) * 1000)::numeric, 1),
         round((max(s) * 1000)::numeric, 1)
    FROM (SELECT extract(epoch FROM c.sealed_at - l.at) AS s FROM audit_chain c
          JOIN audit_log l USING (id) WHERE l.id > $first_audit_id AND l.id <= $last_audit_id) x")"
checkpoints=$("$psql_bin" -X -q -A -t "$owner_url" -c "SELECT count(*) FROM audit_checkpoint")
verify_rc=0
GLASPLADE_DATABASE_URL="$svc_url" GLASPLADE_AUDIT_KEY_FILE="$raw/signing-key.pem" \
  GLASPLADE_AUDIT_CHECKPOINT_FILE="$raw/checkpoints.jsonl" \
  "$glasplade" audit verify >"$raw/verify.json" 2>"$raw/verify.log" || verify_rc=$?
intact=$(sed -n 's/^  "intact": \(.*\),$/\1/p' "$raw/verify.json")
matched=$(sed -n 's/^    "matched": \(.*\),$/\1/p' "$raw/verify.json")

# ---- the report ----
sum() { local t=$1 s=0; for ((r = 1; r <= rounds; r++)); do s=$(awk -v a="$s" -v b="${tps[$t-$r]}" 'BEGIN {print a + b}'); done; echo "$s"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "n/a"}'; }
locks() { # FILE: samples, samples with any lock wait, max waiting, what was waited on
  awk '{n++; if ($1 > 0) w++; if ($1 > m) m = $1; for (i = 3; i <= NF; i++) if ($i != "-") what[$i]++}
       END {s = ""; for (k in what) s = s (s ? ", " : "") k " (" what[k] ")"; printf "%d %d %d %s\n", n, w, m, (s ? s : "none")}' "$1"
}
plain_tps=$(sum plain)
audit_tps=$(sum audit)
r_audit=$(ratio "$audit_tps" "$plain_tps")
{
  echo "# Audit append benchmark ${label:+— $label }($stamp)"
  echo
  echo "Machine: $(nproc) CPUs ($(uname -m)), shared with other work; load average (1, 5, 15 min) at start $load_start,"
  echo "when the runs began $load_measure, at the end $load_end. Tree: commit $git_head. pgbench $clients clients,"
  echo "-j $threads, $dur_s s per run, -M prepared, as the service's role; plain and audit alternate $rounds times."
  echo "The server's sealer ran throughout (GLASPLADE_AUDIT_SEAL_DELAY_MS=$delay_ms: a pass every $((delay_ms / 4)) ms)."
  echo
  echo "| run | tps per round | mean latency ms | lock-wait samples (of all) | most sessions waiting at once | waited on |"
  echo "| --- | --- | --- | --- | ---: | --- |"
  for t in plain audit v1; do
    [ "$t" = v1 ] && [ "$with_v1" != 1 ] && continue
    n=$rounds
    [ "$t" = v1 ] && n=1
    tl="" ll="" ws=0 ns=0 mx=0 what=""
    for ((r = 1; r <= n; r++)); do
      tl="$tl${tl:+ / }${tps[$t-$r]%.*}"
      ll="$ll${ll:+ / }${lat[$t-$r]}"
      read -r s w m wh <<<"$(locks "$raw/locks-$t-$r.txt")"
      ns=$((ns + s))
      ws=$((ws + w))
      ((m > mx)) && mx=$m
      [ "$wh" != none ] && what="$what${what:+; }$wh"
    done
    echo "| $t | $tl | $ll | $ws ($ns) | $mx | ${what:-none} |"
  done
  echo
  echo "| measure | goal | measured |"
  echo "| --- | --- | --- |"
  echo "| audit tps / plain tps, $clients clients (sum over the rounds) | ≥ 0.8 | **$r_audit** ($audit_tps / $plain_tps) |"
  if [ "$with_v1" = 1 ]; then
    echo "| v1 (locked chain) tps / plain tps, same run | (was 0.08) | $(ratio "${tps[v1-1]}" "${tps[plain-1]}") (${tps[v1-1]} / ${tps[plain-1]}, round 1) |"
  fi
  echo "| sealing lag p50 / p99 / max, rows of the audit runs ($lag_n) | p99 ≤ 1000 ms | $lag_p50 / **$lag_p99** / $lag_max ms |"
  echo "| lock waits sampled during the audit runs | none on the audit path | see the table |"
  echo "| \`glasplade audit verify\` afterwards | intact | intact: $intact (exit $verify_rc), $checkpoints checkpoints signed, $matched matched |"
  echo
  echo "Commands (database URLs: \`scripts/pg url $db\` for the owner, \`scripts/pg service-url $db\` for the service):"
  echo
  echo '```sh'
  echo "$pgbench -n -M prepared -c $clients -j $threads -T $dur_s -f ${raw#"$root"/}/<plain|audit|v1>.sql \"\$(scripts/pg service-url $db)\""
  echo "# pg_locks sampler, every 100 ms in one psql session: count(*) FROM pg_locks WHERE NOT granted, and on what"
  echo "# lag: SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY sealed_at - at) FROM audit_chain JOIN audit_log USING (id)"
  echo "GLASPLADE_DATABASE_URL=\"\$(scripts/pg service-url $db)\" build-bench/glasplade audit verify"
  echo '```'
  echo
  echo "Raw outputs: ${raw#"$root"/}/."
} | tee "$report"
