# shellcheck shell=bash
# tests/support/stack.sh: the demo stack scripts/run builds, started by a test script of its own
# on free loopback ports and in a fresh database of the test cluster: migrations, deptsim (size
# 1000, seed 42) registered as the five sources as scripts/run registers them, the demo identity
# provider (scripts/idp/idp.mjs) whose tokens the server accepts and whose public client
# glasplade-web may come back to the server's page, and the server, pointed at the provider as
# scripts/run points it. Sourced, after scripts/lib/common.sh, by tests/web/run.sh and
# tests/docs/curl-examples.sh.
#
#   gp_stack_binaries [DIR]   GLASPLADE_BIN and DEPTSIM_BIN from DIR (default build-release,
#                             else build-asan, else build); dies when either is missing
#   gp_stack_require          dies unless the test cluster runs (GLASPLADE_TEST_PG_CTL with
#                             GLASPLADE_PG_DIR and GLASPLADE_PG_PORT, as scripts/test sets them)
#                             and jq, node and node_modules/oidc-provider are there; sets PG
#   gp_stack_start NAME [VAR=VALUE ...]
#                             starts it all (the VAR=VALUEs are added to the server's
#                             environment) and removes it all when the script exits; sets
#                             WORK (a scratch folder: the logs are there), DB, DB_URL, SIM_BASE
#                             (deptsim's six ports are SIM_BASE..SIM_BASE+5, the last its
#                             control port), IDP_URL and URL (the server's)
#   gp_stack_token ROLE DEPARTMENT PURPOSE NAME
#                             a new integration key on stdout (- for no department or purpose)
#
# GP_STACK_KEEP=1 keeps WORK after the script.

GP_STACK_TRIES=5
gp_stack_server_pid=""
gp_stack_sim_pid=""
gp_stack_idp_pid=""

gp_stack_binaries() {
    local build="${1:-}" d
    if [[ -z "$build" ]]; then
        for d in build-release build-asan build; do
            if [[ -x "$GP_ROOT/$d/glasplade" ]]; then
                build="$GP_ROOT/$d"
                break
            fi
        done
        [[ -n "$build" ]] ||
            gp_die "no glasplade built in build-release/, build-asan/ or build/ (use --build)"
    fi
    [[ "$build" == /* ]] || build="$GP_ROOT/$build"
    GLASPLADE_BIN="$build/glasplade"
    DEPTSIM_BIN="$build/cmd/deptsim/deptsim"
    [[ -x "$GLASPLADE_BIN" ]] || gp_die "no $GLASPLADE_BIN"
    [[ -x "$DEPTSIM_BIN" ]] || gp_die "no $DEPTSIM_BIN"
}

gp_stack_require() {
    PG="${GLASPLADE_TEST_PG_CTL:-}"
    [[ -n "$PG" && -n "${GLASPLADE_PG_PORT:-}" && -n "${GLASPLADE_PG_DIR:-}" ]] ||
        gp_die "no test cluster: set GLASPLADE_TEST_PG_CTL, GLASPLADE_PG_DIR and" \
            "GLASPLADE_PG_PORT (scripts/test does)"
    "$PG" status >/dev/null ||
        gp_die "the test cluster in $GLASPLADE_PG_DIR is not running ($PG start)"
    command -v jq >/dev/null || gp_die "jq is needed (scripts/install-deps installs it)"
    if ! command -v node >/dev/null || [[ ! -d "$GP_ROOT/node_modules/oidc-provider" ]]; then
        gp_die "node and node_modules/oidc-provider are needed (scripts/install-deps installs them)"
    fi
}

# shellcheck disable=SC2317 # reached from the trap
gp_stack_stop_pid() {
    [[ -n "$1" ]] || return 0
    kill -TERM "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# shellcheck disable=SC2317 # reached from the trap
gp_stack_cleanup() {
    gp_stack_stop_pid "$gp_stack_server_pid"
    gp_stack_stop_pid "$gp_stack_sim_pid"
    gp_stack_stop_pid "$gp_stack_idp_pid"
    if [[ -n "${DB:-}" ]]; then
        "$PG" psql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
    fi
    if [[ -n "${WORK:-}" && -z "${GP_STACK_KEEP:-}" ]]; then
        rm -rf "$WORK"
    fi
}

# N consecutive free ports (P..P+N-1) on stdout, from a random start below the kernel's range
# of ephemeral ports (where an outgoing connection may hold a port nobody listens on), none of
# them one of the ports after N.
gp_stack_free_ports() {
    local n="$1" try base p low x
    shift
    read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || low=32768
    for ((try = 0; try < 50; try++)); do
        base=$((10000 + RANDOM % (low - 10000 - n)))
        for ((p = base; p < base + n; p++)); do
            gp_port_in_use "$p" && continue 2
            for x in "$@"; do
                ((p == x)) && continue 3
            done
        done
        echo "$base"
        return 0
    done
    return 1
}

gp_stack_token() {
    local -a args=(token create --role "$1" --name "$4")
    [[ "$2" == - ]] || args+=(--department "$2")
    [[ "$3" == - ]] || args+=(--default-purpose "$3")
    GLASPLADE_DATABASE_URL="$DB_URL" "$GLASPLADE_BIN" "${args[@]}" 2>/dev/null
}

# deptsim on six free ports; another process may take one first, so the caller tries again.
gp_stack_deptsim() {
    local p
    SIM_BASE="$(gp_stack_free_ports 6)" || return 1
    setsid "$DEPTSIM_BIN" --listen 127.0.0.1 --base-port "$SIM_BASE" --size 1000 --seed 42 \
        --quiet >"$WORK/deptsim.log" 2>&1 </dev/null &
    gp_stack_sim_pid=$!
    for ((p = SIM_BASE; p <= SIM_BASE + 5; p++)); do
        if ! gp_wait_http "http://127.0.0.1:$p/healthz" 30 "$gp_stack_sim_pid"; then
            gp_stack_stop_pid "$gp_stack_sim_pid"
            gp_stack_sim_pid=""
            return 1
        fi
    done
}

# The identity provider on a free port (not SERVER_PORT), its page client allowed back to
# http://127.0.0.1:SERVER_PORT/.
gp_stack_idp() {
    local server_port="$1" port
    port="$(gp_stack_free_ports 1 "$server_port")" || return 1
    setsid node "$GP_ROOT/scripts/idp/idp.mjs" --port "$port" --state "$WORK/idp" \
        --redirect-uri "http://127.0.0.1:$server_port/" >"$WORK/idp.log" 2>&1 </dev/null &
    gp_stack_idp_pid=$!
    if ! gp_wait_http "http://127.0.0.1:$port/.well-known/openid-configuration" 30 \
        "$gp_stack_idp_pid"; then
        gp_stack_stop_pid "$gp_stack_idp_pid"
        gp_stack_idp_pid=""
        return 1
    fi
    IDP_URL="http://127.0.0.1:$port"
}

# The server on SERVER_PORT, pointed at the provider; true once it listens there and answers.
gp_stack_server() {
    local port="$1" i said=""
    shift
    setsid env GLASPLADE_DATABASE_URL="$DB_URL" GLASPLADE_PORT="$port" \
        GLASPLADE_LISTEN=127.0.0.1 GLASPLADE_MIGRATE_ON_START=0 GLASPLADE_THREADS=4 \
        GLASPLADE_OIDC_ISSUER="$IDP_URL" GLASPLADE_OIDC_AUDIENCE=urn:glasplade \
        GLASPLADE_OIDC_ROLE_MAP="$GP_ROOT/scripts/idp/role-map.json" \
        GLASPLADE_OIDC_CPR_CLAIM=cpr GLASPLADE_OIDC_WEB_CLIENT_ID=glasplade-web \
        "$@" "$GLASPLADE_BIN" serve >"$WORK/server.log" 2>&1 </dev/null &
    gp_stack_server_pid=$!
    # Its own word that it listens on this port (not some other process's answer there).
    for ((i = 0; i < 150; i++)); do
        said="$(jq -r 'select(.msg == "listening") | .port' "$WORK/server.log" 2>/dev/null |
            head -n 1)"
        [[ -n "$said" ]] && break
        kill -0 "$gp_stack_server_pid" 2>/dev/null || break
        sleep 0.2
    done
    if [[ "$said" == "$port" ]] &&
        gp_wait_http "http://127.0.0.1:$port/healthz" 30 "$gp_stack_server_pid"; then
        # shellcheck disable=SC2034 # the caller's
        URL="http://127.0.0.1:$port"
        return 0
    fi
    gp_stack_stop_pid "$gp_stack_server_pid"
    gp_stack_server_pid=""
    return 1
}

gp_stack_start() {
    local name="$1" try id kind dept offset types url port
    shift
    trap gp_stack_cleanup EXIT
    trap 'exit 130' INT TERM
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/gp-$name.XXXXXX")"
    DB="gp_${name//-/_}_$$"
    "$PG" createdb "$DB"
    DB_URL="$("$PG" url "$DB")"
    GLASPLADE_DATABASE_URL="$DB_URL" "$GLASPLADE_BIN" migrate >"$WORK/migrate.log" 2>&1 || {
        gp_log_tail "$WORK/migrate.log"
        gp_die "migrate failed"
    }

    for ((try = 1; ; try++)); do
        gp_stack_deptsim && break
        if ((try == GP_STACK_TRIES)); then
            gp_log_tail "$WORK/deptsim.log"
            gp_die "deptsim did not start ($GP_STACK_TRIES tries)"
        fi
    done
    # As scripts/run registers them: the FHIR systems at [host]/fhir, with the types each holds.
    while read -r id kind dept offset types; do
        url="http://127.0.0.1:$((SIM_BASE + offset))"
        local -a extra=()
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

    # The provider must know the server's address (its page comes back there) and the server
    # the provider's (it checks tokens with its keys): the server's port is chosen first, the
    # provider started, then the server. Should another process take the port in between, both
    # start again on new ports.
    for ((try = 1; ; try++)); do
        port="$(gp_stack_free_ports 1)" || gp_die "no free port for the server"
        if gp_stack_idp "$port"; then
            gp_stack_server "$port" "$@" && break
            gp_stack_stop_pid "$gp_stack_idp_pid"
            gp_stack_idp_pid=""
        fi
        if ((try == GP_STACK_TRIES)); then
            gp_log_tail "$WORK/idp.log"
            gp_log_tail "$WORK/server.log"
            gp_die "the identity provider and the server did not start ($GP_STACK_TRIES tries)"
        fi
    done
}
