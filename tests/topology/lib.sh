# shellcheck shell=bash
# tests/topology/lib.sh: what the topology tests share (sourced, never run). Each test starts
# its own topology with scripts/cluster (edge, two instances, primary, standby, simulators) on
# free loopback ports, and stops it on exit.
#
# The test reads: GLASPLADE_TOPO_PG_PORT and GLASPLADE_TOPO_STANDBY_PORT (the primary's and
# the standby's ports; default GLASPLADE_TEST_PG_PORT + 1 and + 2, next to the test cluster
# scripts/test runs, 55432 unless set), GLASPLADE_TOPO_BASE_PORT (the first of ten ports in a
# row for the edge, the two instances, the simulators and the identity provider; default: ten
# free ones picked at random between 10000 and the ephemeral range), GP_TOPO_BUILD (where
# glasplade and deptsim are; default build-release), GP_TOPO_KEEP (1 keeps the folder, for a post-mortem).

# shellcheck source-path=SCRIPTDIR source=../../scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"

TOPO_NAME="${TOPO_NAME:-topology}"
TOPO_DIR="$GP_ROOT/var/test-$TOPO_NAME"
TOPO_BUILD="${GP_TOPO_BUILD:-$GP_ROOT/build-release}"
[[ "$TOPO_BUILD" == /* ]] || TOPO_BUILD="$GP_ROOT/$TOPO_BUILD"
GLASPLADE_BIN="$TOPO_BUILD/glasplade"
pg_base="${GLASPLADE_TEST_PG_PORT:-55432}"
TOPO_PRIMARY_PORT="${GLASPLADE_TOPO_PG_PORT:-$((pg_base + 1))}"
TOPO_STANDBY_PORT="${GLASPLADE_TOPO_STANDBY_PORT:-$((pg_base + 2))}"
gp_check_port GLASPLADE_TOPO_PG_PORT "$TOPO_PRIMARY_PORT"
gp_check_port GLASPLADE_TOPO_STANDBY_PORT "$TOPO_STANDBY_PORT"
passed=0
failed=0
failures=()

# Nine consecutive free ports (edge, two instances, six simulator ports): from
# GLASPLADE_TOPO_BASE_PORT when set (all ten must be free), else at random below the kernel's
# range of ephemeral ports.
free_ports() {
    local try base p low
    if [[ -n "${GLASPLADE_TOPO_BASE_PORT:-}" ]]; then
        base="$GLASPLADE_TOPO_BASE_PORT"
        gp_check_port GLASPLADE_TOPO_BASE_PORT "$base"
        gp_check_port "GLASPLADE_TOPO_BASE_PORT+9" "$((base + 9))"
        for ((p = base; p < base + 10; p++)); do
            gp_port_in_use "$p" && return 1
        done
        echo "$base"
        return 0
    fi
    read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || low=32768
    for ((try = 0; try < 50; try++)); do
        base=$((10000 + RANDOM % (low - 10000 - 10)))
        for ((p = base; p < base + 10; p++)); do
            gp_port_in_use "$p" && continue 2
        done
        echo "$base"
        return 0
    done
    return 1
}

# shellcheck disable=SC2317 # reached from the EXIT trap
topo_stop() {
    [[ -d "$TOPO_DIR" ]] || return 0
    GLASPLADE_CLUSTER_DIR="$TOPO_DIR" "$GP_ROOT/scripts/cluster" stop 2>/dev/null || true
    if [[ "${GP_TOPO_KEEP:-0}" != 1 ]]; then
        rm -rf "$TOPO_DIR"
    fi
}

# Starts the topology; extra settings come as NAME=value arguments. Sets GLASPLADE_URL and the
# other lines of cluster.env, INSTANCE_A, INSTANCE_B, TOPO_ENV (the settings, for a restart).
topo_start() {
    [[ -x "$GLASPLADE_BIN" && -x "$TOPO_BUILD/cmd/deptsim/deptsim" ]] ||
        gp_die "no glasplade and deptsim in $TOPO_BUILD (set GP_TOPO_BUILD)"
    command -v haproxy >/dev/null || gp_die "haproxy is not installed (scripts/install-deps)"
    rm -rf "$TOPO_DIR"
    local port
    for port in "$TOPO_PRIMARY_PORT" "$TOPO_STANDBY_PORT"; do
        ! gp_port_in_use "$port" ||
            gp_die "port $port is in use (GLASPLADE_TOPO_PG_PORT, GLASPLADE_TOPO_STANDBY_PORT)"
    done
    local base
    base="$(free_ports)" || gp_die "no ten free ports in a row (GLASPLADE_TOPO_BASE_PORT)"
    TOPO_ENV=(GLASPLADE_CLUSTER_DIR="$TOPO_DIR" GLASPLADE_EDGE_PORT="$base"
        GLASPLADE_INSTANCE_PORTS="$((base + 1)) $((base + 2))" GLASPLADE_SIM_BASE_PORT="$((base + 3))"
        GLASPLADE_IDP_PORT="$((base + 9))"
        GLASPLADE_PG_PORT="$TOPO_PRIMARY_PORT" GLASPLADE_STANDBY_PORT="$TOPO_STANDBY_PORT"
        GLASPLADE_BUILD_DIR="$TOPO_BUILD" GLASPLADE_SKIP_BUILD=1 GLASPLADE_SKIP_INSTALL=1
        GLASPLADE_LOG_LEVEL=info "$@")
    trap topo_stop EXIT
    mkdir -p "$GP_ROOT/var"
    env "${TOPO_ENV[@]}" "$GP_ROOT/scripts/cluster" start >"$GP_ROOT/var/test-$TOPO_NAME.env" ||
        gp_die "scripts/cluster start failed"
    set -a
    # shellcheck disable=SC1090
    source "$GP_ROOT/var/test-$TOPO_NAME.env"
    set +a
    # shellcheck disable=SC2034 # for the tests that source this file
    read -r INSTANCE_A INSTANCE_B <<<"$GLASPLADE_INSTANCE_URLS"
    export GLASPLADE_DATABASE_URL
}

# psql as the superuser on whichever database is the primary now.
topo_psql() {
    local port
    for port in "$TOPO_PRIMARY_PORT" "$TOPO_STANDBY_PORT"; do
        if [[ "$(/usr/lib/postgresql/15/bin/psql -X -A -t -h 127.0.0.1 -p "$port" -U postgres -d postgres -c 'SELECT NOT pg_is_in_recovery()' 2>/dev/null)" == t ]]; then
            /usr/lib/postgresql/15/bin/psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" \
                -U postgres -d glasplade "$@"
            return
        fi
    done
    gp_die "no primary on port $TOPO_PRIMARY_PORT or $TOPO_STANDBY_PORT"
}

# A new token of ROLE [DEPARTMENT [DEFAULT_PURPOSE]]; the token alone on stdout.
new_token() {
    local -a args=(--role "$1" --name "topology test $1${2:+ $2}")
    [[ -z "${2:-}" ]] || args+=(--department "$2")
    [[ -z "${3:-}" ]] || args+=(--default-purpose "$3")
    "$GLASPLADE_BIN" token create "${args[@]}" 2>/dev/null
}

# curl through the edge (TLS, its own CA).
edge_curl() {
    curl -sS --cacert "$GLASPLADE_CACERT" --max-time 20 "$@"
}

# ok NAME CONDITION...: runs the condition, counts it.
ok() {
    local name="$1"
    shift
    if "$@"; then
        passed=$((passed + 1))
        printf 'ok - %s\n' "$name"
    else
        failed=$((failed + 1))
        failures+=("$name")
        printf 'not ok - %s\n' "$name"
    fi
}

# The plain closing line; exit status 1 when anything failed.
finish() {
    if ((failed > 0)); then
        printf 'failed: %s\n' "${failures[@]}"
        gp_info "logs: $TOPO_DIR/log (GP_TOPO_KEEP=1 keeps them)"
    fi
    printf '%d passed, %d failed\n' "$passed" "$failed"
    ((failed == 0))
}
