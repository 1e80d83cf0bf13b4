#!/usr/bin/env bash
# The national-scale simulation behind docs/scale.md (issue 19): the CPR-list search and the
# refresh=never overview on an index of 1,000,000 and 6,000,000 citizens, in one run, so that
# the figures and their ratios come from the same machine under the same load.
#
# Usage: bench/scale.sh                           (1,000,000 then 6,000,000; the larger one
#                                                  needs about 20 minutes and 15 GB of disk)
#        BENCH_SIZES="100000 1000000" bench/scale.sh
#
# Per size, in order:
#   1. bench/target_group.sh with BENCH_SIZES=<size>: a fresh database, the index populated as
#      deptsim's population (bench/README-target-group.md, "The population"), VACUUM ANALYZE,
#      the CPR-list search timed per criteria set (p50/p90/p99), its plans. Its report is kept.
#   2. On the same database, left by step 1: the database's size, then a server and
#      `wrk` with BENCH_CONNECTIONS connections for BENCH_DURATION against
#      GET /v1/citizens/{cpr}/overview?refresh=never, rotating through BENCH_CPRS citizens that
#      have records (a caseworker of the job centre, purpose rehabilitation): req/s and
#      latency percentiles. refresh=never reads only the index, so this is the index's cost.
# Then one markdown report: var/bench/scale-<time>.md (and stdout).
#
# Environment (all optional): BENCH_SIZES ("1000000 6000000"), BENCH_RUNS (50, CPR-list runs
# per criteria set), BENCH_CONNECTIONS (16), BENCH_DURATION (15s), BENCH_CPRS (2000),
# BENCH_PG_PORT (55780), BENCH_PG_DIR (var/bench-scale-pg), BENCH_PORT (18458; the search's
# server takes the next one),
# BENCH_KEEP (0; 1 leaves the last database in place), GLASPLADE_THREADS (2 for the search,
# as bench/target_group.sh; 16 for the overview run), BENCH_COMPARE (empty; a git ref: passed to
# bench/target_group.sh, which times that ref's CPR list beside this tree's in the same run on
# the same database, on BENCH_PORT + 2; the report gives both).
# Only 127.0.0.1 is used; everything started is stopped on exit.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
BENCH_NAME=scale.sh
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

read -r -a sizes <<<"${BENCH_SIZES:-1000000 6000000}"
runs=${BENCH_RUNS:-50}
conns=${BENCH_CONNECTIONS:-16}
duration=${BENCH_DURATION:-15s}
ncprs=${BENCH_CPRS:-2000}
port=${BENCH_PORT:-18458}
keep=${BENCH_KEEP:-0}
out_dir=${BENCH_OUT:-$root/var/bench}
export GLASPLADE_PG_PORT=${BENCH_PG_PORT:-55780}
export GLASPLADE_PG_DIR=${BENCH_PG_DIR:-$root/var/bench-scale-pg}
build_dir=$root/build-bench-tg
glasplade=$build_dir/glasplade
pg=$root/scripts/pg
db=glasplade_bench_tg # bench/target_group.sh's database

for tool in wrk curl jq; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
stamp=$(date -u +%Y%m%dT%H%M%SZ)
raw="$out_dir/scale-$stamp"
report="$out_dir/scale-$stamp.md"
mkdir -p "$raw"

server_pid=
cleanup() {
  local rc=$?
  stop_pid "$server_pid" 100
  if [ "$keep" != 1 ]; then
    if "$pg" start >/dev/null 2>&1; then
      "$pg" psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    fi
  fi
  "$pg" stop >/dev/null 2>&1 || true
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A res=()
built=0
for size in "${sizes[@]}"; do
  for p in "$port" $((port + 1)) $((port + 2)); do
    if port_in_use "$p"; then die "port $p is in use; choose another BENCH_PORT"; fi
  done
  note "=== $size citizens: the CPR list (bench/target_group.sh) ==="
  t0=$SECONDS
  BENCH_SIZES=$size BENCH_RUNS=$runs BENCH_BUILD=$((built == 0 ? 1 : 0)) \
    BENCH_PG_PORT=$GLASPLADE_PG_PORT BENCH_PG_DIR=$GLASPLADE_PG_DIR BENCH_OUT="$raw" \
    BENCH_PORT=$((port + 1)) BENCH_LABEL="bench/scale.sh, $size citizens" \
    bench/target_group.sh >"$raw/target-group-$size.md" 2>"$raw/target-group-$size.log" ||
    { tail -n 20 "$raw/target-group-$size.log" >&2; die "bench/target_group.sh failed at $size"; }
  built=1
  res[tg-secs-$size]=$((SECONDS - t0))
  # The "all sets" line and the rare set, from the latency table (whose rows name the body) and,
  # with BENCH_COMPARE, from the comparison's table (whose rows have numbers there).
  res[tg-all-$size]=$(awk -F'|' -v s="$size" '$2 ~ " "s" " && $3 ~ /all sets/ && $4 !~ /[0-9]/ {gsub(/[ *]/, "", $5); gsub(/[ *]/, "", $7); print $5 " " $7}' "$raw/target-group-$size.md")
  res[cmp-all-$size]=$(awk -F'|' -v s="$size" '$2 ~ " "s" " && $3 ~ /all sets/ && $4 ~ /[0-9]/ {gsub(/[ *]/, "", $4); gsub(/[ *]/, "", $6); print $4 " " $6}' "$raw/target-group-$size.md")
  res[cmp-rare-$size]=$(awk -F'|' -v s="$size" '$2 ~ " "s" " && $3 ~ /five areas/ && $4 !~ /`/ {gsub(/ /, "", $4); gsub(/ /, "", $6); print $4 " " $6}' "$raw/target-group-$size.md")
  res[tg-common-$size]=$(awk -F'|' -v s="$size" '$2 ~ " "s" " && $4 ~ /`/ && $3 !~ /all sets|five areas/ {print $5, $7}' "$raw/target-group-$size.md" |
    awk '{if ($1 > p50) p50 = $1; if ($2 > p99) p99 = $2} END {print p50 " " p99}')
  res[tg-rare-$size]=$(awk -F'|' -v s="$size" '$2 ~ " "s" " && $3 ~ /five areas/ && $4 ~ /`/ {gsub(/ /, "", $5); gsub(/ /, "", $7); print $5 " " $7}' "$raw/target-group-$size.md")
  res[pop-$size]=$(awk -F'|' -v s="$size" '$2 ~ "^ "s" $" {gsub(/ /, ""); print $3 "|" $4 "|" $5}' "$raw/target-group-$size.md" | head -n1)
  note "$size: CPR list all sets p50/p99 ${res[tg-all-$size]} ms; common sets worst p50/p99 ${res[tg-common-$size]}; rare ${res[tg-rare-$size]}"

  note "=== $size citizens: overview?refresh=never ==="
  "$pg" start >/dev/null
  db_url=$("$pg" url "$db")
  psql_db() { "$pg" psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" "$@"; }
  res[dbsize-$size]=$(psql_db -c "SELECT pg_size_pretty(pg_database_size(current_database()))")
  res[disk-$size]=$(df -h "$GLASPLADE_PG_DIR" | awk 'NR == 2 {print $3 " used, " $4 " free"}')
  psql_db -c "SELECT cpr FROM citizen TABLESAMPLE SYSTEM (1) REPEATABLE (7) LIMIT $ncprs" >"$raw/cprs-$size.txt"
  [ -s "$raw/cprs-$size.txt" ] || die "no citizens to ask for"
  token=$(GLASPLADE_DATABASE_URL="$db_url" "$glasplade" token create --role caseworker \
    --name bench-scale --department job_centre 2>>"$raw/server-$size.log")
  # Someone else's server on the port would answer for ours (and know none of our tokens).
  if port_in_use "$port"; then die "port $port is in use; choose another BENCH_PORT"; fi
  env GLASPLADE_DATABASE_URL="$db_url" GLASPLADE_LISTEN=127.0.0.1 GLASPLADE_PORT="$port" \
    GLASPLADE_THREADS="${GLASPLADE_THREADS:-16}" GLASPLADE_LOG_LEVEL=warn GLASPLADE_MIGRATE_ON_START=0 \
    "$glasplade" serve 2>>"$raw/server-$size.log" &
  server_pid=$!
  wait_http "http://127.0.0.1:$port/healthz" "$server_pid" || die "the server did not start"
  one=$(head -n1 "$raw/cprs-$size.txt")
  code=$(curl -s -o "$raw/overview-$size.json" -w '%{http_code}' -H "Authorization: Bearer $token" \
    -H 'X-Purpose: rehabilitation' "http://127.0.0.1:$port/v1/citizens/$one/overview?refresh=never")
  [ "$code" = 200 ] || die "overview answered $code: $(head -c 300 "$raw/overview-$size.json")"
  BENCH_CPR_FILE="$raw/cprs-$size.txt" BENCH_PATTERN="/v1/citizens/%s/overview?refresh=never" \
    BENCH_TOKEN="$token" BENCH_WRK_THREADS=2 BENCH_CHECK=status \
    wrk -t2 -c"$conns" -d"$duration" --timeout 10s -s bench/overview.lua \
    "http://127.0.0.1:$port" >"$raw/wrk-$size.txt" 2>&1 || die "wrk failed"
  read -r _ rps p50 p90 p99 max n serr non2xx _ <<<"$(grep '^RESULT' "$raw/wrk-$size.txt")"
  ((serr == 0 && non2xx == 0)) || die "refresh=never: $serr socket errors, $non2xx non-2xx answers"
  res[never-$size]="$rps $p50 $p90 $p99 $max $n"
  note "$size: refresh=never c=$conns: $rps req/s, p50 $p50 ms, p99 $p99 ms"
  stop_pid "$server_pid" 100
  server_pid=
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b + 0 == 0) print "n/a"; else printf "%.2f", a / b}'; }
first=${sizes[0]}
last=${sizes[-1]}
{
  echo "# National-scale simulation ($stamp)"
  echo
  echo "Machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), shared;"
  echo "load average at start $load_start, at the end $load_end. Commit $(git rev-parse --short HEAD)."
  echo "CPR list: bench/target_group.sh (GLASPLADE_THREADS=2, $runs runs per criteria set, sequential curl)."
  echo "Overview: wrk -c$conns -d$duration, refresh=never, $ncprs citizens sampled from the index."
  echo
  echo "| citizens | records | citizens with records | database | load + search run s | CPR list p50 / p99 (all sets) | common sets, worst p50 / p99 | five areas (rare) p50 / p99 | refresh=never req/s | p50 | p99 |"
  echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for size in "${sizes[@]}"; do
    IFS='|' read -r _ recs cits <<<"${res[pop-$size]}"
    read -r a50 a99 <<<"${res[tg-all-$size]}"
    read -r c50 c99 <<<"${res[tg-common-$size]}"
    read -r r50 r99 <<<"${res[tg-rare-$size]}"
    read -r rps p50 _ p99 _ _ <<<"${res[never-$size]}"
    echo "| $size | $recs | $cits | ${res[dbsize-$size]} | ${res[tg-secs-$size]} | $a50 / $a99 | $c50 / $c99 | $r50 / $r99 | $rps | $p50 | $p99 |"
  done
  if [ "$first" != "$last" ]; then
    read -r a50f a99f <<<"${res[tg-all-$first]}"
    read -r a50l a99l <<<"${res[tg-all-$last]}"
    read -r r50f _ <<<"${res[tg-rare-$first]}"
    read -r r50l _ <<<"${res[tg-rare-$last]}"
    read -r rpsf _ _ p99f _ _ <<<"${res[never-$first]}"
    read -r rpsl _ _ p99l _ _ <<<"${res[never-$last]}"
    echo
    echo "Ratios $last / $first: CPR list p50 $(ratio "$a50l" "$a50f"), p99 $(ratio "$a99l" "$a99f"),"
    echo "rare set p50 $(ratio "$r50l" "$r50f"); refresh=never throughput $(ratio "$rpsl" "$rpsf"), p99 $(ratio "$p99l" "$p99f")."
  fi
  echo
  if [ -n "${BENCH_COMPARE:-}" ]; then
    echo "The CPR list of $BENCH_COMPARE in the same run, on the same databases (bench/target_group.sh"
    echo "BENCH_COMPARE; its report has every set):"
    echo
    echo "| citizens | $BENCH_COMPARE: all sets p50 / p99 | this tree: all sets p50 / p99 | $BENCH_COMPARE: five areas p50 / p99 | this tree: five areas p50 / p99 |"
    echo "| ---: | ---: | ---: | ---: | ---: |"
    for size in "${sizes[@]}"; do
      read -r a50 a99 <<<"${res[tg-all-$size]}"
      read -r r50 r99 <<<"${res[tg-rare-$size]}"
      read -r ca50 ca99 <<<"${res[cmp-all-$size]}"
      read -r cr50 cr99 <<<"${res[cmp-rare-$size]}"
      echo "| $size | $ca50 / $ca99 | $a50 / $a99 | $cr50 / $cr99 | $r50 / $r99 |"
    done
    echo
  fi
  echo "Goal at 6,000,000 (issue 19): CPR list p50 < 50 ms, p99 < 250 ms."
  echo
  echo "Disk after the last size: ${res[disk-$last]}. Raw: ${raw#"$root"/}/ (the target-group reports, wrk output)."
  echo
  echo '```sh'
  echo "BENCH_SIZES=\"${sizes[*]}\" BENCH_RUNS=$runs BENCH_CONNECTIONS=$conns BENCH_DURATION=$duration${BENCH_COMPARE:+ BENCH_COMPARE=$BENCH_COMPARE} bench/scale.sh"
  echo '```'
} >"$report"
cat "$report"
note "written to ${report#"$root"/}"
