#!/usr/bin/env bash
# Runs the libFuzzer harnesses of the fuzz build (make fuzz, make fuzz-ci; docs/testing.md
# "Fuzzing"). Each harness first replays tests/fuzz/crashes/<name>/, then fuzzes for SECONDS
# with its committed seed corpus (read only) and a working corpus BUILD/corpus/<name>/ that
# keeps what it found between runs; findings go to BUILD/findings/<name>/. Exits 1 when any
# harness found something.
#
#   scripts/fuzz.sh BUILD SECONDS [NAME...]     (default: every tests/fuzz/fuzz_*.c)
#   FUZZ_ARGS="-only_ascii=1" scripts/fuzz.sh ...  (extra libFuzzer flags)
#   FUZZ_SEED=1 scripts/fuzz.sh ...   (CI: a fixed libFuzzer seed and only the committed seeds,
#                                      so a run repeats, as a prefix, what ran here before)
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: scripts/fuzz.sh BUILD SECONDS [NAME...]}
seconds=${2:?usage: scripts/fuzz.sh BUILD SECONDS [NAME...]}
shift 2
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    for f in tests/fuzz/fuzz_*.c; do names+=("$(basename "$f" .c | sed 's/^fuzz_//')"); done
fi

# What a finding was, so that a CI log alone can reproduce it: the error lines (libFuzzer's
# own, "==N== ERROR: libFuzzer: timeout", have a space ASan's lack), then each input libFuzzer
# saved (crash-, leak-, timeout-, oom-...), base64-encoded when at most 4 KiB
# (base64 -d > input; build-fuzz/fuzz_NAME input).
# Only this run's: the log it wrote last, the inputs newer than its .started mark.
report() {
    local log=$1/fuzz.log
    [ "$1/replay.log" -nt "$log" ] && log=$1/replay.log
    grep -E '^(==[0-9]+== ?ERROR|SUMMARY|fuzz: check failed|.*runtime error)' "$log" | head -5
    find "$1" -maxdepth 1 -type f -name '*-*' -newer "$1/.started" | sort | while read -r input; do
        local size
        size=$(stat -c %s "$input")
        echo "input $(basename "$input") ($size bytes)"
        if [ "$size" -le 4096 ]; then base64 -w 100 "$input"; fi
    done
}

failed=()
for name in "${names[@]}"; do
    bin=$build/fuzz_$name
    [ -x "$bin" ] || { echo "fuzz: no $bin (make build-fuzz)" >&2; exit 2; }
    work=$build/corpus/$name findings=$build/findings/$name
    if [ -n "${FUZZ_SEED:-}" ]; then rm -rf "$work"; fi
    mkdir -p "$work" "$findings"
    touch "$findings/.started"
    args=(-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 -print_final_stats=1)
    if [ -n "${FUZZ_SEED:-}" ]; then args+=("-seed=$FUZZ_SEED"); fi
    [ -f "tests/fuzz/$name.dict" ] && args+=("-dict=tests/fuzz/$name.dict")
    # shellcheck disable=SC2206
    args+=(${FUZZ_ARGS:-})
    echo "== fuzz_$name: ${seconds}s" >&2
    if [ -d "tests/fuzz/crashes/$name" ] && [ -n "$(ls -A "tests/fuzz/crashes/$name")" ] &&
        ! "$bin" "${args[@]}" -runs=0 "tests/fuzz/crashes/$name"/* >"$findings/replay.log" 2>&1; then
        echo "fuzz_$name: a file in tests/fuzz/crashes/$name/ fails again; see $findings/replay.log" >&2
        failed+=("$name")
        continue
    fi
    if ! "$bin" "${args[@]}" -max_total_time="$seconds" -artifact_prefix="$findings/" \
        "$work" "tests/fuzz/corpus/$name" >"$findings/fuzz.log" 2>&1; then
        echo "fuzz_$name: FOUND something; see $findings/fuzz.log and $findings/" >&2
        report "$findings" >&2
        failed+=("$name")
    else
        grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$findings/fuzz.log" | tr '\n' ' ' >&2
        echo >&2
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    # Again at the end, where a log's tail shows it.
    for name in "${failed[@]}"; do
        echo "== fuzz_$name found:" >&2
        report "$build/findings/$name" >&2
    done
    echo "fuzz: findings in: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz: ${#names[@]} harnesses, ${seconds}s each, no finding" >&2
