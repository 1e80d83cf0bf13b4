# shellcheck shell=bash
# scripts/lib/common.sh: helpers shared by the scripts in scripts/ and .ci/run.
#
# Source it, do not run it. It sets GP_ROOT (the repository root) and defines small helpers for
# messages, privileged commands, ports and HTTP readiness. Messages go to stderr so that stdout
# stays free for what a script is asked to print (scripts/run's URL and token lines, scripts/pg
# url).

# shellcheck disable=SC2034 # used by the scripts that source this file
GP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
GP_PROG="${GP_PROG:-$(basename "$0")}"

gp_info() {
    printf '%s: %s\n' "$GP_PROG" "$*" >&2
}

gp_warn() {
    printf '%s: warning: %s\n' "$GP_PROG" "$*" >&2
}

gp_die() {
    printf '%s: error: %s\n' "$GP_PROG" "$*" >&2
    exit 1
}

gp_is_root() {
    [[ "$(id -u)" -eq 0 ]]
}

# Runs a command as root: directly when we are root, through sudo otherwise.
gp_as_root() {
    if gp_is_root; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        gp_die "need root for: $* (and sudo is not installed)"
    fi
}

# True when something accepts TCP connections on 127.0.0.1:PORT.
gp_port_in_use() {
    local port="$1"
    (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null
}

# Fails unless PORT is a number between 1 and 65535; NAME says which setting it came from.
gp_check_port() {
    local name="$1" port="$2"
    if ! [[ "$port" =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
        gp_die "$name must be a TCP port number, got '$port'"
    fi
}

# Waits until URL answers 200. Gives up after TIMEOUT seconds, or as soon as process PID (when
# given and not empty) has exited, so that a child that failed to start is reported at once.
gp_wait_http() {
    local url="$1" timeout="$2" pid="${3:-}"
    local deadline=$((SECONDS + timeout))
    while ((SECONDS < deadline)); do
        if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
            return 1
        fi
        if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then
            return 0
        fi
        sleep 0.2
    done
    return 1
}

# Prints the last lines of a log file to stderr, framed so it stands out.
gp_log_tail() {
    local file="$1" lines="${2:-40}"
    if [[ -f "$file" ]]; then
        printf -- '----- last %s lines of %s -----\n' "$lines" "$file" >&2
        tail -n "$lines" "$file" >&2
        printf -- '----- end of %s -----\n' "$file" >&2
    else
        printf '(no log file at %s)\n' "$file" >&2
    fi
}
