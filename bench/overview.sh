#!/usr/bin/env bash
# Benchmark of the CPR button, GET /v1/citizens/{cpr}/overview (issue: "every source delayed
# 50 ± 10 ms, 1, 16 and 64 concurrent clients"). See bench/README-overview.md.
#
# Usage: bench/overview.sh            (about 7 minutes with the defaults; prints one markdown
#                                      table and writes it to var/bench/overview-<time>.md)
#
# Self-contained: builds a Release build into build-bench/, starts a private PostgreSQL
# (scripts/pg, its own folder and port), a fresh database, deptsim, and the server, and stops
# all of it on exit. In one run it measures, side by side:
#   1. each simulated system's own lookup latency (wrk straight at the URL the server asks),
#      and the server's overview?refresh=always latency, at each concurrency in
#      BENCH_CONNECTIONS; the ratios server/slowest source for p50 and p99, and server/the
#      slowest of the five per press (its distribution computed from the five measured ones);
#   2. overview?refresh=never requests/s at each concurrency in BENCH_NEVER_CONNECTIONS,
#      against pgbench running the same SQL (bench/overview_never.sql) with as many clients;
#   3. the server's resident memory (VmRSS, VmHWM) during and after the 64-connection runs.
#
# Environment (all optional):
#   BENCH_BUILD (1; 0 uses what is in BENCH_BUILD_DIR), BENCH_BUILD_DIR (build-bench),
#   BENCH_DURATION (15s; every wrk and pgbench run), BENCH_WRK_THREADS (2; wrk -t and
#   pgbench -j, at most the number of connections), BENCH_CONNECTIONS ("1 16 64"; the
#   refresh=always and source runs), BENCH_NEVER_CONNECTIONS ("16 64"), BENCH_CPRS (2000 CPRs
#   known to at least one system, the demo citizens included), BENCH_SIZE (100000; deptsim
#   --size), BENCH_SEED (1), BENCH_LATENCY_MS (50), BENCH_JITTER_MS (10), BENCH_WRK_TIMEOUT
#   (10s), BENCH_PORT (17510; the server), BENCH_SIM_PORT (17500; deptsim uses six ports),
#   BENCH_PG_PORT (55700), BENCH_PG_DIR (var/bench-pg), BENCH_PGBENCH
#   (/usr/lib/postgresql/15/bin/pgbench), BENCH_PGBENCH_REF (1: also run pgbench with as many
#   clients as the server has database sessions, GLASPLADE_THREADS), BENCH_OUT (var/bench),
#   BENCH_LABEL (free text for the report's title). The server port + 1 is used briefly by a
#   second server that shows which SQL one refresh=never overview sends (checked against
#   bench/overview_never.sql before pgbench replays it).
#   Server settings: GLASPLADE_THREADS (16, the server default), GLASPLADE_DB_POOL_SIZE (threads + 4),
#   GLASPLADE_LOG_LEVEL (warn: no access line per request); any other GLASPLADE_* variable
#   reaches the server as it is and is listed in the report.
# Only 127.0.0.1 is used. Every load run is bounded by BENCH_DURATION; the warm-up by a timeout.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
BENCH_NAME=overview.sh
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

build=${BENCH_BUILD:-1}
build_dir=${BENCH_BUILD_DIR:-$root/build-bench}
duration=${BENCH_DURATION:-15s}
wrk_threads=${BENCH_WRK_THREADS:-2}
read -r -a conns_always <<<"${BENCH_CONNECTIONS:-1 16 64}"
read -r -a conns_never <<<"${BENCH_NEVER_CONNECTIONS:-16 64}"
ncprs=${BENCH_CPRS:-2000}
size=${BENCH_SIZE:-100000}
seed=${BENCH_SEED:-1}
latency=${BENCH_LATENCY_MS:-50}
jitter=${BENCH_JITTER_MS:-10}
wrk_timeout=${BENCH_WRK_TIMEOUT:-10s}
port=${BENCH_PORT:-17510}
sim_port=${BENCH_SIM_PORT:-17500}
pgbench=${BENCH_PGBENCH:-/usr/lib/postgresql/15/bin/pgbench}
out_dir=${BENCH_OUT:-$root/var/bench}
label=${BENCH_LABEL:-}
threads=${GLASPLADE_THREADS:-16}
pool=${GLASPLADE_DB_POOL_SIZE:-$((threads + 4))}
log_level=${GLASPLADE_LOG_LEVEL:-warn}
# scripts/pg reads these; never the caller's GLASPLADE_PG_* (that may be the dev cluster).
export GLASPLADE_PG_PORT=${BENCH_PG_PORT:-55700}
export GLASPLADE_PG_DIR=${BENCH_PG_DIR:-$root/var/bench-pg}
db=glasplade_bench
pg="$root/scripts/pg"
glasplade="$build_dir/glasplade"
deptsim="$build_dir/cmd/deptsim/deptsim"
lua="$root/bench/overview.lua"
sql="$root/bench/overview_never.sql"


dur_s=${duration%s}
[[ "$dur_s" =~ ^[1-9][0-9]*$ ]] || die "BENCH_DURATION must be seconds, e.g. 15s (got '$duration')"
for c in "${conns_always[@]}" "${conns_never[@]}"; do
  [[ "$c" =~ ^[1-9][0-9]*$ ]] || die "connection counts must be positive numbers (got '$c')"
done
for tool in wrk curl cmake strings sha256sum; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
[ -x "$pgbench" ] || die "no pgbench at $pgbench (Debian: postgresql-15; or set BENCH_PGBENCH)"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out_dir"
raw="$out_dir/overview-$stamp" # raw wrk/pgbench outputs, logs, the CPR list
report="$out_dir/overview-$stamp.md"
mkdir -p "$raw"

server_pid=
check_pid=
sim_pid=
sampler_pid=
pg_started=0


cleanup() {
  local rc=$?
  stop_pid "$sampler_pid" 5
  stop_pid "$server_pid" 100 # the server lets in-flight requests finish first
  stop_pid "$check_pid" 50
  stop_pid "$sim_pid" 50
  if [ "$pg_started" = 1 ]; then "$pg" stop >/dev/null 2>&1 || true; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- 1. build ----
# What is built (read-only git queries; --no-optional-locks: status must not even refresh the
# index). Other people commit while this runs: the report names the commit.
git_head=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
git_dirty=$(git -C "$root" --no-optional-locks status --porcelain --untracked-files=no 2>/dev/null | wc -l)
[ "$git_dirty" = 0 ] && git_dirty=
if [ "$build" = 1 ]; then
  note "building Release into ${build_dir#"$root"/} (log: ${raw#"$root"/}/build.log)"
  # GCC 12 at -O3 sees a possible truncation in adapters/adapter_internal.h (gp_ad_fmt_day)
  # that -O2 does not; the tree builds with -Werror, so that one warning is kept a warning.
  build_cmd=(cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DGP_TESTS=OFF
    -DCMAKE_C_FLAGS=-Wno-error=format-truncation)
  if ! { "${build_cmd[@]}" && cmake --build "$build_dir" -j"$(nproc)" --target glasplade deptsim; } \
    >"$raw/build.log" 2>&1; then
    tail -n 30 "$raw/build.log" >&2
    die "the build failed"
  fi
fi
[[ -x "$glasplade" && -x "$deptsim" ]] || die "no $glasplade or $deptsim (BENCH_BUILD=1 builds them)"
grep -q 'CMAKE_BUILD_TYPE:STRING=Release' "$build_dir/CMakeCache.txt" 2>/dev/null ||
  note "warning: $build_dir is not a Release build"

# ---- 2. PostgreSQL, database, token, deptsim, sources, server ----
# Other people run stacks on this machine: never start next to, or talk to, someone else's.
sqlcheck_port=$((port + 1)) # a second, short-lived server that logs its SQL (step 6)
for p in "$port" "$sqlcheck_port" $(seq "$sim_port" $((sim_port + 5))); do
  if port_in_use "$p"; then die "port $p is in use; choose free ports (BENCH_PORT, BENCH_SIM_PORT)"; fi
done
"$pg" start
pg_started=1
"$pg" psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
"$pg" createdb "$db"
db_url=$("$pg" url "$db")
psql_bin=$(dirname "$pgbench")/psql
[ -x "$psql_bin" ] || psql_bin=psql
GLASPLADE_DATABASE_URL="$db_url" "$glasplade" migrate >"$raw/migrate.log" 2>&1 ||
  { cat "$raw/migrate.log" >&2; die "migrate failed"; }
token=$(GLASPLADE_DATABASE_URL="$db_url" "$glasplade" token create --role caseworker --name bench \
  --department job_centre 2>>"$raw/migrate.log")
[[ "$token" =~ ^gpt_[A-Za-z0-9_-]+$ ]] || die "token create printed '$token'"
client_id=$("$psql_bin" -X -q -A -t "$db_url" -c "SELECT max(id) FROM api_client WHERE name = 'bench'")
# As gp_token_hash_bytea sends it, quoted for pgbench -M simple (see bench/overview_never.sql).
tokhash="'\\x$(printf '%s' "$token" | sha256sum | cut -c1-64)'"


note "starting deptsim --size $size on 127.0.0.1:$sim_port..$((sim_port + 5))"
"$deptsim" --listen 127.0.0.1 --base-port "$sim_port" --size "$size" --seed "$seed" --quiet \
  2>"$raw/deptsim.log" &
sim_pid=$!
for ((p = sim_port; p <= sim_port + 5; p++)); do
  wait_http "http://127.0.0.1:$p/healthz" "$sim_pid" || { cat "$raw/deptsim.log" >&2; die "deptsim did not start"; }
done
sleep 0.2
kill -0 "$sim_pid" 2>/dev/null || { cat "$raw/deptsim.log" >&2; die "deptsim exited"; }
curl -sf "http://127.0.0.1:$((sim_port + 5))/population" | grep -q "\"seed\":$seed,\"size\":$size," ||
  die "the deptsim on port $((sim_port + 5)) is not ours (seed $seed, size $size)"

systems=(jobcentre social health region family)
kinds=(momentum sensum fhir-r4 fhir-r4 dubu)
# The FHIR simulators at their FHIR base, asked as before 0014 (one system search by the chained
# CPR identifier), so runs stay comparable; the service's default is IHE PDQm per type.
fhir_base=("" "" /fhir /fhir "")
departments=(job_centre social_services municipal_health region family)
# The lookup each adapter asks (adapters/*.c lookup_url), as a format with %s for the CPR.
fhir="/fhir?_type=EpisodeOfCare,CarePlan,DocumentReference,Encounter&patient.identifier=urn%%3Aoid%%3A1.2.208.176.1.2%%7C%s&_count=1000"
paths=(
  "/momentum/api/v2/borgere/%s/forloeb"
  "/sensum/api/Citizens/%s/Cases"
  "$fhir"
  "$fhir"
  "/dubu/rest/parents/%s/children-cases"
)
for i in "${!systems[@]}"; do
  opts=()
  [[ "${kinds[$i]}" != fhir-r4 ]] || opts=(--option search=system --option patient=identifier)
  GLASPLADE_DATABASE_URL="$db_url" "$glasplade" source set "${systems[$i]}" --kind "${kinds[$i]}" \
    --department "${departments[$i]}" --url "http://127.0.0.1:$((sim_port + i))${fhir_base[$i]}" "${opts[@]}" --timeout-ms 1500 \
    >>"$raw/migrate.log" 2>&1 || die "source set ${systems[$i]} failed"
done

faults="{\"latency_ms\":$latency,\"jitter_ms\":$jitter}"
curl -sf -X PUT "http://127.0.0.1:$((sim_port + 5))/faults/all" -d "$faults" >/dev/null ||
  die "could not set the latency on deptsim's control port"
curl -sf "http://127.0.0.1:$((sim_port + 5))/faults" >"$raw/faults.json"

# Every GLASPLADE_* the server sees (the database URL aside), for the report.
server_env=(GLASPLADE_DATABASE_URL="$db_url" GLASPLADE_LISTEN=127.0.0.1 GLASPLADE_PORT="$port"
  GLASPLADE_THREADS="$threads" GLASPLADE_DB_POOL_SIZE="$pool" GLASPLADE_LOG_LEVEL="$log_level"
  GLASPLADE_MIGRATE_ON_START=0 GLASPLADE_SHUTDOWN_TIMEOUT_MS=3000)
other_env=$(env | grep -E '^GLASPLADE_' | grep -vE '^GLASPLADE_(DATABASE_URL|LISTEN|PORT|THREADS|DB_POOL_SIZE|LOG_LEVEL|MIGRATE_ON_START|SHUTDOWN_TIMEOUT_MS|PG_PORT|PG_DIR|URL|TOKEN|SIM_[A-Z_]*)=' |
  tr '\n' ' ' || true)
note "starting glasplade serve on 127.0.0.1:$port (threads $threads, pool $pool, log $log_level)"
env "${server_env[@]}" "$glasplade" serve 2>"$raw/server.log" &
server_pid=$!
wait_http "http://127.0.0.1:$port/healthz" "$server_pid" || { cat "$raw/server.log" >&2; die "the server did not start"; }
sleep 0.2
kill -0 "$server_pid" 2>/dev/null || { cat "$raw/server.log" >&2; die "the server exited"; }
base="http://127.0.0.1:$port"
rss_kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$server_pid/status"; }
rss_start=$(rss_kb VmRSS)

# ---- 4. the CPRs: known to at least one system, demo citizens first, spread over the rest ----
"$deptsim" --size "$size" --seed "$seed" --print-cprs "$size" >"$raw/population.txt"
for s in "${systems[@]}"; do
  "$deptsim" --size "$size" --seed "$seed" --print-cprs "$size" --system "$s"
done >"$raw/known.txt"
"$deptsim" --print-demo | awk '$0 !~ /\(unknown\)/ {print $1}' >"$raw/demo.txt"
awk -v n="$ncprs" '
  FILENAME == ARGV[1] { demo[$1] = 1; nd++; next }
  FILENAME == ARGV[2] { known[$1] = 1; next }
  ($1 in known) { if ($1 in demo) d[++md] = $1; else a[++m] = $1 }
  END {
    for (k = 1; k <= md && c < n; k++) { print d[k]; c++ }
    need = n - c; step = need > 0 ? m / need : m + 1; if (step < 1) step = 1
    for (x = 1; x <= m && c < n; x += step) { print a[int(x)]; c++ }
  }' "$raw/demo.txt" "$raw/known.txt" "$raw/population.txt" >"$raw/cprs.txt"
ncprs_got=$(wc -l <"$raw/cprs.txt")
[ "$ncprs_got" = "$(sort -u "$raw/cprs.txt" | wc -l)" ] || die "the CPR list has duplicates"
((ncprs_got > 0)) || die "no CPRs"
awk '{print NR "\t" $1}' "$raw/cprs.txt" >"$raw/bench_cpr.tsv"
"$psql_bin" -X -q -v ON_ERROR_STOP=1 "$db_url" \
  -c "CREATE TABLE bench_cpr (i integer PRIMARY KEY, cpr text NOT NULL)" >/dev/null
"$psql_bin" -X -q -v ON_ERROR_STOP=1 "$db_url" -c "COPY bench_cpr FROM STDIN" <"$raw/bench_cpr.tsv"
"$psql_bin" -X -q -v ON_ERROR_STOP=1 "$db_url" -c "ANALYZE bench_cpr" >/dev/null

# ---- measuring helpers ----
clk=$(getconf CLK_TCK)
cpu_snapshot() { # server deptsim postgres machine_busy machine_total wallclock
  local busy_total
  busy_total=$(awk '$1 == "cpu" {t = 0; for (k = 2; k <= NF; k++) t += $k; print t - $5 - $6, t}' /proc/stat)
  echo "$(pid_ticks "$server_pid") $(pid_ticks "$sim_pid") $(pg_ticks) $busy_total $(date +%s.%N)"
}
cpu_delta() { # "before" "after" -> server% deptsim% postgres% machine_busy% (100% = one core)
  awk -v clk="$clk" -v cores="$(nproc)" -v a="$1" -v b="$2" 'BEGIN {
    split(a, x, " "); split(b, y, " "); dt = y[6] - x[6]
    printf "%.0f %.0f %.0f %.0f", (y[1] - x[1]) / clk / dt * 100, (y[2] - x[2]) / clk / dt * 100,
      (y[3] - x[3]) / clk / dt * 100, (y[4] - x[4]) / (y[5] - x[5]) * 100 * cores }'
}

start_sampler() { # the server's largest VmRSS (kB) while a run lasts, into $1
  (
    max=0
    for ((k = 0; k < dur_s + 5; k++)); do
      v=$(awk '$1 == "VmRSS:" {print $2}' "/proc/$server_pid/status" 2>/dev/null || echo 0)
      if ((v > max)); then max=$v; fi
      echo "$max" >"$1"
      sleep 1
    done
  ) &
  sampler_pid=$!
}
stop_sampler() {
  stop_pid "$sampler_pid" 5
  sampler_pid=
}

wrk_result=
declare -A cmds=()
cmd_order=()
remember() { # kind, command text
  if [ -z "${cmds[$1]:-}" ]; then
    cmds[$1]=$2
    cmd_order+=("$1")
  fi
}

# run_wrk NAME CONNS BASEURL PATTERN CHECK TOKEN: the RESULT fields (see bench/overview.lua)
# into $wrk_result (not printed: a $(...) subshell would lose what remember records).
run_wrk() {
  local name=$1 c=$2 url=$3 pattern=$4 check=$5 tok=$6 t=$wrk_threads
  ((c < t)) && t=$c # wrk needs at least one connection per thread
  local cmd=(wrk -t"$t" -c"$c" -d"${dur_s}s" --timeout "$wrk_timeout" --latency -s "$lua" "$url")
  BENCH_CPR_FILE="$raw/cprs.txt" BENCH_PATTERN="$pattern" BENCH_TOKEN="$tok" \
    BENCH_WRK_THREADS="$t" BENCH_CHECK="$check" "${cmd[@]}" >"$raw/$name.txt" 2>&1 ||
    { cat "$raw/$name.txt" >&2; die "wrk failed ($name)"; }
  local shown="BENCH_CPR_FILE=cprs.txt BENCH_PATTERN='$pattern'"
  [ -n "$tok" ] && shown+=" BENCH_TOKEN=\$TOKEN"
  [ -n "$check" ] && shown+=" BENCH_CHECK=$check"
  remember "${name%%-c*}" "$shown BENCH_WRK_THREADS=$t ${cmd[*]/#$root\//}"
  wrk_result=$(grep '^RESULT' "$raw/$name.txt" | cut -d' ' -f2-)
  # A server answering errors is fast and measures nothing: the server's runs must be all 200.
  local requests non2xx
  read -r _ _ _ _ _ requests _ non2xx _ <<<"$wrk_result"
  if [ -n "$tok" ] && [ "${non2xx:-0}" != 0 ]; then
    tail -n 3 "$raw/server.log" >&2
    die "$name: $non2xx of $requests answers were not 2xx"
  fi
}

# slowest_of Q FILE...: the Q-quantile (0..1), in ms, of the slowest of the systems whose wrk
# outputs are given, each asked once per press at the same time: the latencies of the systems
# are independent (deptsim draws each delay on its own), so P(slowest <= x) is the product of
# each system's P(latency <= x), read off its measured distribution (the CDF line of
# bench/overview.lua, interpolated linearly), and solved for Q by bisection.
slowest_of() {
  local q=$1
  shift
  awk -v q="$q" '
    /^CDF / {
      k++; n[k] = 0
      for (i = 2; i <= NF; i++) { split($i, a, ":"); n[k]++; P[k, n[k]] = a[1] / 100; X[k, n[k]] = a[2] + 0 }
    }
    function cdf(j, x,   i) {
      if (x < X[j, 1]) return P[j, 1] * (X[j, 1] > 0 ? x / X[j, 1] : 1)
      for (i = 2; i <= n[j]; i++)
        if (x < X[j, i]) return P[j, i - 1] + (P[j, i] - P[j, i - 1]) * (x - X[j, i - 1]) / (X[j, i] - X[j, i - 1])
      return 1
    }
    END {
      if (k == 0) { print "n/a"; exit }
      lo = 0; hi = 0
      for (j = 1; j <= k; j++) if (X[j, n[j]] > hi) hi = X[j, n[j]]
      for (it = 0; it < 60; it++) {
        mid = (lo + hi) / 2; prod = 1
        for (j = 1; j <= k; j++) prod *= cdf(j, mid)
        if (prod < q) lo = mid; else hi = mid
      }
      printf "%.2f", hi
    }' "$@"
}

# ---- 5. refresh=always against the slowest source, per concurrency ----
load_measure=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A res=()
note "CPRs: $ncprs_got; latency ${latency} ± ${jitter} ms on every system; wrk ${dur_s}s per run"
for c in "${conns_always[@]}"; do
  for i in "${!systems[@]}"; do
    s=${systems[$i]}
    run_wrk "source-$s-c$c" "$c" "http://127.0.0.1:$((sim_port + i))" "${paths[$i]}" status ""
    res[src-$s-$c]=$wrk_result
    note "c=$c source $s: $(cut -d' ' -f1-4 <<<"${res[src-$s-$c]}") (req/s p50 p90 p99)"
  done
  src_files=()
  for s in "${systems[@]}"; do src_files+=("$raw/source-$s-c$c.txt"); done
  res[floor50-$c]=$(slowest_of 0.5 "${src_files[@]}")
  res[floor99-$c]=$(slowest_of 0.99 "${src_files[@]}")
  note "c=$c slowest of the five per press: p50 ${res[floor50-$c]} p99 ${res[floor99-$c]} ms (from their distributions)"
  before=$(cpu_snapshot)
  if [ "$c" = "${conns_always[-1]}" ]; then start_sampler "$raw/rss-always.max"; fi
  run_wrk "always-c$c" "$c" "$base" "/v1/citizens/%s/overview?refresh=always" complete "$token"
  res[always-$c]=$wrk_result
  res[always-cpu-$c]=$(cpu_delta "$before" "$(cpu_snapshot)")
  if [ "$c" = "${conns_always[-1]}" ]; then
    stop_sampler
    res[rss-always]=$(cat "$raw/rss-always.max")
    res[rss-always-after]=$(rss_kb VmRSS)
  fi
  note "c=$c server refresh=always: $(cut -d' ' -f1-4 <<<"${res[always-$c]}") (req/s p50 p90 p99)," \
    "CPU server/deptsim/postgres/machine % ${res[always-cpu-$c]}"
done

# ---- 6. refresh=never against pgbench ----
note "warming the index: one refresh=always overview per CPR"
{
  printf 'header = "Authorization: Bearer %s"\n' "$token"
  printf 'header = "X-Purpose: rehabilitation"\n'
  awk -v u="$base" '{printf "url = \"%s/v1/citizens/%s/overview?refresh=always\"\noutput = \"/dev/null\"\n", u, $1}' "$raw/cprs.txt"
} >"$raw/warm.curl"
timeout 600 curl -s --no-progress-meter --parallel --parallel-max 32 --max-time 10 -w '%{http_code}\n' -K "$raw/warm.curl" \
  >"$raw/warm.codes" 2>"$raw/warm.err" || die "the warm-up failed or took over 600 s"
warm_ok=$(grep -c '^200$' "$raw/warm.codes" || true)
[ "$warm_ok" = "$ncprs_got" ] || die "warm-up: $warm_ok of $ncprs_got answers were 200"
read -r idx_cprs idx_ok idx_records <<<"$("$psql_bin" -X -q -A -t -F ' ' "$db_url" -c \
  "SELECT (SELECT count(DISTINCT cpr) FROM source_fetch WHERE cpr IN (SELECT cpr FROM bench_cpr)),
          (SELECT count(*) FROM source_fetch WHERE status = 'ok' AND cpr IN (SELECT cpr FROM bench_cpr)),
          (SELECT count(*) FROM record WHERE removed_at IS NULL AND cpr IN (SELECT cpr FROM bench_cpr))")"
note "index: $idx_cprs CPRs, $idx_ok source answers ok, $idx_records records"
"$psql_bin" -X -q "$db_url" -c "VACUUM ANALYZE" >/dev/null 2>&1 || true

# What SQL does one refresh=never overview send? A second server (same binary, same database)
# connects as the superuser with log_statement=all for its own sessions only (options= in the
# URL; TimeZone=UTC kept as the server sets it), answers two overviews, and the second one's
# statements are read back from the PostgreSQL log. The pgbench script must send exactly that
# sequence (BEGIN/COMMIT and prepared statements by name) with exactly those texts; a server
# that sends anything else stops the benchmark here instead of comparing with stale SQL.
pg_log="$GLASPLADE_PG_DIR/postgresql.log"
check_url="postgresql://postgres@127.0.0.1:$GLASPLADE_PG_PORT/$db?options=-c%20log_statement%3Dall%20-c%20TimeZone%3DUTC"
env GLASPLADE_DATABASE_URL="$check_url" GLASPLADE_LISTEN=127.0.0.1 GLASPLADE_PORT="$sqlcheck_port" \
  GLASPLADE_THREADS=1 GLASPLADE_DB_POOL_SIZE=1 GLASPLADE_LOG_LEVEL=warn "$glasplade" serve \
  2>"$raw/sqlcheck-server.log" &
check_pid=$!
wait_http "http://127.0.0.1:$sqlcheck_port/healthz" "$check_pid" || { cat "$raw/sqlcheck-server.log" >&2; die "the SQL-check server did not start"; }
check_cpr=$(sed -n 7p "$raw/cprs.txt")
check_req() { curl -sf -o /dev/null -H "Authorization: Bearer $token" -H "X-Purpose: rehabilitation" "http://127.0.0.1:$sqlcheck_port/v1/citizens/$check_cpr/overview?refresh=never"; }
check_req || die "the SQL-check request failed"
sleep 0.2
off=$(stat -c %s "$pg_log")
check_req || die "the SQL-check request failed"
sleep 0.3
# The server's audit sealer (a thread with a session of its own, lib/sharing/audit_sealer.c)
# logs its statements too; they belong to no request.
tail -c +$((off + 1)) "$pg_log" | grep -v -E 'execute (audit_seal|audit_sealer_[a-z_]+|audit_checkpoint_[a-z_]+):' \
  >"$raw/sqlcheck-pg.log" || true
stop_pid "$check_pid" 50
# server: one line per statement, "BEGIN" / "COMMIT" / "EXECUTE name"; texts as "name<TAB>sql"
# (BEGIN travels in one pipeline with the first reads, COMMIT with the audit row: logged as
# "execute <unnamed>: BEGIN" / "execute <unnamed>: COMMIT")
sed -n -e 's/^.* LOG:  statement: \(BEGIN\|COMMIT\)$/\1/p' \
  -e 's/^.* LOG:  execute <unnamed>: \(BEGIN\|COMMIT\)$/\1/p' \
  -e 's/^.* LOG:  execute \([a-z_0-9]*\): .*$/EXECUTE \1/p' "$raw/sqlcheck-pg.log" >"$raw/sql-server.seq"
sed -n 's/^.* LOG:  execute \([a-z_0-9]*\): \(.*\)$/\1\t\2/p' "$raw/sqlcheck-pg.log" | sort -u >"$raw/sql-server.txt"
# the pgbench script: the same, from its BEGIN/COMMIT/EXECUTE lines and its PREPAREs
sed -n -e 's/^\(BEGIN\|COMMIT\);$/\1/p' -e 's/^EXECUTE \([a-z_0-9]*\).*;$/EXECUTE \1/p' "$sql" >"$raw/sql-pgbench.seq"
sed -n 's/^PREPARE \([a-z_0-9]*\) AS \(.*\);$/\1\t\2/p' "$sql" | sort -u >"$raw/sql-pgbench.txt"
[ -s "$raw/sql-server.seq" ] || die "no statements of the SQL-check server in $pg_log"
if ! cmp -s "$raw/sql-server.seq" "$raw/sql-pgbench.seq"; then
  echo "overview.sh: the server's SQL per refresh=never overview differs from $sql:" >&2
  diff "$raw/sql-server.seq" "$raw/sql-pgbench.seq" | sed 's/^/  /' >&2 || true
  die "update bench/overview_never.sql (the server's statements are in ${raw#"$root"/}/sqlcheck-pg.log)"
fi
if ! cmp -s "$raw/sql-server.txt" "$raw/sql-pgbench.txt"; then
  diff "$raw/sql-server.txt" "$raw/sql-pgbench.txt" | cut -c1-200 | sed 's/^/  /' >&2 || true
  die "a statement text in bench/overview_never.sql differs from the server's; update it"
fi
sql_seq=$(tr '\n' ' ' <"$raw/sql-server.seq")
note "SQL per refresh=never overview (checked against the server): $sql_seq"

# run_pgbench CLIENTS: the pgbench script for BENCH_DURATION; "tps latency failed" into res[pgbench-N]
run_pgbench() {
  local c=$1 j=$wrk_threads tps lat failed line
  ((c < j)) && j=$c
  local pgcmd=("$pgbench" -n -M simple -c "$c" -j "$j" -T "$dur_s" -f "$sql" -D prepared=0
    -D "tokhash=$tokhash" -D "client=$client_id" -D "ncpr=$ncprs_got")
  local before
  before=$(cpu_snapshot)
  "${pgcmd[@]}" "$db_url" >"$raw/pgbench-c$c.txt" 2>&1 || { cat "$raw/pgbench-c$c.txt" >&2; die "pgbench failed"; }
  res[pgbench-cpu-$c]=$(cpu_delta "$before" "$(cpu_snapshot)")
  tps=$(awk '/^tps = / {print $3; exit}' "$raw/pgbench-c$c.txt")
  lat=$(awk '/^latency average = / {print $4; exit}' "$raw/pgbench-c$c.txt")
  failed=$(awk '/^number of failed transactions: / {print $5; exit}' "$raw/pgbench-c$c.txt")
  res[pgbench-$c]="$tps $lat ${failed:-0}"
  line="${pgcmd[*]/#$root\//}"
  line=${line//"$tokhash"/\"\$TOKHASH\"}
  remember pgbench "$line \"\$(scripts/pg url $db)\""
  remember pgbench-note "# TOKHASH: the token as the server looks it up, quoted: '\\x' + hex SHA-256 of the token + '"
  note "c=$c pgbench: $tps tps, latency average $lat ms, CPU server/deptsim/postgres/machine % ${res[pgbench-cpu-$c]}"
}

last_never=${conns_never[-1]}
for c in "${conns_never[@]}"; do
  before=$(cpu_snapshot)
  if [ "$c" = "$last_never" ]; then start_sampler "$raw/rss-never.max"; fi
  run_wrk "never-c$c" "$c" "$base" "/v1/citizens/%s/overview?refresh=never" "" "$token"
  res[never-$c]=$wrk_result
  res[never-cpu-$c]=$(cpu_delta "$before" "$(cpu_snapshot)")
  if [ "$c" = "$last_never" ]; then
    stop_sampler
    res[rss-never]=$(cat "$raw/rss-never.max")
    res[rss-never-after]=$(rss_kb VmRSS)
  fi
  note "c=$c server refresh=never: $(cut -d' ' -f1-4 <<<"${res[never-$c]}") (req/s p50 p90 p99)," \
    "CPU server/deptsim/postgres/machine % ${res[never-cpu-$c]}"

  run_pgbench "$c"
done
# Reference: pgbench with as many clients as the server has database sessions at once (one
# per HTTP thread), the concurrency at which the same SQL may run best.
ref_clients=
if [ "${BENCH_PGBENCH_REF:-1}" = 1 ] && [[ " ${conns_never[*]} " != *" $threads "* ]]; then
  ref_clients=$threads
  run_pgbench "$ref_clients"
fi
rss_end=$(rss_kb VmRSS)
hwm_end=$(rss_kb VmHWM)
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- 7. the report ----
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
f() { awk -v v="$1" -v d="${2:-2}" 'BEGIN {printf "%.*f", d, v}'; }
field() { cut -d' ' -f"$2" <<<"$1"; } # RESULT string, 1-based field
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "n/a"}'; }
# per_press CPU% RATE: ms of CPU per request from a CPU share (100 = one core) and requests/s
per_press() { awk -v p="$1" -v r="$2" 'BEGIN {if (r > 0) printf "%.2f", p * 10 / r; else print "n/a"}'; }
verdict() { awk -v v="$1" -v g="$2" -v op="$3" 'BEGIN {
  if (v == "n/a") print "n/a"; else if ((op == "le" && v <= g) || (op == "ge" && v >= g)) print "**pass**"; else print "**miss**" }'; }

cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
{
  echo "# Overview benchmark ${label:+— $label }($stamp)"
  echo
  echo "Machine: $(nproc) CPUs, ${cpu_model:-unknown CPU} ($(uname -m), Linux $(uname -r)), shared by"
  echo "wrk/pgbench, the server, PostgreSQL and deptsim. Load average (1, 5, 15 min) at start: $load_start;"
  echo "when the measurements began: $load_measure; at the end: $load_end (the end includes this benchmark's own"
  echo "load: 64 pgbench backends alone count 64 runnable processes)."
  echo
  echo "Tree: commit $git_head${git_dirty:+ with $git_dirty uncommitted changed files (tracked)}; built into ${build_dir#"$root"/}."
  echo
  echo "Settings: Release build; every system delayed ${latency} ± ${jitter} ms (\`PUT /faults/all $faults\`);"
  echo "deptsim --size $size --seed $seed --quiet; $ncprs_got CPRs known to at least one system (6 demo"
  echo "citizens + an even spread over the population), one per request, rotating; wrk ${dur_s} s per run,"
  echo "-t$wrk_threads (-t1 at one connection), --timeout $wrk_timeout; server GLASPLADE_THREADS=$threads,"
  echo "GLASPLADE_DB_POOL_SIZE=$pool, GLASPLADE_LOG_LEVEL=$log_level${other_env:+, $other_env}; token role caseworker (job_centre)."
  echo
  echo "## refresh=always against the slowest source"
  echo
  echo "| conns | slowest source | source p50 ms | source p99 ms | server p50 ms | server p99 ms | **p50 ratio** | **p99 ratio** | server req/s | not 200 / incomplete | CPU % server / postgres / deptsim / machine |"
  echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
  for c in "${conns_always[@]}"; do
    slow=
    sp50=0
    for s in "${systems[@]}"; do
      v=$(field "${res[src-$s-$c]}" 2)
      if awk -v a="$v" -v b="$sp50" 'BEGIN {exit !(a > b)}'; then
        sp50=$v
        slow=$s
      fi
    done
    sp99=$(field "${res[src-$slow-$c]}" 4)
    r=${res[always-$c]}
    r50=$(ratio "$(field "$r" 2)" "$sp50")
    r99=$(ratio "$(field "$r" 4)" "$sp99")
    res[r50-$c]=$r50
    res[r99-$c]=$r99
    bad=$(($(field "$r" 7) + $(field "$r" 8) + $(field "$r" 11)))
    read -r c_s c_d c_p c_m <<<"${res[always-cpu-$c]}"
    echo "| $c | $slow | $sp50 | $sp99 | $(field "$r" 2) | $(field "$r" 4) | **$r50** | **$r99** | $(f "$(field "$r" 1)" 0) | $bad / $(field "$r" 12) | $c_s / $c_p / $c_d / $c_m |"
  done
  echo
  echo "The same server runs against what a press must wait for at the least: the slowest of the five"
  echo "systems, which it asks at once. Its distribution is computed from the five measured ones above"
  echo "(independent delays: P(slowest ≤ x) is the product of the five P(latency ≤ x)); with 50 ± 10 ms"
  echo "each, its median is about 1.15 times one system's. The ratio is what the server adds."
  echo
  echo "| conns | slowest of five p50 ms | p99 ms | server p50 ms | server p99 ms | **p50 ratio** | **p99 ratio** | CPU ms per press: server / postgres / deptsim |"
  echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
  for c in "${conns_always[@]}"; do
    r=${res[always-$c]}
    read -r c_s c_d c_p _ <<<"${res[always-cpu-$c]}"
    rps=$(field "$r" 1)
    echo "| $c | ${res[floor50-$c]} | ${res[floor99-$c]} | $(field "$r" 2) | $(field "$r" 4) | **$(ratio "$(field "$r" 2)" "${res[floor50-$c]}")** | **$(ratio "$(field "$r" 4)" "${res[floor99-$c]}")** | $(per_press "$c_s" "$rps") / $(per_press "$c_p" "$rps") / $(per_press "$c_d" "$rps") |"
  done
  echo
  echo "Each system alone (wrk straight at the URL the server asks, same CPRs, same connections):"
  echo
  echo "| conns | system | req/s | p50 ms | p90 ms | p99 ms | max ms | 200 / 404 / other |"
  echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |"
  for c in "${conns_always[@]}"; do
    for s in "${systems[@]}"; do
      r=${res[src-$s-$c]}
      echo "| $c | $s | $(f "$(field "$r" 1)" 0) | $(field "$r" 2) | $(field "$r" 3) | $(field "$r" 4) | $(field "$r" 5) | $(field "$r" 9) / $(field "$r" 10) / $(($(field "$r" 11) + $(field "$r" 7))) |"
    done
  done
  echo
  echo "The server's refresh=always runs in full:"
  echo
  echo "| conns | req/s | p50 ms | p90 ms | p99 ms | max ms | requests |"
  echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for c in "${conns_always[@]}"; do
    r=${res[always-$c]}
    echo "| $c | $(f "$(field "$r" 1)" 0) | $(field "$r" 2) | $(field "$r" 3) | $(field "$r" 4) | $(field "$r" 5) | $(field "$r" 6) |"
  done
  echo
  echo "## refresh=never against pgbench running the same SQL"
  echo
  echo "Index warmed first: $idx_cprs CPRs, $idx_ok source answers, $idx_records records. The SQL of one"
  echo "refresh=never overview, as captured from the server in this run and replayed by pgbench (one pgbench"
  echo "transaction = this sequence; plus one pick of a random CPR from bench_cpr): \`$sql_seq\`."
  echo
  echo "| conns | server req/s | server p50 ms | server p99 ms | pgbench tps | pgbench latency ms | **server / pgbench** | CPU % server / postgres / machine (wrk run) | CPU % postgres / machine (pgbench run) |"
  echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"
  for c in "${conns_never[@]}"; do
    r=${res[never-$c]}
    read -r tps lat failed <<<"${res[pgbench-$c]}"
    rn=$(ratio "$(field "$r" 1)" "$tps")
    res[rn-$c]=$rn
    read -r c_s _ c_p c_m <<<"${res[never-cpu-$c]}"
    read -r _ _ bp bm <<<"${res[pgbench-cpu-$c]}"
    notes=""
    (($(field "$r" 7) + $(field "$r" 8) > 0)) && notes=" ($(($(field "$r" 7) + $(field "$r" 8))) errors)"
    ((failed > 0)) && notes+=" (pgbench: $failed failed)"
    echo "| $c | $(f "$(field "$r" 1)" 0)$notes | $(field "$r" 2) | $(field "$r" 4) | $(f "$tps" 0) | $lat | **$rn** | $c_s / $c_p / $c_m | $bp / $bm |"
  done
  if [ -n "$ref_clients" ]; then
    read -r tps lat _ <<<"${res[pgbench-$ref_clients]}"
    read -r _ _ bp bm <<<"${res[pgbench-cpu-$ref_clients]}"
    echo
    echo "Reference: pgbench with $ref_clients clients, as many as the server has database sessions at once"
    echo "(GLASPLADE_THREADS=$threads): $(f "$tps" 0) tps, latency average $lat ms (CPU % postgres / machine $bp / $bm);"
    for c in "${conns_never[@]}"; do
      echo "server at $c connections / this: **$(ratio "$(field "${res[never-$c]}" 1)" "$tps")**."
    done
  fi
  echo
  echo "## Goals"
  echo
  echo "| goal | measured | verdict |"
  echo "| --- | ---: | --- |"
  cg=${conns_always[-1]}
  echo "| refresh=always p50 / slowest source p50 ≤ 1.15 at $cg connections | ${res[r50-$cg]} | $(verdict "${res[r50-$cg]}" 1.15 le) |"
  echo "| refresh=always p99 / slowest source p99 ≤ 1.5 at $cg connections | ${res[r99-$cg]} | $(verdict "${res[r99-$cg]}" 1.5 le) |"
  for c in "${conns_never[@]}"; do
    echo "| refresh=never req/s / pgbench tps ≥ 0.7 at $c connections | ${res[rn-$c]} | $(verdict "${res[rn-$c]}" 0.7 ge) |"
  done
  echo
  echo "## Server memory"
  echo
  echo "| when | VmRSS MB |"
  echo "| --- | ---: |"
  echo "| after start | $(mb "$rss_start") |"
  echo "| largest during refresh=always at ${conns_always[-1]} connections (sampled each second) | $(mb "${res[rss-always]}") |"
  echo "| right after it | $(mb "${res[rss-always-after]}") |"
  echo "| largest during refresh=never at $last_never connections | $(mb "${res[rss-never]}") |"
  echo "| at the end (after pgbench) | $(mb "$rss_end") |"
  echo "| peak over the whole run (VmHWM) | $(mb "$hwm_end") |"
  echo
  echo "## Commands"
  echo
  echo '```sh'
  echo "bench/overview.sh   # BENCH_DURATION=${dur_s}s GLASPLADE_THREADS=$threads GLASPLADE_DB_POOL_SIZE=$pool"
  for k in "${cmd_order[@]}"; do echo "${cmds[$k]}"; done
  echo "curl -X PUT 127.0.0.1:$((sim_port + 5))/faults/all -d '$faults'"
  echo "curl --parallel --parallel-max 32 -K warm.curl   # warm-up: one refresh=always per CPR"
  echo '```'
  echo
  echo "Raw outputs (wrk, pgbench, logs, the CPR list): ${raw#"$root"/}/"
} >"$report"
cat "$report"
note "written to ${report#"$root"/}"
