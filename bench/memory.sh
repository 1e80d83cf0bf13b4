#!/usr/bin/env bash
# Benchmark of the server's resident memory (issue "Hostile clients": "RSS stays under a
# documented bound ... including the 753-record citizen at 64 connections"). See
# bench/README-memory.md.
#
# Usage: bench/memory.sh              (about 4 minutes with the defaults; prints one markdown
#                                      table and writes it to var/bench/memory-<time>.md)
#
# Self-contained: builds a Release build into build-bench/, starts a private PostgreSQL
# (scripts/pg, its own folder and port), a fresh database, deptsim, and the server, and stops
# all of it on exit. Then, for each concurrency in BENCH_CONNECTIONS, wrk presses the CPR
# button of the demo citizen with 753 records (2311629339, refresh=always: every press asks all
# five systems, parses and stores every record) for BENCH_DURATION, while the server's VmRSS
# is sampled every second; then the server idles BENCH_IDLE_S and is sampled again. The
# report gives, per run: presses, answers by status (from /metrics), the RSS at start, the peak
# (VmHWM), at the end of the load and after the idle time.
#
# To find out what the memory is — allocator retention or real growth — run it once as it is
# and once with glibc's malloc told otherwise, e.g.
#   GLASPLADE_MALLOC=glibc bench/memory.sh        (the server leaves malloc as glibc sets it)
#   BENCH_SERVER_ENV="MALLOC_ARENA_MAX=64" bench/memory.sh
# GLASPLADE_MALLOC is not a server setting: it makes this script start the server with
# GLASPLADE_MALLOC_DEFAULTS=1, which serve.c reads (see bench/README-memory.md).
#
# Environment (all optional):
#   BENCH_BUILD (1; 0 uses what is in BENCH_BUILD_DIR), BENCH_BUILD_DIR (build-bench),
#   BENCH_DURATION (60s), BENCH_CONNECTIONS ("32 64"), BENCH_IDLE_S (15), BENCH_WRK_THREADS (2),
#   BENCH_SIZE (1000; deptsim --size), BENCH_SEED (1), BENCH_PORT (17630), BENCH_SIM_PORT
#   (17620; six ports), BENCH_PG_PORT (55747), BENCH_PG_DIR (var/bench-memory-pg), BENCH_OUT
#   (var/bench), BENCH_LABEL (free text for the title), BENCH_SERVER_ENV (extra NAME=value
#   words for the server's environment, e.g. MALLOC_ARENA_MAX=64), GLASPLADE_MALLOC (glibc:
#   leave glibc's malloc defaults). Server settings: GLASPLADE_THREADS (16),
#   GLASPLADE_LOG_LEVEL (warn); other GLASPLADE_* reach the server as they are.
# Only 127.0.0.1 is used. Every load run is bounded by BENCH_DURATION.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
BENCH_NAME=memory.sh
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

build=${BENCH_BUILD:-1}
build_dir=${BENCH_BUILD_DIR:-$root/build-bench}
duration=${BENCH_DURATION:-60s}
read -r -a conns <<<"${BENCH_CONNECTIONS:-32 64}"
idle_s=${BENCH_IDLE_S:-15}
wrk_threads=${BENCH_WRK_THREADS:-2}
size=${BENCH_SIZE:-1000}
seed=${BENCH_SEED:-1}
port=${BENCH_PORT:-17630}
sim_port=${BENCH_SIM_PORT:-17620}
out_dir=${BENCH_OUT:-$root/var/bench}
label=${BENCH_LABEL:-}
read -r -a extra_env <<<"${BENCH_SERVER_ENV:-}"
threads=${GLASPLADE_THREADS:-16}
log_level=${GLASPLADE_LOG_LEVEL:-warn}
malloc_mode=${GLASPLADE_MALLOC:-server}
export GLASPLADE_PG_PORT=${BENCH_PG_PORT:-55747}
export GLASPLADE_PG_DIR=${BENCH_PG_DIR:-$root/var/bench-memory-pg}
db=glasplade_bench_memory
pg="$root/scripts/pg"
glasplade="$build_dir/glasplade"
deptsim="$build_dir/cmd/deptsim/deptsim"
citizen=2311629339 # the demo citizen with 753 records, in all five systems at every size

dur_s=${duration%s}
[[ "$dur_s" =~ ^[1-9][0-9]*$ ]] || die "BENCH_DURATION must be seconds, e.g. 60s (got '$duration')"
[[ "$idle_s" =~ ^[0-9]+$ ]] || die "BENCH_IDLE_S must be seconds (got '$idle_s')"
for c in "${conns[@]}"; do
  [[ "$c" =~ ^[1-9][0-9]*$ ]] || die "connection counts must be positive numbers (got '$c')"
done
for tool in wrk curl cmake; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
case "$malloc_mode" in
server) ;;
glibc) extra_env+=(GLASPLADE_MALLOC_DEFAULTS=1) ;;
*) die "GLASPLADE_MALLOC must be server or glibc (got '$malloc_mode')" ;;
esac

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out_dir"
raw="$out_dir/memory-$stamp"
report="$out_dir/memory-$stamp.md"
mkdir -p "$raw"

server_pid=
sim_pid=
sampler_pid=
pg_started=0

cleanup() {
  local rc=$?
  stop_pid "$sampler_pid" 5
  stop_pid "$server_pid" 100
  stop_pid "$sim_pid" 50
  if [ "$pg_started" = 1 ]; then "$pg" stop >/dev/null 2>&1 || true; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- build ----
git_head=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ "$build" = 1 ]; then
  note "building Release into ${build_dir#"$root"/} (log: ${raw#"$root"/}/build.log)"
  if ! { cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DGP_TESTS=OFF \
    -DCMAKE_C_FLAGS=-Wno-error=format-truncation &&
    cmake --build "$build_dir" -j"$(nproc)" --target glasplade deptsim; } >"$raw/build.log" 2>&1; then
    tail -n 30 "$raw/build.log" >&2
    die "the build failed"
  fi
fi
[[ -x "$glasplade" && -x "$deptsim" ]] || die "no $glasplade or $deptsim (BENCH_BUILD=1 builds them)"

# ---- PostgreSQL, database, token, deptsim, sources, server ----
for p in "$port" $(seq "$sim_port" $((sim_port + 5))); do
  if port_in_use "$p"; then die "port $p is in use; choose free ports (BENCH_PORT, BENCH_SIM_PORT)"; fi
done
"$pg" start
pg_started=1
"$pg" psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
"$pg" createdb "$db"
db_url=$("$pg" url "$db")
GLASPLADE_DATABASE_URL="$db_url" "$glasplade" migrate >"$raw/setup.log" 2>&1 ||
  { cat "$raw/setup.log" >&2; die "migrate failed"; }
token=$(GLASPLADE_DATABASE_URL="$db_url" "$glasplade" token create --role caseworker --name bench \
  --department job_centre --default-purpose rehabilitation 2>>"$raw/setup.log")
[[ "$token" =~ ^gpt_[A-Za-z0-9_-]+$ ]] || die "token create printed '$token'"

note "starting deptsim --size $size on 127.0.0.1:$sim_port..$((sim_port + 5))"
"$deptsim" --listen 127.0.0.1 --base-port "$sim_port" --size "$size" --seed "$seed" --quiet \
  2>"$raw/deptsim.log" &
sim_pid=$!
for ((p = sim_port; p <= sim_port + 5; p++)); do
  wait_http "http://127.0.0.1:$p/healthz" "$sim_pid" || { cat "$raw/deptsim.log" >&2; die "deptsim did not start"; }
done
systems=(jobcentre social health region family)
kinds=(momentum sensum fhir-r4 fhir-r4 dubu)
departments=(job_centre social_services municipal_health region family)
for i in "${!systems[@]}"; do
  GLASPLADE_DATABASE_URL="$db_url" "$glasplade" source set "${systems[$i]}" --kind "${kinds[$i]}" \
    --department "${departments[$i]}" --url "http://127.0.0.1:$((sim_port + i))" --timeout-ms 1500 \
    >>"$raw/setup.log" 2>&1 || die "source set ${systems[$i]} failed"
done

server_env=(GLASPLADE_DATABASE_URL="$db_url" GLASPLADE_LISTEN=127.0.0.1 GLASPLADE_PORT="$port"
  GLASPLADE_THREADS="$threads" GLASPLADE_LOG_LEVEL="$log_level" GLASPLADE_MIGRATE_ON_START=0
  GLASPLADE_SHUTDOWN_TIMEOUT_MS=3000 "${extra_env[@]}")
note "starting glasplade serve on 127.0.0.1:$port (threads $threads; ${extra_env[*]:-no extra environment})"
env "${server_env[@]}" "$glasplade" serve 2>"$raw/server.log" &
server_pid=$!
wait_http "http://127.0.0.1:$port/healthz" "$server_pid" || { cat "$raw/server.log" >&2; die "the server did not start"; }
base="http://127.0.0.1:$port"
url="$base/v1/citizens/$citizen/overview?refresh=always"
status_kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$server_pid/status"; }
mb() { awk -v k="$1" 'BEGIN {printf "%.0f", k / 1024}'; }

# One press first: the citizen's records are 753 in the index afterwards.
curl -sf -o "$raw/first.json" -H "Authorization: Bearer $token" "$url" || die "the first press failed"
records=$("$pg" psql -X -q -A -t -d "$db" -c \
  "SELECT count(*) FROM record WHERE cpr = '$citizen' AND removed_at IS NULL")
rss_start=$(status_kb VmRSS)

# Answers so far by status, from /metrics: "200=n 503=m ..."
statuses() {
  curl -sf "$base/metrics" | awk -F'status="' '/^glasplade_http_requests_total\{route="\/v1\/citizens\/\{cpr\}\/overview"/ {
    split($2, a, "\""); split($0, v, " "); n[a[1]] += v[length(v)] }
    END { for (s in n) printf "%s=%d ", s, n[s] }'
}
# The difference of two statuses() lines.
status_delta() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    n = split(a, x, " "); for (i = 1; i <= n; i++) { split(x[i], kv, "="); before[kv[1]] = kv[2] }
    n = split(b, y, " "); for (i = 1; i <= n; i++) { split(y[i], kv, "="); d = kv[2] - before[kv[1]]; if (d) out = out sprintf("%s %s: %d", out ? "," : "", kv[1], d) }
    print out }'
}

# glibc's own account (malloc_stats through gdb, when gdb is there): what malloc holds from the
# system and what of it is in use — retention is the difference. "held/in use" in MB.
malloc_account() {
  command -v gdb >/dev/null || {
    echo "n/a"
    return
  }
  local before
  before=$(grep -c 'system bytes' "$raw/server.log" || true)
  gdb -p "$server_pid" -batch -ex 'call (void) malloc_stats()' >/dev/null 2>&1 || true
  sleep 0.2
  awk -v skip="$before" '
    /system bytes/ { n++ }
    n > skip && /^Total \(incl. mmap\):/ { total = 1; next }
    total && /system bytes/ { sys = $NF }
    total && /in use bytes/ { use = $NF; total = 0 }
    END { if (sys) printf "%.0f/%.0f", sys / 1048576, use / 1048576; else printf "n/a" }' "$raw/server.log"
}

rows=()
for c in "${conns[@]}"; do
  note "$c connections, $duration of presses of $citizen (refresh=always)"
  : >"$raw/rss-$c.txt"
  (
    for ((k = 0; k < dur_s + idle_s + 2; k++)); do
      echo "$k $(awk '$1 == "VmRSS:" {print $2}' "/proc/$server_pid/status" 2>/dev/null || echo 0)" >>"$raw/rss-$c.txt"
      sleep 1
    done
  ) &
  sampler_pid=$!
  before=$(statuses)
  wrk -t"$((c < wrk_threads ? c : wrk_threads))" -c"$c" -d"$duration" --timeout 10s --latency \
    -H "Authorization: Bearer $token" "$url" >"$raw/wrk-$c.txt" 2>&1 || die "wrk failed (see $raw/wrk-$c.txt)"
  rss_end=$(status_kb VmRSS)
  after=$(statuses)
  held_end=$(malloc_account)
  sleep "$idle_s"
  rss_idle=$(status_kb VmRSS)
  held_idle=$(malloc_account)
  hwm=$(status_kb VmHWM)
  stop_pid "$sampler_pid" 5
  sampler_pid=
  reqs=$(awk '/requests in/ {print $1}' "$raw/wrk-$c.txt")
  rps=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' "$raw/wrk-$c.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$raw/wrk-$c.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$raw/wrk-$c.txt")
  rows+=("| $c | $reqs ($rps/s) | $(status_delta "$before" "$after") | $p50 / $p99 | $(mb "$rss_start") | $(mb "$hwm") | $(mb "$rss_end") ($held_end) | $(mb "$rss_idle") ($held_idle) |")
done

{
  echo "# Server memory under presses of the 753-record citizen${label:+ — $label}"
  echo
  echo "commit $git_head, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, $threads server threads," \
    "malloc: $malloc_mode${extra_env[*]:+, server environment: ${extra_env[*]}}; citizen $citizen ($records records)," \
    "$duration per run, $idle_s s idle after each"
  echo
  echo "| connections | presses | answers | p50 / p99 | RSS start MB | peak (VmHWM) MB | end of load MB (malloc held/in use) | after ${idle_s} s idle MB (held/in use) |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
  echo
  echo "RSS samples (one a second): ${raw#"$root"/}/rss-<connections>.txt; wrk: wrk-<connections>.txt;"
  echo "malloc_stats per arena: ${raw#"$root"/}/server.log."
} | tee "$report"
note "report: ${report#"$root"/}"
