#!/usr/bin/env bash
# Benchmark of the CPR list, POST /v1/target-group/searches (issue 6: "CPR-list search latency
# at 100,000 and 1,000,000 citizens; goal p50 < 250 ms at 1,000,000; show the EXPLAIN").
# See bench/README-target-group.md.
#
# Usage: bench/target_group.sh              (100,000 and 1,000,000 citizens; the larger one
#                                            takes a few minutes to populate)
#        BENCH_SIZES=100000 bench/target_group.sh
#        BENCH_COMPARE=<git ref> bench/target_group.sh   (the search of <ref> beside this tree's)
#
# Self-contained: builds a Release `glasplade` into build-bench-tg/, starts a private
# PostgreSQL (scripts/pg, its own folder and port), and for each size: a fresh database,
# migrations, the five sources, an analyst token, the index populated (see BENCH_POPULATE),
# VACUUM ANALYZE, the server; then BENCH_RUNS timed searches per criteria set (round robin,
# after a warm-up), each one POST over HTTP as an analyst would send it, audit row included;
# then one more search per set with auto_explain on, so the report carries the EXPLAIN
# (ANALYZE, BUFFERS) of the query exactly as the server ran it (its parameters, its plan).
# Everything it started is stopped on exit.
#
# Environment (all optional):
#   BENCH_SIZES ("100000 1000000"), BENCH_RUNS (50 per criteria set), BENCH_WARMUP (3),
#   BENCH_POPULATE (generate | sync): generate (default) fills the index with one SQL statement
#     per table that mirrors deptsim's population (bench/README-target-group.md says how and
#     why); sync starts deptsim --size N and runs `glasplade sync` (the real export path, much
#     slower at 1,000,000),
#   BENCH_BUILD (1; 0 uses what is in BENCH_BUILD_DIR), BENCH_BUILD_DIR (build-bench-tg),
#   BENCH_PORT (17530, the server), BENCH_SIM_PORT (17540, deptsim for sync; six ports),
#   BENCH_PG_PORT (55720), BENCH_PG_DIR (var/bench-tg-pg), BENCH_OUT (var/bench),
#   BENCH_SEED (1, deptsim), BENCH_LABEL (free text for the report's title),
#   GLASPLADE_THREADS (2), GLASPLADE_LOG_LEVEL (warn),
#   BENCH_COMPARE (empty): a git ref (a commit, a branch) whose `glasplade` is built too (from
#     `git archive`, into BENCH_BUILD_DIR-compare) and served on BENCH_COMPARE_PORT (BENCH_PORT
#     + 1) against the same database (a newer schema is fine: it reads what it knows), so the
#     two searches are timed in one run, alternating request by request; their first pages
#     must be equal (the run stops if not). The report gives both and their ratio.
# Only 127.0.0.1 is used.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
BENCH_NAME=target_group.sh
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

read -r -a sizes <<<"${BENCH_SIZES:-100000 1000000}"
runs=${BENCH_RUNS:-50}
warmup=${BENCH_WARMUP:-3}
populate=${BENCH_POPULATE:-generate}
build=${BENCH_BUILD:-1}
build_dir=${BENCH_BUILD_DIR:-$root/build-bench-tg}
port=${BENCH_PORT:-17530}
sim_port=${BENCH_SIM_PORT:-17540}
seed=${BENCH_SEED:-1}
out_dir=${BENCH_OUT:-$root/var/bench}
label=${BENCH_LABEL:-}
compare=${BENCH_COMPARE:-}
compare_port=${BENCH_COMPARE_PORT:-$((port + 1))}
threads=${GLASPLADE_THREADS:-2}
log_level=${GLASPLADE_LOG_LEVEL:-warn}
# scripts/pg reads these; never the caller's GLASPLADE_PG_* (that may be the dev cluster).
export GLASPLADE_PG_PORT=${BENCH_PG_PORT:-55720}
export GLASPLADE_PG_DIR=${BENCH_PG_DIR:-$root/var/bench-tg-pg}
db=glasplade_bench_tg
pg="$root/scripts/pg"
glasplade="$build_dir/glasplade"
deptsim="$build_dir/cmd/deptsim/deptsim"
compare_dir="$build_dir-compare"
glasplade_cmp="$compare_dir/glasplade"


for s in "${sizes[@]}"; do
  [[ "$s" =~ ^[1-9][0-9]*$ ]] || die "BENCH_SIZES must be positive numbers (got '$s')"
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive number (got '$runs')"
[[ "$warmup" =~ ^[0-9]+$ ]] || die "BENCH_WARMUP must be a number (got '$warmup')"
[[ "$populate" == generate || "$populate" == sync ]] || die "BENCH_POPULATE is generate or sync"
for tool in curl cmake jq awk; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out_dir"
raw="$out_dir/target-group-$stamp" # logs, timings, plans
report="$out_dir/target-group-$stamp.md"
mkdir -p "$raw"

server_pid=
cmp_pid=
sim_pid=
pg_started=0


cleanup() {
  local rc=$?
  stop_pid "$server_pid" 100
  stop_pid "$cmp_pid" 100
  stop_pid "$sim_pid" 50
  if [ "$pg_started" = 1 ]; then "$pg" stop >/dev/null 2>&1 || true; fi
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
  targets=(glasplade)
  [ "$populate" = sync ] && targets+=(deptsim)
  # As bench/overview.sh: GCC 12 at -O3 sees a possible truncation -O2 does not.
  if ! { cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DGP_TESTS=OFF \
    -DCMAKE_C_FLAGS=-Wno-error=format-truncation &&
    cmake --build "$build_dir" -j"$(nproc)" --target "${targets[@]}"; } >"$raw/build.log" 2>&1; then
    tail -n 30 "$raw/build.log" >&2
    die "the build failed"
  fi
fi
if [ -n "$compare" ]; then
  compare_rev=$(git -C "$root" rev-parse --short "$compare^{commit}" 2>/dev/null) ||
    die "BENCH_COMPARE: no commit '$compare'"
  if [ "$build" = 1 ]; then
    note "building $compare ($compare_rev) into ${compare_dir#"$root"/} (log: ${raw#"$root"/}/build-compare.log)"
    compare_src="$root/var/bench-tg-compare-src"
    rm -rf "$compare_src"
    mkdir -p "$compare_src"
    if ! { git -C "$root" archive --format=tar "$compare_rev" | tar -x -C "$compare_src" &&
      cmake -S "$compare_src" -B "$compare_dir" -DCMAKE_BUILD_TYPE=Release -DGP_TESTS=OFF \
        -DCMAKE_C_FLAGS=-Wno-error=format-truncation &&
      cmake --build "$compare_dir" -j"$(nproc)" --target glasplade; } >"$raw/build-compare.log" 2>&1; then
      tail -n 30 "$raw/build-compare.log" >&2
      die "the build of $compare failed"
    fi
  fi
  [ -x "$glasplade_cmp" ] || die "no $glasplade_cmp (BENCH_BUILD=1 builds it)"
fi
[ -x "$glasplade" ] || die "no $glasplade (BENCH_BUILD=1 builds it)"
[ "$populate" != sync ] || [ -x "$deptsim" ] || die "no $deptsim (BENCH_BUILD=1 builds it)"
grep -q 'CMAKE_BUILD_TYPE:STRING=Release' "$build_dir/CMakeCache.txt" 2>/dev/null ||
  note "warning: $build_dir is not a Release build"

for p in "$port" ${compare:+"$compare_port"} $([ "$populate" = sync ] && seq "$sim_port" $((sim_port + 5))); do
  if port_in_use "$p"; then die "port $p is in use; choose free ports (BENCH_PORT, BENCH_SIM_PORT)"; fi
done
"$pg" start
pg_started=1
psql_su() { "$pg" psql -X -q -v ON_ERROR_STOP=1 "$@"; }
pg_log="$GLASPLADE_PG_DIR/postgresql.log"


# ---- the population (BENCH_POPULATE=generate) ----
# One statement per table, mirroring deptsim's stated population (cmd/deptsim/README.md, "The
# population"), calibrated against the index a deptsim export gives (README-target-group.md):
# CPRs with birth dates 1930-2023 (the century digit as deptsim's), each citizen known to each
# system with the system's share (job centre 18-66, social 18+, family 20-75 years) and 6 % of
# citizens four times as likely to be known anywhere (deptsim's "known to two or more" 10 %,
# to three 2 %); per known system 1-3 cases, activities or encounters per case, documents;
# case types drawn from the taxonomy's types of the area, 1.5 % a type never shared across
# departments, 3 % unknown to the taxonomy (unclassified); open/planned/closed as deptsim's
# mix. Deterministic (setseed) for a given size. No deptsim, no HTTP: a million citizens load
# in minutes.
populate_sql() {
  cat <<'SQL'
SELECT setseed(0.42);
CREATE TEMP TABLE bench_sys (id text, dept text, area text, p_known float8, age_min int,
                             age_max int, cases_max int, act_kind text, act_max int,
                             act_inherit boolean, docs_max int);
INSERT INTO bench_sys VALUES
  ('jobcentre', 'job_centre',       'employment',       0.200, 18,  66, 2, 'activity',  5, false, 4),
  ('social',    'social_services',  'social',           0.110, 18, 150, 2, NULL,        0, false, 5),
  ('health',    'municipal_health', 'health_municipal', 0.175,  0, 150, 2, 'activity',  4, true,  5),
  ('region',    'region',           'health_regional',  0.145,  0, 150, 2, 'encounter', 5, true,  3),
  ('family',    'family',           'family',           0.050, 20,  75, 3, NULL,        0, false, 4);
CREATE TEMP TABLE bench_types AS
  SELECT area, array_agg(code ORDER BY code) FILTER (WHERE cross_department) AS shared,
         array_agg(code ORDER BY code) FILTER (WHERE NOT cross_department) AS excluded
    FROM case_type WHERE area IS NOT NULL GROUP BY area;
-- Citizen i: birth day (i * 7919) mod 34332 after 1930-01-01 (a permutation, so CPR order is
-- not insertion order, as with a real sync), k = i / 34332 picks the 7th digit and sequence.
-- Above 40 citizens per birth day (1,373,280 in all) the sequence is k / 4 alone, so that it
-- stays unique up to 137 million (bench/scale.sh's 6,000,000); below, as it always was.
CREATE TEMP TABLE bench_citizen AS
  SELECT i, cpr, date_part('year', age(current_date, birth))::int AS age,
         CASE WHEN random() < 0.06 THEN 4.0 ELSE 0.809 END AS m
    FROM (SELECT i, birth,
                 to_char(birth, 'DDMMYY')
                 || CASE WHEN birth < '2000-01-01' THEN (k % 4)::text ELSE (4 + k % 4)::text END
                 || CASE WHEN :size <= 1373280 THEN lpad(((k / 4) * 100 + i % 100)::text, 3, '0')
                         ELSE lpad((k / 4)::text, 3, '0') END AS cpr
            FROM (SELECT i, k, '1930-01-01'::date + b AS birth
                    FROM (SELECT i, ((i::bigint * 7919) % 34332)::int AS b, i / 34332 AS k
                            FROM generate_series(0, :size - 1) i) x) y) z;
-- (random() + c.i * 0: a condition on both sides is evaluated per pair, not once per system.)
CREATE TEMP TABLE bench_case AS
  SELECT c.cpr, s.id AS source_id, s.dept, s.area AS sys_area, n AS case_no,
         s.act_kind, s.act_max, s.act_inherit, s.docs_max,
         CASE WHEN r < 0.03 THEN 'unclassified'
              WHEN r < 0.045 AND t.excluded IS NOT NULL
                THEN t.excluded[1 + floor(random() * cardinality(t.excluded))::int]
              ELSE t.shared[1 + floor(random() * cardinality(t.shared))::int] END AS case_type,
         CASE WHEN r2 < 0.38 THEN 'open' WHEN r2 < 0.43 THEN 'planned' ELSE 'closed' END AS status
    FROM bench_citizen c
    JOIN bench_sys s ON c.age BETWEEN s.age_min AND s.age_max
                    AND random() + c.i * 0 < s.p_known * c.m
    JOIN bench_types t ON t.area = s.area
    CROSS JOIN LATERAL generate_series(1, 1 + floor(random() * s.cases_max + c.i * 0)::int) n
    CROSS JOIN LATERAL (SELECT random() + n * 0 AS r, random() + n * 0 AS r2) rr;
INSERT INTO record (cpr, source_id, source_ref, parent_ref, area, department, case_type,
                    legal_basis, data_type, kind, title, status, start_date, end_date,
                    caseworker_name, caseworker_contact, sensitivity, fetched_at)
SELECT x.cpr, x.source_id, x.ref, x.parent, coalesce(ct.area, x.sys_area), x.dept, x.case_type,
       v.legal_basis, x.data_type, x.kind, 'bench ' || x.kind, x.status,
       current_date - x.age_days,
       CASE WHEN x.status = 'closed' THEN current_date - x.age_days / 2 END,
       'Sagsbehandler ' || x.worker, '+45 72 ' || lpad((x.worker * 37 % 10000)::text, 4, '0'),
       ct.sensitivity, now()
  FROM (
    SELECT b.cpr, b.source_id, b.sys_area, b.dept, b.case_type, b.status,
           b.source_id || '-' || b.cpr || '-' || b.case_no AS ref, NULL AS parent,
           'case_summary' AS data_type, 'case' AS kind,
           floor(random() * 2000)::int AS age_days, 1 + floor(random() * 400)::int AS worker
      FROM bench_case b
    UNION ALL
    SELECT b.cpr, b.source_id, b.sys_area, b.dept,
           CASE WHEN b.act_inherit THEN b.case_type
                ELSE t.shared[1 + floor(random() * cardinality(t.shared) + a * 0)::int] END,
           CASE WHEN b.act_kind = 'encounter'
                THEN CASE WHEN ra < 0.02 THEN 'open' WHEN ra < 0.17 THEN 'planned' ELSE 'closed' END
                ELSE CASE WHEN ra < 0.165 THEN 'open' WHEN ra < 0.29 THEN 'planned' ELSE 'closed' END
           END,
           b.source_id || '-' || b.cpr || '-' || b.case_no || '-a' || a, NULL,
           'grant', b.act_kind, floor(random() * 2000)::int, 1 + floor(random() * 400)::int
      FROM bench_case b
      JOIN bench_types t ON t.area = b.sys_area
      CROSS JOIN LATERAL generate_series(1, floor(random() * (b.act_max + 1) + b.case_no * 0)::int) a
      CROSS JOIN LATERAL (SELECT random() + a * 0 AS ra) q
     WHERE b.act_kind IS NOT NULL
    UNION ALL
    SELECT b.cpr, b.source_id, b.sys_area, b.dept, b.case_type, 'closed',
           b.source_id || '-' || b.cpr || '-' || b.case_no || '-d' || d, NULL,
           'journal_note', 'document', floor(random() * 2000)::int, 1
      FROM bench_case b
      CROSS JOIN LATERAL generate_series(1, floor(random() * (b.docs_max + 1) + b.case_no * 0)::int) d
  ) x
  JOIN case_type ct ON ct.code = x.case_type
  LEFT JOIN case_type_current v ON v.code = x.case_type;
INSERT INTO citizen (cpr) SELECT DISTINCT cpr FROM record;
SQL
}

# ---- the criteria: name and request body ----
crit_names=("two areas (default)" "employment + social" "three areas" "two departments, age 18-29"
  "employment/social/health, excl. kontanthjælp" "three areas, any status" "five areas (rare)")
crit_bodies=('{}'
  '{"required_combinations": [["employment", "social"]]}'
  '{"min_areas": 3}'
  '{"min_areas": 1, "min_departments": 2, "age_min": 18, "age_max": 29}'
  '{"areas": ["employment", "social", "health_municipal"], "exclude_case_types": ["kontanthjaelp"]}'
  '{"min_areas": 3, "ongoing_only": false}'
  '{"min_areas": 5}')
ncrit=${#crit_names[@]}

# nearest-rank percentile of the numbers in file $1 (one per line): $2 in 0..100
pct() { sort -n "$1" | awk -v p="$2" '{v[NR] = $1} END {k = int((p / 100) * NR + 0.999999); if (k < 1) k = 1; if (NR) print v[k]; else print "n/a"}'; }

declare -A res=()
declare -A info=()

for size in "${sizes[@]}"; do
  note "=== $size citizens ==="
  psql_su -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
  "$pg" createdb "$db"
  db_url=$("$pg" url "$db")
  export GLASPLADE_DATABASE_URL="$db_url"
  "$glasplade" migrate >"$raw/migrate-$size.log" 2>&1 || { cat "$raw/migrate-$size.log" >&2; die "migrate failed"; }
  systems=(jobcentre social health region family)
  kinds=(momentum sensum fhir-r4 fhir-r4 dubu)
  # The FHIR simulators at their FHIR base, asked as before 0019 (one system search by the
  # chained CPR identifier), so runs stay comparable; the service's default is IHE PDQm per type.
  fhir_base=("" "" /fhir /fhir "")
  departments=(job_centre social_services municipal_health region family)
  for i in "${!systems[@]}"; do
    opts=()
    [[ "${kinds[$i]}" != fhir-r4 ]] || opts=(--option search=system --option patient=identifier)
    "$glasplade" source set "${systems[$i]}" --kind "${kinds[$i]}" --department "${departments[$i]}" \
      --url "http://127.0.0.1:$((sim_port + i))${fhir_base[$i]}" "${opts[@]}" --timeout-ms 60000 \
      >>"$raw/migrate-$size.log" 2>&1 ||
      die "source set ${systems[$i]} failed"
  done
  token=$("$glasplade" token create --role analyst --name "bench-tg" 2>>"$raw/migrate-$size.log")
  [[ "$token" =~ ^gpt_[A-Za-z0-9_-]+$ ]] || die "token create printed '$token'"

  t0=$(date +%s.%N)
  if [ "$populate" = generate ]; then
    note "populating $size citizens (generate)"
    populate_sql | psql_su -d "$db" -v size="$size" >"$raw/populate-$size.log" 2>&1 ||
      { cat "$raw/populate-$size.log" >&2; die "populating failed"; }
  else
    note "populating $size citizens (deptsim --size $size, glasplade sync)"
    "$deptsim" --listen 127.0.0.1 --base-port "$sim_port" --size "$size" --seed "$seed" --quiet \
      2>"$raw/deptsim-$size.log" &
    sim_pid=$!
    for ((p = sim_port; p <= sim_port + 5; p++)); do
      wait_http "http://127.0.0.1:$p/healthz" "$sim_pid" || die "deptsim did not start"
    done
    "$glasplade" sync --no-progress >"$raw/sync-$size.log" 2>&1 || { tail "$raw/sync-$size.log" >&2; die "sync failed"; }
    stop_pid "$sim_pid" 50
    sim_pid=
  fi
  psql_su -d "$db" -c "VACUUM (ANALYZE) record" -c "VACUUM (ANALYZE) citizen_summary" -c "ANALYZE" >/dev/null
  info[load-$size]=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.0f", b - a}')
  info[stats-$size]=$(psql_su -d "$db" -A -t -F'|' -c "
    SELECT (SELECT count(*) FROM record), (SELECT count(DISTINCT cpr) FROM record),
           (SELECT count(*) FROM record WHERE kind <> 'document'),
           (SELECT count(*) FROM record WHERE kind <> 'document' AND status = 'open'),
           pg_size_pretty(pg_relation_size('record')),
           pg_size_pretty(pg_relation_size('record_target_group_open_idx')),
           pg_size_pretty(pg_relation_size('record_target_group_idx'))")
  note "loaded in ${info[load-$size]} s: records|citizens|services|open services|sizes: ${info[stats-$size]}"

  # ---- the server ----
  env GLASPLADE_DATABASE_URL="$db_url" GLASPLADE_LISTEN=127.0.0.1 GLASPLADE_PORT="$port" \
    GLASPLADE_THREADS="$threads" GLASPLADE_LOG_LEVEL="$log_level" GLASPLADE_MIGRATE_ON_START=0 \
    "$glasplade" serve 2>"$raw/server-$size.log" &
  server_pid=$!
  wait_http "http://127.0.0.1:$port/healthz" "$server_pid" || { cat "$raw/server-$size.log" >&2; die "the server did not start"; }
  url="http://127.0.0.1:$port/v1/target-group/searches"
  cmp_url="http://127.0.0.1:$compare_port/v1/target-group/searches"
  search() { # body [url] -> "status seconds candidates" on stdout, the answer in $raw/last.json
    local out
    out=$(curl -s -o "$raw/last.json" -w '%{http_code} %{time_total}' -X POST \
      -H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data "$1" "${2:-$url}")
    echo "$out $(jq '.candidates | length' "$raw/last.json" 2>/dev/null || echo -)"
  }
  read -r code _ _ <<<"$(search '{}')"
  [ "$code" = 200 ] || die "POST /v1/target-group/searches answered $code: $(head -c 300 "$raw/last.json") (is the route in api/routes.c?)"
  if [ -n "$compare" ]; then
    env GLASPLADE_DATABASE_URL="$db_url" GLASPLADE_LISTEN=127.0.0.1 GLASPLADE_PORT="$compare_port" \
      GLASPLADE_THREADS="$threads" GLASPLADE_LOG_LEVEL="$log_level" GLASPLADE_MIGRATE_ON_START=0 \
      "$glasplade_cmp" serve 2>"$raw/server-compare-$size.log" &
    cmp_pid=$!
    wait_http "http://127.0.0.1:$compare_port/healthz" "$cmp_pid" ||
      { cat "$raw/server-compare-$size.log" >&2; die "the server of $compare did not start"; }
  fi

  # ---- timed runs: warm-up, then round robin over the criteria ----
  for ((k = 0; k < ncrit; k++)); do
    : >"$raw/times-$size-$k.txt"
    for ((w = 0; w < warmup; w++)); do search "${crit_bodies[$k]}" >/dev/null; done
    if [ -n "$compare" ]; then
      : >"$raw/times-$size-$k-compare.txt"
      # The same first page from both (the search's number aside), or the comparison is void.
      jq -S 'del(.search_id)' "$raw/last.json" >"$raw/answer-$size-$k.json"
      for ((w = 0; w < warmup; w++)); do search "${crit_bodies[$k]}" "$cmp_url" >/dev/null; done
      jq -S 'del(.search_id)' "$raw/last.json" >"$raw/answer-$size-$k-compare.json"
      cmp -s "$raw/answer-$size-$k.json" "$raw/answer-$size-$k-compare.json" ||
        die "criteria $k: the first page differs from $compare's (${raw#"$root"/}/answer-$size-$k*.json)"
    fi
  done
  for ((r = 0; r < runs; r++)); do
    for ((k = 0; k < ncrit; k++)); do
      # With a comparison, the two servers take turns going first.
      order=(this)
      if [ -n "$compare" ]; then
        if ((r % 2)); then order=(compare this); else order=(this compare); fi
      fi
      for which in "${order[@]}"; do
        if [ "$which" = compare ]; then
          read -r code secs _ <<<"$(search "${crit_bodies[$k]}" "$cmp_url")"
          [ "$code" = 200 ] || die "criteria $k answered $code from $compare: $(head -c 300 "$raw/last.json")"
          awk -v s="$secs" 'BEGIN {printf "%.3f\n", s * 1000}' >>"$raw/times-$size-$k-compare.txt"
          continue
        fi
        read -r code secs n <<<"$(search "${crit_bodies[$k]}")"
        [ "$code" = 200 ] || die "criteria $k answered $code: $(head -c 300 "$raw/last.json")"
        awk -v s="$secs" 'BEGIN {printf "%.3f\n", s * 1000}' >>"$raw/times-$size-$k.txt"
        res[n-$size-$k]=$n
        res[more-$size-$k]=$(jq -r 'if .next_cursor then "yes" else "no" end' "$raw/last.json")
      done
    done
  done
  if [ -n "$compare" ]; then
    stop_pid "$cmp_pid" 100
    cmp_pid=
    cat "$raw"/times-"$size"-[0-9]-compare.txt >"$raw/times-$size-all-compare.txt"
    for ((k = 0; k < ncrit; k++)); do
      res[c50-$size-$k]=$(pct "$raw/times-$size-$k-compare.txt" 50)
      res[c99-$size-$k]=$(pct "$raw/times-$size-$k-compare.txt" 99)
    done
    res[c50-$size-all]=$(pct "$raw/times-$size-all-compare.txt" 50)
    res[c99-$size-all]=$(pct "$raw/times-$size-all-compare.txt" 99)
  fi
  cat "$raw"/times-"$size"-[0-9].txt >"$raw/times-$size-all.txt"
  for ((k = 0; k < ncrit; k++)); do
    f="$raw/times-$size-$k.txt"
    res[p50-$size-$k]=$(pct "$f" 50)
    res[p90-$size-$k]=$(pct "$f" 90)
    res[p99-$size-$k]=$(pct "$f" 99)
    res[max-$size-$k]=$(pct "$f" 100)
    note "$size: ${crit_names[$k]}: p50 ${res[p50-$size-$k]} ms, p99 ${res[p99-$size-$k]} ms (${res[n-$size-$k]} on the page)"
  done
  res[p50-$size-all]=$(pct "$raw/times-$size-all.txt" 50)
  res[p99-$size-all]=$(pct "$raw/times-$size-all.txt" 99)
  audit_rows=$(psql_su -d "$db" -A -t -c "SELECT count(*) FROM audit_log WHERE action = 'search'")
  info[audit-$size]=$audit_rows

  # ---- the plans, as the server runs them: auto_explain in the server's own sessions ----
  stop_pid "$server_pid" 100
  psql_su -d postgres -c "ALTER DATABASE $db SET session_preload_libraries = 'auto_explain'" \
    -c "ALTER DATABASE $db SET auto_explain.log_min_duration = 0" \
    -c "ALTER DATABASE $db SET auto_explain.log_analyze = on" \
    -c "ALTER DATABASE $db SET auto_explain.log_buffers = on" \
    -c "ALTER DATABASE $db SET auto_explain.log_format = text" >/dev/null
  env GLASPLADE_DATABASE_URL="$db_url" GLASPLADE_LISTEN=127.0.0.1 GLASPLADE_PORT="$port" \
    GLASPLADE_THREADS="$threads" GLASPLADE_LOG_LEVEL="$log_level" GLASPLADE_MIGRATE_ON_START=0 \
    "$glasplade" serve 2>>"$raw/server-$size.log" &
  server_pid=$!
  wait_http "http://127.0.0.1:$port/healthz" "$server_pid" || die "the server did not restart"
  for ((k = 0; k < ncrit; k++)); do
    search "${crit_bodies[$k]}" >/dev/null # warm the connection
    off=$(stat -c %s "$pg_log")
    search "${crit_bodies[$k]}" >/dev/null
    sleep 0.3
    # The log entry of the search statement: from its "duration: ... plan:" line (whose Query
    # Text is the search) to the next log line.
    tail -c +$((off + 1)) "$pg_log" | awk '
      /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] / { keep = 0 }
      /LOG:  duration: .* plan:/ { buf = $0; pending = 1; next }
      pending { pending = 0; if ($0 ~ /Query Text: WITH counted AS NOT MATERIALIZED/) { keep = 1; print buf } }
      keep { print }' | sed -e 's/^\t//' >"$raw/plan-$size-$k.txt"
    [ -s "$raw/plan-$size-$k.txt" ] || note "warning: no plan captured for criteria $k (see $pg_log)"
  done
  stop_pid "$server_pid" 100
  server_pid=
  psql_su -d postgres -c "ALTER DATABASE $db RESET ALL" >/dev/null
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the report ----
cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
biggest=${sizes[-1]}
verdict() { awk -v v="$1" -v g="$2" 'BEGIN {if (v == "n/a") print "n/a"; else if (v < g) print "**pass**"; else print "**miss**"}'; }
{
  echo "# CPR-list search benchmark ${label:+— $label }($stamp)"
  echo
  echo "Machine: $(nproc) CPUs, ${cpu_model:-unknown CPU} ($(uname -m), Linux $(uname -r)), shared by"
  echo "curl, the server and PostgreSQL. Load average (1, 5, 15 min) at start: $load_start; at the end: $load_end."
  echo
  echo "Tree: commit $git_head${git_dirty:+ with $git_dirty uncommitted changed files (tracked)}; built into ${build_dir#"$root"/}."
  echo "Population: BENCH_POPULATE=$populate. Server: GLASPLADE_THREADS=$threads, log level $log_level; an"
  echo "analyst token; every search is \`POST /v1/target-group/searches\` with the default page size (25),"
  echo "timed by curl (time_total: connect, request, search, audit row, answer), sequential, $warmup warm-up"
  echo "runs per criteria set, then $runs rounds over all sets."
  echo
  echo "## Populations"
  echo
  echo "| citizens | load s | records | citizens with records | services (no documents) | open services | table | open-services index | services index | audit rows written |"
  echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for size in "${sizes[@]}"; do
    IFS='|' read -r a b c d e f g <<<"${info[stats-$size]}"
    echo "| $size | ${info[load-$size]} | $a | $b | $c | $d | $e | $f | $g | ${info[audit-$size]} |"
  done
  echo
  echo "## Latency (ms)"
  echo
  echo "| citizens | criteria | body | p50 | p90 | p99 | max | on the page | more pages |"
  echo "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"
  for size in "${sizes[@]}"; do
    for ((k = 0; k < ncrit; k++)); do
      echo "| $size | ${crit_names[$k]} | \`${crit_bodies[$k]}\` | ${res[p50-$size-$k]} | ${res[p90-$size-$k]} | ${res[p99-$size-$k]} | ${res[max-$size-$k]} | ${res[n-$size-$k]} | ${res[more-$size-$k]} |"
    done
    echo "| $size | **all sets** | | **${res[p50-$size-all]}** | | **${res[p99-$size-all]}** | | | |"
  done
  echo
  if [ -n "$compare" ]; then
    echo "## This tree against $compare ($compare_rev), in the same run (ms)"
    echo
    echo "Both servers on the same database, one request each in turn (who goes first alternating),"
    echo "$runs runs per set each; their first pages were equal for every set. Ratio: $compare / this tree."
    echo
    echo "| citizens | criteria | $compare p50 | this p50 | $compare p99 | this p99 | p50 ratio | p99 ratio |"
    echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b + 0 == 0) print "n/a"; else printf "%.1f", a / b}'; }
    for size in "${sizes[@]}"; do
      for k in $(seq 0 $((ncrit - 1))) all; do
        name=$([ "$k" = all ] && echo "**all sets**" || echo "${crit_names[$k]}")
        echo "| $size | $name | ${res[c50-$size-$k]} | ${res[p50-$size-$k]} | ${res[c99-$size-$k]} | ${res[p99-$size-$k]} | $(ratio "${res[c50-$size-$k]}" "${res[p50-$size-$k]}") | $(ratio "${res[c99-$size-$k]}" "${res[p99-$size-$k]}") |"
      done
    done
    echo
  fi
  echo "## Goal"
  echo
  echo "| goal | measured | verdict |"
  echo "| --- | ---: | --- |"
  if [ "$biggest" = 1000000 ]; then
    echo "| p50 < 250 ms at 1,000,000 citizens (all sets) | ${res[p50-$biggest-all]} | $(verdict "${res[p50-$biggest-all]}" 250) |"
  else
    echo "| p50 < 250 ms at 1,000,000 citizens | not run (largest size here: $biggest; all sets p50 ${res[p50-$biggest-all]} ms) | n/a |"
  fi
  echo
  echo "## Plans: EXPLAIN (ANALYZE, BUFFERS) of the search as the server ran it"
  echo
  echo "Captured with auto_explain (log_analyze, log_buffers) in the server's own sessions, one search per"
  echo "set after the timed runs; the query text is left out (it is \`TG_SEARCH_SQL\` in lib/target_group.c)."
  echo "auto_explain's per-node timing makes these slower than the timed runs."
  for size in "${sizes[@]}"; do
    for ((k = 0; k < ncrit; k++)); do
      echo
      echo "### $size citizens — ${crit_names[$k]}: \`${crit_bodies[$k]}\`"
      echo
      echo '```'
      grep -v -e '^Query Text:' -e 'LOG:  duration' "$raw/plan-$size-$k.txt" | sed -e 's/^  *Query Text:.*//' || true
      grep -m1 -o 'duration: [0-9.]* ms' "$raw/plan-$size-$k.txt" || true
      echo '```'
    done
  done
  echo
  echo "## Commands"
  echo
  echo '```sh'
  echo "BENCH_SIZES=\"${sizes[*]}\" BENCH_RUNS=$runs BENCH_POPULATE=$populate${compare:+ BENCH_COMPARE=$compare} bench/target_group.sh"
  echo "curl -s -X POST -H \"Authorization: Bearer \$TOKEN\" -H 'Content-Type: application/json' \\"
  echo "     --data '<body>' -w '%{time_total}' http://127.0.0.1:$port/v1/target-group/searches"
  echo '```'
  echo
  echo "Raw outputs (timings per set, plans, logs): ${raw#"$root"/}/"
} >"$report"
cat "$report"
note "written to ${report#"$root"/}"
