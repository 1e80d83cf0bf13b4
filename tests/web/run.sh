#!/usr/bin/env bash
# tests/web/run.sh: the page in a real browser. Starts a stack of its own (as scripts/run does:
# a fresh database of the test cluster, migrations, deptsim registered as the five sources,
# the server serving web/) on free loopback ports, makes a token for each role the tests sign
# in as, and runs tests/web/browser.test.mjs: playwright-core driving Debian's chromium
# (/usr/bin/chromium; never a downloaded browser) with axe-core on every page.
#
# Usage: tests/web/run.sh [--build DIR] [--serve]
#
#   --build DIR   where glasplade and cmd/deptsim/deptsim were built (default build-release,
#                 else build-asan, else build)
#   --serve       start the stack, print its settings, and wait (Ctrl-C stops it): for
#                 looking at the page by hand
#
# Needs the test cluster (GLASPLADE_TEST_PG_CTL with GLASPLADE_PG_DIR and GLASPLADE_PG_PORT, as
# scripts/test sets them), node_modules (npm ci) and chromium (scripts/install-deps --browser).
# Screenshots go to var/web/ (GLASPLADE_WEB_SHOTS overrides); the measurements to
# var/web/measurements.json.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../../scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"
GP_PROG=web-browser

build=""
serve=0
while (($# > 0)); do
    case "$1" in
    --build)
        build="${2:?--build needs a folder}"
        shift 2
        ;;
    --serve)
        serve=1
        shift
        ;;
    -h | --help)
        sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"
        exit 0
        ;;
    *) gp_die "unknown argument '$1' (try --help)" ;;
    esac
done

if [[ -z "$build" ]]; then
    for d in build-release build-asan build; do
        if [[ -x "$GP_ROOT/$d/glasplade" ]]; then
            build="$GP_ROOT/$d"
            break
        fi
    done
    [[ -n "$build" ]] || gp_die "no glasplade built in build-release/, build-asan/ or build/"
fi
[[ "$build" == /* ]] || build="$GP_ROOT/$build"
GLASPLADE_BIN="$build/glasplade"
DEPTSIM_BIN="$build/cmd/deptsim/deptsim"
[[ -x "$GLASPLADE_BIN" && -x "$DEPTSIM_BIN" ]] || gp_die "no glasplade or deptsim in $build"
CHROMIUM="${GLASPLADE_CHROMIUM:-/usr/bin/chromium}"
[[ -x "$CHROMIUM" ]] || gp_die "no $CHROMIUM (scripts/install-deps --browser installs Debian's)"
[[ -d "$GP_ROOT/node_modules/playwright-core" ]] || gp_die "no node_modules/playwright-core (npm ci)"
PG="${GLASPLADE_TEST_PG_CTL:-}"
[[ -n "$PG" && -n "${GLASPLADE_PG_PORT:-}" && -n "${GLASPLADE_PG_DIR:-}" ]] ||
    gp_die "no test cluster: set GLASPLADE_TEST_PG_CTL, GLASPLADE_PG_DIR and GLASPLADE_PG_PORT"
"$PG" status >/dev/null || gp_die "the test cluster in $GLASPLADE_PG_DIR is not running"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/gp-web.XXXXXX")"
DB="gp_web_$$"
server_pid=""
sim_pid=""

# shellcheck disable=SC2317 # reached from the trap
cleanup() {
    local pid
    for pid in "$server_pid" "$sim_pid"; do
        [[ -n "$pid" ]] || continue
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    "$PG" psql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
    [[ -n "${GP_WEB_KEEP:-}" ]] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_base_port() {
    local try base p low
    read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || low=32768
    for ((try = 0; try < 50; try++)); do
        base=$((10000 + RANDOM % (low - 10000 - 6)))
        for ((p = base; p <= base + 5; p++)); do
            gp_port_in_use "$p" && continue 2
        done
        echo "$base"
        return 0
    done
    return 1
}

"$PG" createdb "$DB"
DB_URL="$("$PG" url "$DB")"
GLASPLADE_DATABASE_URL="$DB_URL" "$GLASPLADE_BIN" migrate >"$WORK/migrate.log" 2>&1 ||
    {
        gp_log_tail "$WORK/migrate.log"
        gp_die "migrate failed"
    }

# token ROLE DEPARTMENT PURPOSE NAME: a new client's token on stdout.
token() {
    local -a args=(token create --role "$1" --name "$4")
    [[ "$2" == - ]] || args+=(--department "$2")
    [[ "$3" == - ]] || args+=(--default-purpose "$3")
    GLASPLADE_DATABASE_URL="$DB_URL" "$GLASPLADE_BIN" "${args[@]}" 2>/dev/null
}
TOKEN_CASEWORKER="$(token caseworker job_centre rehabilitation "Jobcenter, demo sagsbehandler")"
TOKEN_COORDINATOR="$(token coordinator social_services coordinated_effort "Koordinator, socialforvaltningen")"
TOKEN_ANALYST="$(token analyst - target_group_identification "Analytiker")"

start_deptsim() {
    local p
    SIM_BASE="$(free_base_port)" || return 1
    setsid "$DEPTSIM_BIN" --listen 127.0.0.1 --base-port "$SIM_BASE" --size 1000 --seed 42 \
        --quiet >"$WORK/deptsim.log" 2>&1 </dev/null &
    sim_pid=$!
    for ((p = SIM_BASE; p <= SIM_BASE + 5; p++)); do
        if ! gp_wait_http "http://127.0.0.1:$p/healthz" 30 "$sim_pid"; then
            kill -TERM "$sim_pid" 2>/dev/null || true
            wait "$sim_pid" 2>/dev/null || true
            sim_pid=""
            return 1
        fi
    done
}
for ((try = 1; ; try++)); do
    start_deptsim && break
    ((try < 5)) || gp_die "deptsim did not start (5 tries)"
done
# As scripts/run registers them: the FHIR systems at [host]/fhir, with the types each holds.
while read -r id kind dept offset types; do
    url="http://127.0.0.1:$((SIM_BASE + offset))"
    extra=()
    if [[ "$types" != - ]]; then
        url+=/fhir
        extra=(--option "types=$types")
    fi
    GLASPLADE_DATABASE_URL="$DB_URL" "$GLASPLADE_BIN" source set "$id" --kind "$kind" \
        --department "$dept" --url "$url" "${extra[@]}" >/dev/null 2>&1 ||
        gp_die "could not register source $id"
done <<'EOF'
jobcentre momentum job_centre 0 -
social sensum social_services 1 -
health fhir-r4 municipal_health 2 EpisodeOfCare,CarePlan,DocumentReference
region fhir-r4 region 3 EpisodeOfCare,DocumentReference,Encounter
family dubu family 4 -
EOF

setsid env GLASPLADE_DATABASE_URL="$DB_URL" GLASPLADE_PORT=0 GLASPLADE_LISTEN=127.0.0.1 \
    GLASPLADE_MIGRATE_ON_START=0 GLASPLADE_THREADS=4 GLASPLADE_REQUEST_DEADLINE_MS=2500 \
    "$GLASPLADE_BIN" serve >"$WORK/server.log" 2>&1 </dev/null &
server_pid=$!
PORT=""
for ((i = 0; i < 150; i++)); do
    PORT="$(jq -r 'select(.msg == "listening") | .port' "$WORK/server.log" 2>/dev/null | head -n 1)"
    [[ -n "$PORT" ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.2
done
[[ -n "$PORT" ]] || {
    gp_log_tail "$WORK/server.log"
    gp_die "the server did not say which port it listens on"
}
URL="http://127.0.0.1:$PORT"
gp_wait_http "$URL/healthz" 30 "$server_pid" || gp_die "the server did not answer on $URL"

export GP_WEB_URL="$URL" GP_WEB_SIM_CONTROL="http://127.0.0.1:$((SIM_BASE + 5))"
export GP_WEB_TOKEN_CASEWORKER="$TOKEN_CASEWORKER" GP_WEB_TOKEN_COORDINATOR="$TOKEN_COORDINATOR"
export GP_WEB_TOKEN_ANALYST="$TOKEN_ANALYST" GP_WEB_CHROMIUM="$CHROMIUM"
export GP_WEB_SHOTS="${GLASPLADE_WEB_SHOTS:-$GP_ROOT/var/web}"

if ((serve)); then
    printf 'GP_WEB_URL=%s\nGP_WEB_SIM_CONTROL=%s\nGP_WEB_TOKEN_CASEWORKER=%s\n' \
        "$URL" "$GP_WEB_SIM_CONTROL" "$TOKEN_CASEWORKER"
    printf 'GP_WEB_TOKEN_COORDINATOR=%s\nGP_WEB_TOKEN_ANALYST=%s\n' \
        "$TOKEN_COORDINATOR" "$TOKEN_ANALYST"
    gp_info "serving on $URL (log: $WORK/server.log); Ctrl-C stops"
    wait "$server_pid"
    exit 0
fi

mkdir -p "$GP_WEB_SHOTS"
rc=0
node "$GP_ROOT/tests/web/browser.test.mjs" || rc=$?
if ((rc != 0)); then
    gp_log_tail "$WORK/server.log" 30
fi
exit "$rc"
