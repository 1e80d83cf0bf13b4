#!/usr/bin/env bash
# tests/docs/curl-examples.sh: runs every curl example of README.md and docs/*.md, as written,
# against a demo stack of its own; fails when one does not work.
#
# Usage: tests/docs/curl-examples.sh [--build DIR] [FILE.md ...]
#
#   --build DIR   where glasplade and cmd/deptsim/deptsim were built (default build-release,
#                 else build-asan, else build)
#   FILE.md       only these files (default README.md and docs/*.md; the route check below
#                 runs only with the default)
#
# It starts what scripts/run starts (tests/support/stack.sh, shared with tests/web/run.sh), on
# free loopback ports and in a fresh database of the test cluster: migrations, the demo token (a caseworker in job_centre, default purpose
# rehabilitation), deptsim (size 1000, seed 42) registered as the five sources, the demo identity
# provider (scripts/idp/idp.mjs; GLASPLADE_IDP_URL) whose tokens the server accepts, and the
# server.
# Then it runs each file's ```sh blocks that contain a curl command, in order, in one bash per
# file, in a scratch folder that stands in for the repository: var/run.env there holds the four
# lines scripts/run prints, build/glasplade is the binary under test (refused unless it points at
# the test database, and `source set` only with a loopback URL), and GLASPLADE_URL,
# GLASPLADE_TOKEN, GLASPLADE_DATABASE_URL and GLASPLADE_SIM_BASE_PORT are set as scripts/run
# prints them. The simulators' documented ports (7100-7105, the default
# GLASPLADE_SIM_BASE_PORT) are mapped to this run's. Nothing else of the text is changed.
#
# A call fails on a transport error, a 5xx, a 404 (a route or resource that is not there), a
# host other than loopback, or a status other than the one the example states - (NNN) in its
# comment (see tests/docs/extract.awk) - and otherwise anything but 2xx; a command of the
# example that exits non-zero (a jq filter that no longer fits) fails it too. Last, every route
# of the table in docs/api.md must have been called by at least one example that passed.
# Blocks marked <!-- docs-curl: skip REASON --> are listed, not run.
#
# Needs the test cluster the integration tests use: GLASPLADE_TEST_PG_CTL (scripts/pg) with
# GLASPLADE_PG_DIR and GLASPLADE_PG_PORT exported, as scripts/test sets them. No database is a
# failure, never a skip. Output: one line per example; the last line says how many passed.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../../scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=../support/stack.sh
source "$GP_ROOT/tests/support/stack.sh"
GP_PROG=docs-curl
HERE="$GP_ROOT/tests/docs"

build=""
files=()
while (($# > 0)); do
    case "$1" in
    --build)
        build="${2:?--build needs a folder}"
        shift 2
        ;;
    -h | --help)
        sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"
        exit 0
        ;;
    -*) gp_die "unknown option '$1' (try --help)" ;;
    *)
        files+=("$1")
        shift
        ;;
    esac
done

gp_stack_binaries "$build"
gp_stack_require

route_check=0
if ((${#files[@]} == 0)); then
    route_check=1
    files=(README.md)
    for f in "$GP_ROOT"/docs/*.md; do
        files+=("${f#"$GP_ROOT"/}")
    done
fi

# ---- the stack, as scripts/run builds it (tests/support/stack.sh) ----

GP_STACK_KEEP="${GP_DOCS_KEEP:-}"
gp_stack_start docs-curl
TOKEN="$(gp_stack_token caseworker job_centre rehabilitation "demo caseworker")"

# ---- the scratch repository the examples run in ----

mkdir -p "$WORK/repo/var" "$WORK/repo/build" "$WORK/repo/scripts/idp" "$WORK/calls"
# The repository's own scripts the examples call, as they are (they write nothing there).
ln -s "$GP_ROOT/scripts/idp/login" "$WORK/repo/scripts/idp/login"
{
    printf 'GLASPLADE_URL=%s\n' "$URL"
    printf 'GLASPLADE_TOKEN=%s\n' "$TOKEN"
    printf 'GLASPLADE_DATABASE_URL=%s\n' "$DB_URL"
    printf 'GLASPLADE_SIM_BASE_PORT=%s\n' "$SIM_BASE"
    printf 'GLASPLADE_IDP_URL=%s\n' "$IDP_URL"
} >"$WORK/repo/var/run.env"
cat >"$WORK/repo/build/glasplade" <<'EOF'
#!/usr/bin/env bash
# build/glasplade as the examples see it: the binary under test, on the test database only.
if [[ "${GLASPLADE_DATABASE_URL:-}" != "$GP_DOCS_DB_URL" ]]; then
    echo "docs-curl: build/glasplade refused: GLASPLADE_DATABASE_URL is" \
        "'${GLASPLADE_DATABASE_URL:-}', not this test's database" >&2
    exit 97
fi
prev=""
for a in "$@"; do
    if [[ "$prev" == --url &&
        ! "$a" =~ ^https?://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]+)?(/|$) ]]; then
        echo "docs-curl: build/glasplade refused: --url $a is not loopback" >&2
        exit 97
    fi
    prev="$a"
done
exec "$GP_DOCS_GLASPLADE_BIN" "$@"
EOF
chmod +x "$WORK/repo/build/glasplade"

# What every example's shell starts with: the curl that checks, and the bookkeeping.
cat >"$WORK/prelude.sh" <<'EOF'
# shellcheck shell=bash
GP_BLOCK=""
GP_BLOCK_FAILED=0

gp_fail() {
    printf '%s\t%s\n' "$1" "$2" >>"$GP_DOCS_FAILURES"
    GP_BLOCK_FAILED=1
}

gp_block() {
    GP_BLOCK="$1:$2"
    GP_BLOCK_FAILED=0
    GP_BLOCK_CALLS="$3"
    : >"$GP_DOCS_CALLS/current"
}

gp_block_end() {
    local failed
    failed="$(cut -f1 "$GP_DOCS_FAILURES" 2>/dev/null | grep -cxF "$GP_BLOCK" || true)"
    if ((failed > 0)); then
        printf 'FAIL %s (%s curl commands)\n' "$GP_BLOCK" "$GP_BLOCK_CALLS" >>"$GP_DOCS_REPORT"
    else
        printf 'ok   %s (%s curl commands)\n' "$GP_BLOCK" "$GP_BLOCK_CALLS" >>"$GP_DOCS_REPORT"
    fi
    GP_BLOCK=""
}

gp_skipped() {
    printf 'skip %s:%s (%s)\n' "$1" "$2" "$3" >>"$GP_DOCS_REPORT"
}

gp_docerror() {
    GP_BLOCK="$1:$2"
    gp_fail "$1:$2" "$1:$2: the Markdown: $3"
    printf 'FAIL %s:%s (%s)\n' "$1" "$2" "$3" >>"$GP_DOCS_REPORT"
    GP_BLOCK=""
}

# curl as the examples call it, checked: same arguments, same output.
curl() {
    local at="${GP_AT:-$GP_BLOCK}" expect="${GP_EXPECT:-}" a rc=0 meta code method url host
    local -a args=()
    for a in "$@"; do
        case "$a" in
        -o | --output | -w | --write-out | -K | --config | --next | -:)
            gp_fail "$GP_BLOCK" "$at: curl $a: the test cannot check an example that uses it"
            return 2
            ;;
        esac
        # The simulators' documented ports, the default GLASPLADE_SIM_BASE_PORT 7100..7105.
        if [[ "$a" =~ ^(http://)?(localhost|127\.0\.0\.1):710([0-5])(/.*)?$ ]]; then
            a="${BASH_REMATCH[1]}${BASH_REMATCH[2]}:$((GLASPLADE_SIM_BASE_PORT + BASH_REMATCH[3]))"
            a+="${BASH_REMATCH[4]}"
        fi
        args+=("$a")
    done
    local body="$GP_DOCS_CALLS/body.$BASHPID.$RANDOM"
    # Every connection goes to loopback whatever the URL says; a URL elsewhere fails below.
    meta="$(command curl --connect-to ::127.0.0.1: --connect-timeout 5 --max-time 30 \
        "${args[@]}" -o "$body" -w '%{http_code} %{method} %{url_effective}')" || rc=$?
    [[ -f "$body" ]] && cat "$body"
    read -r code method url <<<"$meta"
    host="${url#*://}"
    host="${host%%/*}"
    host="${host%:*}"
    printf '%s\t%s\t%s\t%s\t%s\n' "$at" "${code:-000}" "${method:-?}" "${url:-?}" "$rc" \
        >>"$GP_DOCS_CALLS/all"
    local why=""
    if ((rc != 0)); then
        why="transport error (curl exit $rc)"
    elif [[ "$host" != 127.0.0.1 && "$host" != localhost && "$host" != "[::1]" ]]; then
        why="not a loopback URL ($url)"
    elif [[ "$code" == 5* ]]; then
        why="server error $code"
    elif [[ "$code" == 404 ]]; then
        why="404: the route (or what it names) does not exist"
    elif [[ -n "$expect" && "$code" != "$expect" ]]; then
        why="answered $code, the example states $expect"
    elif [[ -z "$expect" && "$code" != 2* ]]; then
        why="answered $code; an example that expects anything but 2xx states it as (NNN)"
        why+=" in its comment"
    fi
    if [[ -n "$why" ]]; then
        gp_fail "$GP_BLOCK" \
            "$at: $method $url: $why; body: $(head -c 300 "$body" 2>/dev/null | tr '\n' ' ')"
    else
        printf '%s\t%s\n' "$method" "$url" >>"$GP_DOCS_CALLS/passed"
    fi
    rm -f "$body"
    return "$rc"
}

# Any other command of an example that fails (jq on an answer it no longer fits, ...).
# (A curl that failed has said why already; its `return` lands here too.)
trap 'gp_rc=$?; [[ "$BASH_COMMAND" == return* ]] ||
    gp_fail "$GP_BLOCK" "$GP_BLOCK: exit $gp_rc from: $BASH_COMMAND"' ERR
EOF

export GP_DOCS_DB_URL="$DB_URL" GP_DOCS_GLASPLADE_BIN="$GLASPLADE_BIN"
export GP_DOCS_FAILURES="$WORK/failures" GP_DOCS_REPORT="$WORK/report" GP_DOCS_CALLS="$WORK/calls"
: >"$GP_DOCS_FAILURES"
: >"$GP_DOCS_REPORT"
: >"$GP_DOCS_CALLS/all"
: >"$GP_DOCS_CALLS/passed"

gp_info "stack: server $URL, deptsim ports $SIM_BASE-$((SIM_BASE + 5)), database $DB" \
    "(${build#"$GP_ROOT"/}/)"
for f in "${files[@]}"; do
    [[ -f "$GP_ROOT/$f" ]] || gp_die "no $f"
    script="$WORK/${f//\//_}.sh"
    {
        cat "$WORK/prelude.sh"
        awk -v file="$f" -f "$HERE/extract.awk" "$GP_ROOT/$f"
    } >"$script"
    before="$(wc -l <"$GP_DOCS_REPORT")"
    (
        cd "$WORK/repo"
        export GLASPLADE_URL="$URL" GLASPLADE_TOKEN="$TOKEN" GLASPLADE_DATABASE_URL="$DB_URL" \
            GLASPLADE_SIM_BASE_PORT="$SIM_BASE" GLASPLADE_IDP_URL="$IDP_URL"
        timeout 120 bash "$script" >"$WORK/out.${f//\//_}" 2>&1
    ) || gp_fail_file=1
    tail -n +"$((before + 1))" "$GP_DOCS_REPORT" >&2
    if [[ -n "${gp_fail_file:-}" ]]; then
        printf '%s\t%s\n' "$f" "$f: its examples' shell exited non-zero (or took over 120 s)" \
            >>"$GP_DOCS_FAILURES"
        unset gp_fail_file
    fi
done

# Every route of docs/api.md's table, called by at least one example that passed.
routes_checked=0
cpr_re='[0-9]{6}-?[0-9]{4}'
# ids: numbers (clients) or UUIDs (consents, blocks, overrides)
id_re='([0-9]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'
if ((route_check)); then
    mapfile -t routes < <(grep -E '^\| `(GET|POST|PUT|PATCH|DELETE) /' "$GP_ROOT/docs/api.md" |
        cut -d'|' -f2 | grep -oE '(GET|POST|PUT|PATCH|DELETE) /[^`]*')
    ((${#routes[@]} > 0)) ||
        printf '%s\t%s\n' docs/api.md "docs/api.md: no route table found" >>"$GP_DOCS_FAILURES"
    for r in "${routes[@]}"; do
        method="${r%% *}"
        path="${r#* }"
        re="${path//\{cpr\}/$cpr_re}"
        re="${re//\{id\}/$id_re}"
        re="^$method"$'\t'"${URL//./\\.}$re(\\?.*)?\$"
        routes_checked=$((routes_checked + 1))
        if ! grep -qE "$re" "$GP_DOCS_CALLS/passed"; then
            printf '%s\t%s\n' docs/api.md "docs/api.md: no example calls $r (or none that passed)" \
                >>"$GP_DOCS_FAILURES"
        fi
    done
fi

calls="$(wc -l <"$GP_DOCS_CALLS/all")"
ok_blocks="$(grep -c '^ok ' "$GP_DOCS_REPORT" || true)"
skipped="$(grep -c '^skip ' "$GP_DOCS_REPORT" || true)"
if [[ -s "$GP_DOCS_FAILURES" ]]; then
    printf '\nfailures:\n' >&2
    cut -f2- "$GP_DOCS_FAILURES" | sed 's/^/  /' >&2
    for f in "${files[@]}"; do
        out="$WORK/out.${f//\//_}"
        if [[ -s "$out" ]] && grep -q "^$f" "$GP_DOCS_FAILURES"; then
            printf -- '----- what the examples of %s printed (last 40 lines) -----\n' "$f" >&2
            tail -n 40 "$out" >&2
        fi
    done
    gp_log_tail "$WORK/server.log" 20
    printf '%s: FAILED: %s failures; %s examples passed, %s curl calls, %s skipped\n' "$GP_PROG" \
        "$(wc -l <"$GP_DOCS_FAILURES")" "$ok_blocks" "$calls" "$skipped" >&2
    exit 1
fi
((calls > 0)) || gp_die "no curl example found in: ${files[*]}"
printf '%s: %s examples passed (%s curl calls, %s routes of docs/api.md covered), %s skipped\n' \
    "$GP_PROG" "$ok_blocks" "$calls" "$routes_checked" "$skipped" >&2
