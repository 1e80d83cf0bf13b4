#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build for a while, one after the other.
#
#   tests/fuzz/run.sh BUILD_DIR [SECONDS]      (SECONDS per target, default 30)
#
# BUILD_DIR is a tree configured with -DGP_FUZZ=ON (see tests/fuzz/CMakeLists.txt). Each
# fuzz_<name> starts from a copy of tests/fuzz/corpus/<name>/ in a temporary directory, so the
# inputs it discovers never touch the repository. Prints one line per target; exits 1 if any
# target crashed, leaked, timed out or failed an invariant, and saves what it found (the
# reproducer and the log) under tests/fuzz/crashes/, which git ignores, or $GP_FUZZ_CRASHES.
set -euo pipefail

usage() {
    echo "usage: $0 BUILD_DIR [SECONDS]" >&2
    exit 2
}

[[ $# -ge 1 && $# -le 2 ]] || usage
build_dir=$1
seconds=${2:-30}
[[ -d $build_dir ]] || { echo "$0: no such build directory: $build_dir" >&2; exit 2; }
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "$0: SECONDS must be a positive integer" >&2; exit 2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
crash_dir=${GP_FUZZ_CRASHES:-$here/crashes}
work=$(mktemp -d "${TMPDIR:-/tmp}/gp-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

mapfile -t targets < <(find "$build_dir" -type f -name 'fuzz_*' -perm -u+x | sort)
if [[ ${#targets[@]} -eq 0 ]]; then
    echo "$0: no fuzz_* executables under $build_dir (built with -DGP_FUZZ=ON?)" >&2
    exit 2
fi

failed=0
for bin in "${targets[@]}"; do
    name=$(basename "$bin")
    corpus=$work/$name/corpus
    mkdir -p "$corpus" "$work/$name/artifacts"
    seeds=$here/corpus/${name#fuzz_}
    if [[ -d $seeds ]]; then
        cp -R "$seeds/." "$corpus/"
    else
        echo "$name: warning: no seed corpus at $seeds, starting empty" >&2
    fi
    before=$(find "$corpus" -type f | wc -l)
    log=$work/$name/log

    # -timeout: one input taking 10 s is a hang, not slowness. The corpus directory comes
    # first, so new inputs are written there (our copy), never into the seeds.
    status=0
    "$bin" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$work/$name/artifacts/" "$corpus" >"$log" 2>&1 || status=$?

    runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
    [[ -n $runs ]] || runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
    [[ -n $runs ]] || runs="?"
    after=$(find "$corpus" -type f | wc -l)

    if [[ $status -eq 0 ]]; then
        echo "$name: ok, $runs executions in ${seconds}s, corpus $before -> $after inputs"
    else
        failed=1
        mkdir -p "$crash_dir"
        stamp=$(date +%Y%m%d-%H%M%S)
        cp "$log" "$crash_dir/$name-$stamp.log"
        saved=""
        for a in "$work/$name/artifacts"/*; do
            [[ -e $a ]] || continue
            cp "$a" "$crash_dir/$name-$stamp-$(basename "$a")"
            saved+=" $crash_dir/$name-$stamp-$(basename "$a")"
        done
        echo "$name: FAILED (exit $status) after $runs executions; log $crash_dir/$name-$stamp.log;" \
            "input${saved:- (none written)}"
        grep -m 3 -E 'ERROR: |invariant failed|SUMMARY: ' "$log" | sed 's/^/    /' || true
    fi
done
exit $failed
