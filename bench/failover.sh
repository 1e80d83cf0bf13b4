#!/usr/bin/env bash
# The failover figures (issue 19): the client-visible error window and the acknowledged writes
# lost, with a synchronous and with an asynchronous standby, in one run. Each is one run of the
# drill tests/topology/failover.sh (a topology of its own, steady overview reads and consent
# writes through the edge, the primary stopped the hard way, the standby promoted).
# Goal: error window <= 5 s; with a synchronous standby no acknowledged write lost.
#
# Usage: bench/failover.sh     (about a minute per mode; a markdown report on stdout and in
#                               var/bench/failover-<time>.md)
#
# Environment: BENCH_MODES ("1 0": synchronous, asynchronous), BENCH_RUNS (2 per mode),
# BENCH_READERS (2), BENCH_WRITERS (4), BENCH_BEFORE_S (5), BENCH_AFTER_S (10),
# BENCH_PG_PORT (55770: the primary takes it + 1, the standby + 2), BENCH_BUILD_DIR
# (build-release, which must hold glasplade and deptsim).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
BENCH_NAME=failover.sh
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

read -r -a modes <<<"${BENCH_MODES:-1 0}"
runs=${BENCH_RUNS:-2}
out_dir=${BENCH_OUT:-$root/var/bench}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
raw="$out_dir/failover-$stamp"
report="$out_dir/failover-$stamp.md"
mkdir -p "$raw"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$raw/results.txt"
for mode in "${modes[@]}"; do
  for ((r = 1; r <= runs; r++)); do
    note "standby $([ "$mode" = 1 ] && echo synchronous || echo asynchronous), run $r"
    GLASPLADE_TEST_PG_PORT=${BENCH_PG_PORT:-55770} GP_TOPO_BUILD=${BENCH_BUILD_DIR:-build-release} \
      GP_FAILOVER_SYNC=$mode GP_FAILOVER_READERS=${BENCH_READERS:-2} \
      GP_FAILOVER_WRITERS=${BENCH_WRITERS:-4} GP_FAILOVER_BEFORE_S=${BENCH_BEFORE_S:-5} \
      GP_FAILOVER_AFTER_S=${BENCH_AFTER_S:-10} \
      tests/topology/failover.sh >"$raw/run-$mode-$r.log" 2>&1 ||
      { tail -n 20 "$raw/run-$mode-$r.log" >&2; die "the drill failed (standby mode $mode, run $r)"; }
    line=$(grep '^FAILOVER' "$raw/run-$mode-$r.log")
    note "$line"
    echo "$line" >>"$raw/results.txt"
  done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
{
  echo "# Failover under load ($stamp)"
  echo
  echo "Machine: $(nproc) CPUs, shared; load average $load_start at the start, $load_end at the end."
  echo "Commit $(git rev-parse --short HEAD). Drill: tests/topology/failover.sh, ${BENCH_READERS:-2} readers"
  echo "(overview, refresh=never) and ${BENCH_WRITERS:-4} writers (consents) through the edge, one curl per request;"
  echo "${BENCH_BEFORE_S:-5} s of load, \`pg_ctl stop -m immediate\` of the primary, \`pg_ctl promote\` of the standby,"
  echo "${BENCH_AFTER_S:-10} s more load. Window: first failing request's start to the last one's end."
  echo
  echo "| standby | requests | errors | error window s | promotion s | consents acknowledged (201) | acknowledged, lost | standby behind at the crash: bytes, flush lag ms | error statuses |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
  while read -r line; do
    echo "| $([ "$(field sync "$line")" = 1 ] && echo synchronous || echo asynchronous) | $(field requests "$line") | $(field errors "$line") | $(field window_s "$line") | $(field promote_s "$line") | $(field acked "$line") | $(field lost "$line") | $(field lag_bytes "$line"), $(field lag_ms "$line") | $(field statuses "$line") |"
  done <"$raw/results.txt"
  echo
  echo "Goal: error window <= 5 s; no acknowledged write lost with a synchronous standby."
  echo
  echo '```sh'
  echo "BENCH_MODES=\"${modes[*]}\" BENCH_RUNS=$runs bench/failover.sh"
  echo '```'
} >"$report"
cat "$report"
note "written to ${report#"$root"/}"
