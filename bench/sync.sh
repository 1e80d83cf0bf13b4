#!/usr/bin/env bash
# Benchmark of `glasplade sync` (issue: "sync of 100,000 citizens — records per second over a
# raw COPY of the same rows in the same run, goal >= 0.6"). See bench/README-sync.md.
#
# Usage: bench/sync.sh                  (100,000 citizens; prints one markdown report and
#                                        writes it to var/bench/sync-<time>.md)
#        BENCH_SIZE=5000 bench/sync.sh  (a quick run)
#
# Self-contained: a Release build into build-bench-sync/, a private PostgreSQL (scripts/pg, its
# own folder and port), a fresh database, deptsim with BENCH_SIZE citizens and the five sources;
# all of it stopped on exit. In one run it measures:
#   1. the first sync into an empty index (every record new): wall time, records/s, where the
#      sync's time went (fetch, parse, COPY, merge: the debug line per source) and the CPU of
#      glasplade, PostgreSQL and deptsim;
#   2. a second sync over the unchanged export (nothing to write: the steady state);
#   3. a raw COPY of the same rows, BENCH_COPY_RUNS times each (median): the index's records as
#      COPY text into an empty table shaped exactly like `record` (LIKE record INCLUDING ALL
#      plus record's own foreign keys, read from the catalog) — the same rows into the same
#      table with nothing of the sync in between, the goal's baseline — and, for context, the
#      columns the sync stages into a plain table (no index, no constraint);
#   4. the ratio sync records/s / raw COPY rows/s (goal >= 0.6), against both.
#
# Environment (all optional): BENCH_BUILD (1; 0 uses BENCH_BUILD_DIR as it is), BENCH_BUILD_DIR
# (build-bench-sync), BENCH_SIZE (100000; deptsim --size), BENCH_SEED (1), BENCH_PAGE_SIZE (500;
# glasplade sync --page-size), BENCH_JOBS (glasplade sync --jobs; its default when unset),
# BENCH_COPY_RUNS (3), BENCH_SIM_PORT (17620; six ports),
# BENCH_PG_PORT (55740), BENCH_PG_DIR (var/bench-sync-pg), BENCH_OUT (var/bench), BENCH_LABEL.
# Only 127.0.0.1 is used.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
BENCH_NAME=sync.sh
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

build=${BENCH_BUILD:-1}
build_dir=${BENCH_BUILD_DIR:-$root/build-bench-sync}
size=${BENCH_SIZE:-100000}
seed=${BENCH_SEED:-1}
page_size=${BENCH_PAGE_SIZE:-500}
jobs=${BENCH_JOBS:-}
copy_runs=${BENCH_COPY_RUNS:-3}
sim_port=${BENCH_SIM_PORT:-17620}
out_dir=${BENCH_OUT:-$root/var/bench}
label=${BENCH_LABEL:-}
# scripts/pg reads these; never the caller's GLASPLADE_PG_* (that may be the dev cluster).
export GLASPLADE_PG_PORT=${BENCH_PG_PORT:-55740}
export GLASPLADE_PG_DIR=${BENCH_PG_DIR:-$root/var/bench-sync-pg}
db=glasplade_bench_sync
pg="$root/scripts/pg"
glasplade="$build_dir/glasplade"
deptsim="$build_dir/cmd/deptsim/deptsim"


[[ "$size" =~ ^[0-9]+$ ]] || die "BENCH_SIZE must be a number (got '$size')"
[[ "$page_size" =~ ^[1-9][0-9]*$ ]] || die "BENCH_PAGE_SIZE must be a positive number"
[[ "$copy_runs" =~ ^[1-9][0-9]*$ ]] || die "BENCH_COPY_RUNS must be a positive number"
[[ -z "$jobs" || "$jobs" =~ ^[1-8]$ ]] || die "BENCH_JOBS must be 1-8"
sync_opts=(--page-size "$page_size" ${jobs:+--jobs "$jobs"})
for tool in curl cmake awk; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out_dir"
raw="$out_dir/sync-$stamp" # logs, the staged rows
report="$out_dir/sync-$stamp.md"
mkdir -p "$raw"

sim_pid=
pg_started=0


cleanup() {
  local rc=$?
  stop_pid "$sim_pid" 50
  if [ "$pg_started" = 1 ]; then "$pg" stop >/dev/null 2>&1 || true; fi
  rm -f "$raw/rows.tsv" # as large as the index; the report keeps its size
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- 1. build ----
git_head=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
git_dirty=$(git -C "$root" --no-optional-locks status --porcelain --untracked-files=no 2>/dev/null | wc -l)
[ "$git_dirty" = 0 ] && git_dirty=
if [ "$build" = 1 ]; then
  note "building Release into ${build_dir#"$root"/} (log: ${raw#"$root"/}/build.log)"
  # As bench/overview.sh: GCC 12 at -O3 sees a possible truncation in adapter_internal.h that
  # -O2 does not; the tree builds with -Werror, so that one warning is kept a warning.
  build_cmd=(cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DGP_TESTS=OFF
    -DCMAKE_C_FLAGS=-Wno-error=format-truncation)
  if ! { "${build_cmd[@]}" && cmake --build "$build_dir" -j2 --target glasplade deptsim; } \
    >"$raw/build.log" 2>&1; then
    tail -n 30 "$raw/build.log" >&2
    die "the build failed"
  fi
fi
[[ -x "$glasplade" && -x "$deptsim" ]] || die "no $glasplade or $deptsim (BENCH_BUILD=1 builds them)"
grep -q 'CMAKE_BUILD_TYPE:STRING=Release' "$build_dir/CMakeCache.txt" 2>/dev/null ||
  note "warning: $build_dir is not a Release build"

# ---- 2. PostgreSQL, database, deptsim, sources ----
for p in $(seq "$sim_port" $((sim_port + 5))); do
  if port_in_use "$p"; then die "port $p is in use; choose free ports (BENCH_SIM_PORT)"; fi
done
# Other benchmarks run private clusters too: never start next to, or talk to, someone else's.
if ! "$pg" status >/dev/null 2>&1 && port_in_use "$GLASPLADE_PG_PORT"; then
  die "port $GLASPLADE_PG_PORT is in use by another PostgreSQL; choose another BENCH_PG_PORT"
fi
"$pg" start
pg_started=1
"$pg" psql -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
"$pg" createdb "$db"
db_url=$("$pg" url "$db")
psql_bin=/usr/lib/postgresql/15/bin/psql
[ -x "$psql_bin" ] || psql_bin=psql
sql() { "$psql_bin" -X -q -A -t -v ON_ERROR_STOP=1 "$db_url" "$@"; }
GLASPLADE_DATABASE_URL="$db_url" "$glasplade" migrate >"$raw/migrate.log" 2>&1 ||
  { cat "$raw/migrate.log" >&2; die "migrate failed"; }

note "starting deptsim --size $size on 127.0.0.1:$sim_port..$((sim_port + 5))"
"$deptsim" --listen 127.0.0.1 --base-port "$sim_port" --size "$size" --seed "$seed" --quiet \
  2>"$raw/deptsim.log" &
sim_pid=$!
for ((p = sim_port; p <= sim_port + 5; p++)); do
  wait_http "http://127.0.0.1:$p/healthz" "$sim_pid" || { cat "$raw/deptsim.log" >&2; die "deptsim did not start"; }
done
curl -sf "http://127.0.0.1:$((sim_port + 5))/population" | grep -q "\"seed\":$seed,\"size\":$size," ||
  die "the deptsim on port $((sim_port + 5)) is not ours (seed $seed, size $size)"
systems=(jobcentre social health region family)
kinds=(momentum sensum fhir-r4 fhir-r4 dubu)
# The FHIR simulators at their FHIR base, asked as before 0014 (one system search by the chained
# CPR identifier), so runs stay comparable; the service's default is IHE PDQm per type.
fhir_base=("" "" /fhir /fhir "")
departments=(job_centre social_services municipal_health region family)
for i in "${!systems[@]}"; do
  opts=()
  [[ "${kinds[$i]}" != fhir-r4 ]] || opts=(--option search=system --option patient=identifier)
  GLASPLADE_DATABASE_URL="$db_url" "$glasplade" source set "${systems[$i]}" --kind "${kinds[$i]}" \
    --department "${departments[$i]}" --url "http://127.0.0.1:$((sim_port + i))${fhir_base[$i]}" "${opts[@]}" \
    >>"$raw/migrate.log" 2>&1 || die "source set ${systems[$i]} failed"
done

# ---- measuring helpers (as bench/overview.sh) ----
clk=$(getconf CLK_TCK)
now() { date +%s.%N; }
pct() { awk -v t="$1" -v s="$2" -v c="$clk" 'BEGIN {if (s > 0) printf "%.0f", t / c / s * 100; else print 0}'; }

# run_sync NAME: one `glasplade sync`, timed; sets s_wall, s_records, s_pages, s_written,
# s_cpu_glasplade, s_cpu_pg, s_cpu_sim (percent of one core) and the per-phase seconds.
run_sync() {
  local name=$1 t0 t1 pg0 pg1 sim0 sim1
  pg0=$(pg_ticks)
  sim0=$(pid_ticks "$sim_pid")
  t0=$(now)
  GLASPLADE_DATABASE_URL="$db_url" GLASPLADE_LOG_LEVEL=debug \
    /usr/bin/time -f '%U %S' -o "$raw/$name.time" \
    "$glasplade" sync "${sync_opts[@]}" >"$raw/$name.out" 2>"$raw/$name.log" ||
    { cat "$raw/$name.out" "$raw/$name.log" >&2; die "$name failed"; }
  t1=$(now)
  pg1=$(pg_ticks)
  sim1=$(pid_ticks "$sim_pid")
  s_wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')
  local line
  line=$(cat "$raw/$name.out")
  grep -q '5 sources: 5 complete;' <<<"$line" || die "$name: $line"
  s_pages=$(sed -n 's/.*; \([0-9]*\) pages, .*/\1/p' <<<"$line")
  s_records=$(sed -n 's/.* pages, \([0-9]*\) records .*/\1/p' <<<"$line")
  s_written=$(sed -n 's/.* records (\([0-9]*\) new or changed.*/\1/p' <<<"$line")
  read -r u s <"$raw/$name.time"
  s_cpu_glasplade=$(awk -v u="$u" -v s="$s" -v w="$s_wall" 'BEGIN {printf "%.0f", (u + s) / w * 100}')
  s_cpu_pg=$(pct $((pg1 - pg0)) "$s_wall")
  s_cpu_sim=$(pct $((sim1 - sim0)) "$s_wall")
  # "source X: complete, N pages, M records in T s: fetch a s, parse b s, copy c s, merge d s"
  read -r s_fetch s_parse s_copy s_merge < <(grep -o 'fetch [0-9.]* s, parse [0-9.]* s, copy [0-9.]* s, merge [0-9.]* s' "$raw/$name.log" |
    awk '{f += $2; p += $5; c += $8; m += $11} END {printf "%.2f %.2f %.2f %.2f\n", f, p, c, m}')
  note "$name: $line"
}

# ---- 3. the first sync (empty index) and the second (nothing changed) ----
load_measure=$(cut -d' ' -f1-3 /proc/loadavg)
note "first sync into an empty index (${sync_opts[*]})"
run_sync sync1
read -r w1 r1 p1 n1 g1 pg1 sim1 f1 pa1 c1 m1 <<<"$s_wall $s_records $s_pages $s_written $s_cpu_glasplade $s_cpu_pg $s_cpu_sim $s_fetch $s_parse $s_copy $s_merge"
[ "$n1" = "$r1" ] || die "the first sync wrote $n1 of $r1 records: the index was not empty?"
indexed=$(sql -c "SELECT count(*) FROM record")
[ "$indexed" = "$r1" ] || die "the index holds $indexed records, the sync merged $r1"
citizens=$(sql -c "SELECT count(*) FROM citizen")
note "second sync over the unchanged export"
run_sync sync2
read -r w2 r2 p2 n2 g2 pg2 sim2 f2 pa2 c2 m2 <<<"$s_wall $s_records $s_pages $s_written $s_cpu_glasplade $s_cpu_pg $s_cpu_sim $s_fetch $s_parse $s_copy $s_merge"
[ "$n2" = 0 ] || die "the second sync wrote $n2 records"

# ---- 4. raw COPY of the same rows ----
# The index's records as the sync staged them (sync_staging's columns, COPY text format).
cols="source_id, cpr, source_ref, parent_ref, source_code, legal_basis_raw, data_type, kind,
 title, status, start_date, end_date, document_date, unit, caseworker_name, caseworker_contact,
 source_updated"
sql -c "\\copy (SELECT $cols FROM record ORDER BY source_id, cpr, source_ref) TO '$raw/rows.tsv'"
rows_bytes=$(stat -c %s "$raw/rows.tsv")
rows=$(wc -l <"$raw/rows.tsv")
[ "$rows" = "$r1" ] || die "$rows rows exported, $r1 synced"
# record's shape from the catalog: columns, defaults, checks, indexes (INCLUDING ALL), and its
# foreign keys (which LIKE never copies) — whatever the migrations have made of it.
sql >/dev/null <<'SQL'
CREATE TABLE bench_raw (LIKE sync_staging);
CREATE TABLE bench_shaped (LIKE record INCLUDING ALL);
SELECT format('ALTER TABLE bench_shaped ADD %s', pg_get_constraintdef(oid))
  FROM pg_constraint WHERE conrelid = 'record'::regclass AND contype = 'f' \gexec
SQL
shaped_fks=$(sql -c "SELECT count(*) FROM pg_constraint WHERE conrelid = 'bench_shaped'::regclass AND contype = 'f'")
shaped_idx=$(sql -c "SELECT count(*) FROM pg_index WHERE indrelid = 'bench_shaped'::regclass")
[ "$shaped_idx" = "$(sql -c "SELECT count(*) FROM pg_index WHERE indrelid = 'record'::regclass")" ] ||
  die "bench_shaped does not have record's indexes"
[ "$shaped_fks" = "$(sql -c "SELECT count(*) FROM pg_constraint WHERE conrelid = 'record'::regclass AND contype = 'f'")" ] ||
  die "bench_shaped does not have record's foreign keys"
shaped_cols="cpr, source_id, source_ref, parent_ref, area, department, unit, case_type, source_code,
 legal_basis, legal_basis_raw, data_type, kind, title, status, start_date, end_date, document_date,
 caseworker_name, caseworker_contact, sensitivity, source_updated, fetched_at, removed_at"
sql -c "\\copy (SELECT $shaped_cols FROM record ORDER BY source_id, cpr, source_ref) TO '$raw/shaped.tsv'"
# copy_ms TABLE COLUMNS FILE: milliseconds of one \copy (psql's \timing: the COPY alone).
copy_ms() {
  sql -c "TRUNCATE $1" >/dev/null
  "$pg" psql -d "$db" -c "CHECKPOINT" >/dev/null # superuser only
  "$psql_bin" -X -q -v ON_ERROR_STOP=1 "$db_url" -c '\timing on' -c "\\copy $1 ($2) FROM '$3'" |
    sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
note "raw COPY of the same $rows rows, $copy_runs times"
raw_ms=$(for _ in $(seq "$copy_runs"); do copy_ms bench_raw "$cols" "$raw/rows.tsv"; done | median)
shaped_ms=$(for _ in $(seq "$copy_runs"); do copy_ms bench_shaped "$shaped_cols" "$raw/shaped.tsv"; done | median)
rm -f "$raw/shaped.tsv"
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- 5. the report ----
rate() { awk -v n="$1" -v s="$2" 'BEGIN {if (s > 0) printf "%.0f", n / s; else print "n/a"}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.3f", a / b; else print "n/a"}'; }
rate1=$(rate "$r1" "$w1")
rate2=$(rate "$r2" "$w2")
raw_rate=$(rate "$rows" "$(awk -v m="$raw_ms" 'BEGIN {print m / 1000}')")
shaped_rate=$(rate "$rows" "$(awk -v m="$shaped_ms" 'BEGIN {print m / 1000}')")
ratio1=$(ratio "$rate1" "$shaped_rate")
ratio2=$(ratio "$rate2" "$shaped_rate")
ratio1_plain=$(ratio "$rate1" "$raw_rate")
ratio2_plain=$(ratio "$rate2" "$raw_rate")
verdict=$(awk -v v="$ratio1" 'BEGIN {print (v >= 0.6) ? "**pass**" : "**miss**"}')
cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
{
  echo "# Sync benchmark ${label:+— $label }($stamp)"
  echo
  echo "Machine: $(nproc) CPUs, ${cpu_model:-unknown CPU} ($(uname -m), Linux $(uname -r)), shared by"
  echo "glasplade, PostgreSQL and deptsim. Load average (1, 5, 15 min) at start: $load_start; when the"
  echo "measurements began: $load_measure; at the end: $load_end."
  echo
  echo "Tree: commit $git_head${git_dirty:+ with $git_dirty uncommitted changed files (tracked)}; Release build in ${build_dir#"$root"/}."
  echo
  echo "Settings: deptsim --size $size --seed $seed --quiet (five systems on 127.0.0.1); \`glasplade sync"
  echo "${sync_opts[*]}\`; $r1 records of $citizens citizens; the staged rows are $((rows_bytes / 1024)) KiB of COPY text."
  echo
  echo "| run | wall s | pages | records | written | **records/s** | CPU % glasplade / postgres / deptsim | fetch / parse / COPY / merge s |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |"
  echo "| first sync, empty index | $w1 | $p1 | $r1 | $n1 | **$rate1** | $g1 / $pg1 / $sim1 | $f1 / $pa1 / $c1 / $m1 |"
  echo "| second sync, nothing changed | $w2 | $p2 | $r2 | $n2 | **$rate2** | $g2 / $pg2 / $sim2 | $f2 / $pa2 / $c2 / $m2 |"
  echo
  echo "Raw COPY of the same $rows rows (psql \`\\copy\`, median of $copy_runs, a CHECKPOINT before each):"
  echo
  echo "| into | ms | rows/s |"
  echo "| --- | ---: | ---: |"
  echo "| **an empty table shaped like \`record\`** ($shaped_idx indexes, its checks, $shaped_fks foreign keys) — the baseline | $shaped_ms | **$shaped_rate** |"
  echo "| (a plain table: sync_staging's columns, no index, no constraint) | $raw_ms | $raw_rate |"
  echo
  echo "## Goal"
  echo
  echo "| goal | measured | verdict |"
  echo "| --- | ---: | --- |"
  echo "| first sync records/s / raw COPY into \`record\`'s shape rows/s ≥ 0.6 | $ratio1 | $verdict |"
  echo "| (second sync records/s / the same) | $ratio2 | — |"
  echo "| (first and second sync / raw COPY into the plain table) | $ratio1_plain, $ratio2_plain | — |"
  echo
  echo "## Commands"
  echo
  echo '```sh'
  echo "bench/sync.sh   # BENCH_SIZE=$size BENCH_PAGE_SIZE=$page_size${jobs:+ BENCH_JOBS=$jobs}"
  echo "$deptsim --listen 127.0.0.1 --base-port $sim_port --size $size --seed $seed --quiet" | sed "s|$root/||"
  echo "GLASPLADE_LOG_LEVEL=debug ${glasplade#"$root"/} sync ${sync_opts[*]}   # twice"
  printf '%s\n' "psql -c '\copy (SELECT <record columns> FROM record) TO shaped.tsv'"
  printf '%s\n' "psql -c 'CREATE TABLE bench_shaped (LIKE record INCLUDING ALL)'   # + record's foreign keys"
  printf '%s\n' "psql -c '\timing on' -c '\copy bench_shaped (<columns>) FROM shaped.tsv'   # x$copy_runs, median"
  printf '%s\n' "psql -c '\copy (SELECT <sync_staging columns> FROM record) TO rows.tsv'"
  printf '%s\n' "psql -c '\timing on' -c '\copy bench_raw (<columns>) FROM rows.tsv'   # x$copy_runs, median"
  echo '```'
  echo
  echo "Raw outputs (sync logs and summaries): ${raw#"$root"/}/"
} >"$report"
cat "$report"
note "written to ${report#"$root"/}"
