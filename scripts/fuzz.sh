#!/usr/bin/env bash
# Fuzzes everything a user can hand the product, each target for a bounded
# time: checkpoint files, audio files for `ddsp`, plugin state.
#
#   scripts/fuzz.sh [seconds per target, default 300] [targets...]
#
# The corpus grows in fuzz/corpus/<target>/ (minimised at the end, then
# commit it); a crash is copied to fuzz/regressions/<target>/, where the
# test suite replays it (cargo test --workspace runs
# model/tests/fuzz_regressions.rs and plugin/tests/fuzz_regressions.rs).
# Uses cargo-fuzz (libFuzzer) on the stable toolchain, without a sanitizer
# (`-s none`): the code under test is safe Rust, and what a fuzzer finds
# there is panics, aborts, hangs and runaway memory, which libFuzzer
# catches on its own.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-300}"
shift || true
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(checkpoint audio_file plugin_state)

command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked

mkdir -p fuzz/logs
for target in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$target" "fuzz/regressions/$target"
    log="fuzz/logs/$target.log"
    echo "== $target: ${seconds} s (log: $log)"
    status=0
    cargo fuzz run -s none -O "$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 -timeout=20 \
        -print_final_stats=1 >"$log" 2>&1 || status=$?
    grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb" "$log" || true
    for crash in fuzz/artifacts/"$target"/*; do
        [ -f "$crash" ] || continue
        cp "$crash" "fuzz/regressions/$target/"
        echo "   kept $(basename "$crash") as a regression"
    done
    if [ "$status" -ne 0 ]; then
        echo "   $target: the fuzzer stopped on a finding (exit $status); see $log"
    fi
    # Keep the corpus small enough to commit and to replay in CI.
    cargo fuzz cmin -s none -O "$target" "fuzz/corpus/$target" >/dev/null 2>&1 || true
    echo "   corpus: $(ls "fuzz/corpus/$target" | wc -l) inputs"
done
