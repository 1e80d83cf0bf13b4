#!/usr/bin/env bash
# Benchmark of the department simulators (issue #3): requests per second and latency of each
# system's per-CPR lookup at 64 connections (wrk), and deptsim's resident memory at 1,000,000
# citizens after a burst of lookups. Later benchmarks use these figures to show the simulators
# are never the bottleneck. See bench/README-deptsim.md.
#
# Environment: DEPTSIM (binary; default build/cmd/deptsim/deptsim), BENCH_SIZE (100000),
# BENCH_SEED (1), BENCH_DURATION (10s), BENCH_THREADS (2), BENCH_CONNECTIONS (64),
# BENCH_CPRS (5000 rotating CPRs per system), BENCH_PORT (17400, uses six ports),
# BENCH_QUIET (0: deptsim logs every request to a file, as in normal use; 1: --quiet),
# BENCH_RSS_SIZE (1000000), BENCH_RSS (1: measure RSS at BENCH_RSS_SIZE; 0: skip).
# Only 127.0.0.1 is used.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${DEPTSIM:-$root/build/cmd/deptsim/deptsim}
size=${BENCH_SIZE:-100000}
seed=${BENCH_SEED:-1}
duration=${BENCH_DURATION:-10s}
threads=${BENCH_THREADS:-2}
conns=${BENCH_CONNECTIONS:-64}
ncprs=${BENCH_CPRS:-5000}
port=${BENCH_PORT:-17400}
quiet=${BENCH_QUIET:-0}
rss_size=${BENCH_RSS_SIZE:-1000000}

command -v wrk >/dev/null || { echo "deptsim.sh: wrk is not installed" >&2; exit 1; }
[ -x "$bin" ] || { echo "deptsim.sh: no $bin (cmake --build build --target deptsim, or set DEPTSIM)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/deptsim-bench.XXXXXX)
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# wrk script: rotate through a CPR list, one request each; report req/s, p50, p99, errors.
cat >"$tmp/rotate.lua" <<'LUA'
local cprs = {}
for line in io.lines(os.getenv("BENCH_CPR_FILE")) do cprs[#cprs + 1] = line end
local pattern = os.getenv("BENCH_PATTERN")
local i = 0
function init(args)
  -- each wrk thread starts elsewhere in the list
  i = math.random(#cprs)
end
function request()
  i = i + 1
  return wrk.format("GET", string.format(pattern, cprs[(i % #cprs) + 1]))
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.0f %.2f %.2f %d %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, e.status + e.connect + e.read + e.write + e.timeout,
    summary.requests))
end
LUA

start() { # size, extra args...
  local n=$1; shift
  "$bin" --listen 127.0.0.1 --base-port "$port" --size "$n" --seed "$seed" "$@" 2>"$tmp/deptsim.log" &
  pid=$!
  for _ in $(seq 100); do
    if curl -sf "http://127.0.0.1:$((port + 5))/healthz" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "deptsim.sh: deptsim did not start; log:" >&2; cat "$tmp/deptsim.log" >&2; exit 1
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }
rss_mb() { awk -v k="$2" '$1 == k":" {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

systems=(jobcentre social health region family)
paths=(
  "/momentum/api/v2/borgere/%s/forloeb"
  "/sensum/api/Citizens/%s/Cases"
  "/fhir?_type=EpisodeOfCare,CarePlan,DocumentReference&patient.identifier=urn:oid:1.2.208.176.1.2%%7C%s"
  "/fhir?_type=Encounter,EpisodeOfCare,DocumentReference&patient.identifier=urn:oid:1.2.208.176.1.2%%7C%s"
  "/dubu/rest/parents/%s/children-cases"
)

logging="logging every request to a file"
extra=()
if [ "$quiet" = 1 ]; then extra=(--quiet); logging="--quiet"; fi

echo "deptsim benchmark: size $size, seed $seed, wrk -t$threads -c$conns -d$duration," \
  "$ncprs rotating known CPRs per system, $logging, $(nproc) CPUs ($(uname -m))"
start "$size" "${extra[@]}"
printf '%-10s %8s %8s %8s %7s  %s\n' system "req/s" "p50 ms" "p99 ms" errors "lookup (the CPR rotates)"
for i in "${!systems[@]}"; do
  s=${systems[$i]}
  # known citizens of this system, spread over the whole population
  "$bin" --size "$size" --seed "$seed" --print-cprs "$size" --system "$s" |
    awk -v n="$ncprs" '{ a[NR] = $0 } END { step = NR / n; if (step < 1) step = 1;
      for (k = 1; k <= NR && c < n; k += step) { print a[int(k)]; c++ } }' >"$tmp/$s.cprs"
  pattern=${paths[$i]}
  out=$(BENCH_CPR_FILE="$tmp/$s.cprs" BENCH_PATTERN="$pattern" \
    wrk -t"$threads" -c"$conns" -d"$duration" -s "$tmp/rotate.lua" "http://127.0.0.1:$((port + i))")
  read -r _ rps p50 p99 errs _ <<<"$(grep '^RESULT' <<<"$out")"
  # shellcheck disable=SC2059 # the pattern is ours
  printf '%-10s %8s %8s %8s %7s  %s\n' "$s" "$rps" "$p50" "$p99" "$errs" "$(printf "$pattern" '{cpr}')"
done
echo "deptsim RSS at size $size after the runs: VmRSS $(rss_mb "$pid" VmRSS) MB, peak VmHWM $(rss_mb "$pid" VmHWM) MB"
stop

if [ "${BENCH_RSS:-1}" = 1 ]; then
  start "$rss_size" --quiet
  at_start=$(rss_mb "$pid" VmRSS)
  total=0
  for i in "${!systems[@]}"; do
    s=${systems[$i]}
    "$bin" --size "$rss_size" --seed "$seed" --print-cprs "$rss_size" --system "$s" |
      awk 'NR % 20 == 0' >"$tmp/$s.rss.cprs"
    out=$(BENCH_CPR_FILE="$tmp/$s.rss.cprs" BENCH_PATTERN="${paths[$i]}" \
      wrk -t"$threads" -c"$conns" -d3s -s "$tmp/rotate.lua" "http://127.0.0.1:$((port + i))")
    read -r _ _ _ _ _ n <<<"$(grep '^RESULT' <<<"$out")"
    total=$((total + n))
  done
  echo "deptsim RSS at size $rss_size: $at_start MB after start; after a burst of $total lookups" \
    "(64 connections, all five systems, CPRs across the population): VmRSS $(rss_mb "$pid" VmRSS) MB," \
    "peak VmHWM $(rss_mb "$pid" VmHWM) MB"
  stop
fi
