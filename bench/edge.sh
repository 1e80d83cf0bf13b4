#!/usr/bin/env bash
# What the edge costs (issue 19): GET /v1/citizens/{cpr}/overview?refresh=never throughput
# through the edge (HAProxy, TLS, two instances) against one instance asked directly (plain
# HTTP), in one run on one topology (scripts/cluster), so the ratio compares like with like.
# Goal: edge / direct >= 0.9.
#
# Usage: bench/edge.sh    (about 2 minutes; a markdown report on stdout and in
#                          var/bench/edge-<time>.md)
#
# The topology runs the Release build in BENCH_BUILD_DIR (build-release; built unless
# BENCH_BUILD=0), deptsim with BENCH_SIZE citizens, indexed by one `glasplade sync`; the CPRs
# asked are BENCH_CPRS of the indexed citizens. Then BENCH_ROUNDS rounds, each: wrk against
# instance A directly, then wrk against the edge (BENCH_CONNECTIONS connections, BENCH_DURATION
# each, keep-alive; TLS through the edge). The ratio is over the sums of all rounds.
#
# Environment: BENCH_CONNECTIONS (16), BENCH_DURATION (15s), BENCH_ROUNDS (2), BENCH_SIZE
# (10000), BENCH_CPRS (1000), BENCH_PG_PORT (55760: the primary takes it + 1, the standby + 2),
# BENCH_PORT (17650: the edge; the instances the next two, deptsim the six after).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
BENCH_NAME=edge.sh
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

conns=${BENCH_CONNECTIONS:-16}
duration=${BENCH_DURATION:-15s}
rounds=${BENCH_ROUNDS:-2}
size=${BENCH_SIZE:-10000}
ncprs=${BENCH_CPRS:-1000}
build_dir=${BENCH_BUILD_DIR:-$root/build-release}
pg_port=${BENCH_PG_PORT:-55760}
port=${BENCH_PORT:-17650}
out_dir=${BENCH_OUT:-$root/var/bench}
dir="$root/var/bench-edge"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
raw="$out_dir/edge-$stamp"
report="$out_dir/edge-$stamp.md"
mkdir -p "$raw"
command -v wrk >/dev/null || die "wrk is not installed"

if [ "${BENCH_BUILD:-1}" = 1 ]; then
  note "building Release into ${build_dir#"$root"/}"
  { cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release &&
    cmake --build "$build_dir" -j"$(nproc)" --target glasplade deptsim; } >"$raw/build.log" 2>&1 ||
    { tail -n 20 "$raw/build.log" >&2; die "the build failed"; }
fi

cluster_env=(GLASPLADE_CLUSTER_DIR="$dir" GLASPLADE_EDGE_PORT="$port"
  GLASPLADE_INSTANCE_PORTS="$((port + 1)) $((port + 2))" GLASPLADE_SIM_BASE_PORT="$((port + 3))"
  GLASPLADE_PG_PORT="$((pg_port + 1))" GLASPLADE_STANDBY_PORT="$((pg_port + 2))"
  GLASPLADE_BUILD_DIR="$build_dir" GLASPLADE_SKIP_BUILD=1 GLASPLADE_SKIP_INSTALL=1
  GLASPLADE_SIM_SIZE="$size" GLASPLADE_LOG_LEVEL=warn GLASPLADE_EDGE_MAX_RATE=100000000
  GLASPLADE_EDGE_MAX_CONN=10000)
cleanup() {
  local rc=$?
  env "${cluster_env[@]}" scripts/cluster stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rm -rf "$dir"
env "${cluster_env[@]}" scripts/cluster start >"$raw/cluster.env" 2>"$raw/cluster.log" ||
  { tail -n 20 "$raw/cluster.log" >&2; die "scripts/cluster start failed"; }
set -a
# shellcheck disable=SC1091
source "$raw/cluster.env"
set +a
read -r instance_a _ <<<"$GLASPLADE_INSTANCE_URLS"
note "indexing $size citizens (glasplade sync)"
GLASPLADE_DATABASE_URL="$GLASPLADE_DATABASE_URL" "$build_dir/glasplade" sync --no-progress \
  >"$raw/sync.log" 2>&1 || { tail "$raw/sync.log" >&2; die "sync failed"; }
primary_psql() { /usr/lib/postgresql/15/bin/psql -X -q -A -t -h 127.0.0.1 -p "$((pg_port + 1))" -U postgres -d glasplade "$@"; }
primary_psql -c "VACUUM (ANALYZE)" >/dev/null
primary_psql -c "SELECT cpr FROM citizen ORDER BY md5(cpr) LIMIT $ncprs" >"$raw/cprs.txt"
[ -s "$raw/cprs.txt" ] || die "no indexed citizens"

# CPU ticks so far (user + system) of a process, and of one of the topology's PostgreSQL
# clusters (bench/lib.sh's pg_ticks on that cluster's folder).
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
cluster_ticks() { GLASPLADE_PG_DIR="$dir/$1" pg_ticks; }
edge_pid=$(cat "$dir/pids/edge.pid")
edge_pid=$(pgrep -P "$edge_pid" -x haproxy || echo "$edge_pid") # env execs it; pgrep finds a child otherwise
inst_a=$(cat "$dir/pids/instance-1.pid")
inst_b=$(cat "$dir/pids/instance-2.pid")
cpu_snapshot() { echo "$(ticks "$edge_pid") $(ticks "$inst_a") $(ticks "$inst_b") $(cluster_ticks primary) $(cluster_ticks standby)"; }

run_wrk() { # NAME URL
  local before after
  before=$(cpu_snapshot)
  BENCH_CPR_FILE="$raw/cprs.txt" BENCH_PATTERN="/v1/citizens/%s/overview?refresh=never" \
    BENCH_TOKEN="$GLASPLADE_TOKEN" BENCH_WRK_THREADS=2 BENCH_CHECK=status \
    wrk -t2 -c"$conns" -d"$duration" --timeout 10s -s bench/overview.lua "$2" >"$raw/$1.txt" 2>&1 ||
    die "wrk failed ($1)"
  local line
  line=$(grep '^RESULT' "$raw/$1.txt")
  read -r _ rps p50 _ p99 _ n serr non2xx _ <<<"$line"
  ((serr == 0 && non2xx == 0)) || die "$1: $serr socket errors, $non2xx non-2xx answers"
  after=$(cpu_snapshot)
  # CPU milliseconds per request: the edge, the instances, PostgreSQL (primary and standby).
  local cpu
  cpu=$(awk -v b="$before" -v a="$after" -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN {
    split(b, x, " "); split(a, y, " "); f = 1000 / hz / n
    printf "%.3f %.3f %.3f", (y[1] - x[1]) * f, (y[2] - x[2] + y[3] - x[3]) * f, (y[4] - x[4] + y[5] - x[5]) * f}')
  note "$1: $rps req/s, p50 $p50 ms, p99 $p99 ms ($n requests); CPU ms per request edge/instances/postgres: $cpu"
  echo "$1 $rps $p50 $p99 $n $cpu" >>"$raw/results.txt"
}
: >"$raw/results.txt"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
# Warm both paths (connections, plans) before measuring.
BENCH_CPR_FILE="$raw/cprs.txt" BENCH_PATTERN="/v1/citizens/%s/overview?refresh=never" \
  BENCH_TOKEN="$GLASPLADE_TOKEN" BENCH_WRK_THREADS=2 wrk -t2 -c"$conns" -d3s -s bench/overview.lua "$instance_a" >/dev/null 2>&1
BENCH_CPR_FILE="$raw/cprs.txt" BENCH_PATTERN="/v1/citizens/%s/overview?refresh=never" \
  BENCH_TOKEN="$GLASPLADE_TOKEN" BENCH_WRK_THREADS=2 wrk -t2 -c"$conns" -d3s -s bench/overview.lua "$GLASPLADE_URL" >/dev/null 2>&1
for ((r = 1; r <= rounds; r++)); do
  run_wrk "direct-$r" "$instance_a"
  run_wrk "edge-$r" "$GLASPLADE_URL"
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

sum() { awk -v p="$1" '$1 ~ "^"p"-" {s += $2} END {printf "%.1f", s}' "$raw/results.txt"; }
direct=$(sum direct)
edge=$(sum edge)
ratio=$(awk -v a="$edge" -v b="$direct" 'BEGIN {printf "%.2f", a / b}')
# The same question asked of the CPU: on two saturated cores, throughput is CPU per request.
cpu_of() { awk -v p="$1" '$1 ~ "^"p"-" {s += $6 + $7 + $8; k++} END {printf "%.3f", s / k}' "$raw/results.txt"; }
edge_cpu=$(awk '$1 ~ /^edge-/ {s += $6; k++} END {printf "%.3f", s / k}' "$raw/results.txt")
# The edge's own share: direct CPU / (direct CPU + the edge's CPU). The instances and PostgreSQL
# cost more per request behind the edge too (two instances: twice the sessions contending for the
# audit chain's append lock); that is the second instance's price, shown apart.
cpu_ratio=$(awk -v d="$(cpu_of direct)" -v e="$edge_cpu" 'BEGIN {printf "%.2f", d / (d + e)}')
all_ratio=$(awk -v d="$(cpu_of direct)" -v e="$(cpu_of edge)" 'BEGIN {printf "%.2f", d / e}')
verdict=$(awk -v r="$ratio" 'BEGIN {print (r >= 0.9) ? "**met**" : "**missed**"}')
{
  echo "# The edge's cost ($stamp)"
  echo
  echo "Machine: $(nproc) CPUs, shared; load average $load_start at the start, $load_end at the end."
  echo "Commit $(git rev-parse --short HEAD). \`GET /v1/citizens/{cpr}/overview?refresh=never\`, $ncprs indexed"
  echo "citizens of $size, wrk -t2 -c$conns -d$duration, keep-alive. Direct: instance A over plain HTTP."
  echo "Edge: HAProxy (TLS 1.3, HTTP/1.1 from wrk) balancing two instances on the same two cores."
  echo
  echo "| run | req/s | p50 ms | p99 ms | requests | CPU ms per request: edge | instances | PostgreSQL |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  while read -r name rps p50 p99 n ce ci cp; do echo "| $name | $rps | $p50 | $p99 | $n | $ce | $ci | $cp |"; done <"$raw/results.txt"
  echo
  echo "Throughput through the edge / direct: **$ratio** (goal >= 0.9: $verdict)."
  echo "The edge's own CPU: $edge_cpu ms per request, against $(cpu_of direct) ms for instance and PostgreSQL"
  echo "directly: **$cpu_ratio** of the direct throughput on two saturated cores, without the noise of"
  echo "other people's load. Everything behind the edge, the second instance's extra sessions included:"
  echo "$(cpu_of edge) ms per request ($all_ratio)."
  echo
  echo '```sh'
  echo "BENCH_CONNECTIONS=$conns BENCH_DURATION=$duration BENCH_ROUNDS=$rounds bench/edge.sh"
  echo '```'
} >"$report"
cat "$report"
note "written to ${report#"$root"/}"
