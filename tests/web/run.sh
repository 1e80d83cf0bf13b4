#!/usr/bin/env bash
# tests/web/run.sh: the page in a real browser. Starts a stack of its own on free loopback ports
# (tests/support/stack.sh, as scripts/run does: a fresh database of the test cluster, migrations,
# deptsim registered as the five sources, the demo identity provider, the server serving web/
# and accepting the provider's tokens), makes one integration key (the one test that signs in
# with a key), and runs tests/web/browser.test.mjs: playwright-core driving Debian's chromium
# (/usr/bin/chromium; never a downloaded browser) with axe-core on every page. Every other test
# signs in at the provider as one of its demo users, as a person does.
#
# Usage: tests/web/run.sh [--build DIR] [--serve]
#
#   --build DIR   where glasplade and cmd/deptsim/deptsim were built (default build-release,
#                 else build-asan, else build)
#   --serve       start the stack, print its settings, and wait (Ctrl-C stops it): for
#                 looking at the page by hand (sign in as a demo user, password demo)
#
# Needs the test cluster (GLASPLADE_TEST_PG_CTL with GLASPLADE_PG_DIR and GLASPLADE_PG_PORT, as
# scripts/test sets them), node_modules (npm ci) and chromium (scripts/install-deps --browser).
# Screenshots go to var/web/ (GLASPLADE_WEB_SHOTS overrides); the measurements to
# var/web/measurements.json.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../../scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=../support/stack.sh
source "$GP_ROOT/tests/support/stack.sh"
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

gp_stack_binaries "$build"
CHROMIUM="${GLASPLADE_CHROMIUM:-/usr/bin/chromium}"
[[ -x "$CHROMIUM" ]] || gp_die "no $CHROMIUM (scripts/install-deps --browser installs Debian's)"
[[ -d "$GP_ROOT/node_modules/playwright-core" ]] || gp_die "no node_modules/playwright-core (npm ci)"
gp_stack_require

GP_STACK_KEEP="${GP_WEB_KEEP:-}"
# A request deadline short enough for the frozen-system test to see the partial banner soon.
gp_stack_start web GLASPLADE_REQUEST_DEADLINE_MS=2500
# The one sign-in by access key (integrations); every other signs in at the provider.
TOKEN_CASEWORKER="$(gp_stack_token caseworker job_centre rehabilitation "Jobcenter, demo sagsbehandler")"

export GP_WEB_URL="$URL" GP_WEB_SIM_CONTROL="http://127.0.0.1:$((SIM_BASE + 5))"
export GP_WEB_IDP_URL="$IDP_URL" GP_WEB_TOKEN_CASEWORKER="$TOKEN_CASEWORKER"
export GP_WEB_CHROMIUM="$CHROMIUM" GP_WEB_SHOTS="${GLASPLADE_WEB_SHOTS:-$GP_ROOT/var/web}"

if ((serve)); then
    printf 'GP_WEB_URL=%s\nGP_WEB_IDP_URL=%s\nGP_WEB_SIM_CONTROL=%s\nGP_WEB_TOKEN_CASEWORKER=%s\n' \
        "$URL" "$IDP_URL" "$GP_WEB_SIM_CONTROL" "$TOKEN_CASEWORKER"
    gp_info "serving on $URL (log: $WORK/server.log); sign in at the provider as a demo user" \
        "(caseworker-jobcentre, coordinator, analyst, citizen-mette, ...; password demo)" \
        "or with the access key; Ctrl-C stops"
    wait "$gp_stack_server_pid"
    exit 0
fi

mkdir -p "$GP_WEB_SHOTS"
rc=0
node "$GP_ROOT/tests/web/browser.test.mjs" || rc=$?
if ((rc != 0)); then
    gp_log_tail "$WORK/idp.log" 10
    gp_log_tail "$WORK/server.log" 30
fi
exit "$rc"
