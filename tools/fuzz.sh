#!/bin/sh
# tools/fuzz.sh SECONDS TARGET... — runs each libFuzzer target of
# tests/fuzz for SECONDS seconds, one after the other (make fuzz, make
# fuzz-smoke), and prints executions, corpus size and crashes per target.
#
# Each run starts from the seeds in tests/fuzz/corpus/<target>/ plus what
# earlier runs found (build/fuzz/corpus/<target>/, where new inputs go; the
# repository's seeds are never written). A crash leaves its input in
# build/fuzz/crashes/<target>/ and the log in build/fuzz/logs/<target>.log;
# replay it with  build/fuzz/fuzz_<target> <file>.  Exit status 1 when any
# target crashed.
set -u
cd "$(dirname "$0")/.."
B=${FUZZ_BUILD:-build/fuzz}
secs=$1
shift
mkdir -p "$B/logs"
failed=0
printf '%-8s %12s %10s %8s %8s  %s\n' target executions exec/s corpus crashes result
for t in "$@"; do
    bin="$B/fuzz_$t"
    seeds="tests/fuzz/corpus/$t"
    work="$B/corpus/$t"
    crashes="$B/crashes/$t"
    log="$B/logs/$t.log"
    mkdir -p "$work" "$crashes"
    rm -f "$crashes"/*  # the count below is of this run
    dict=""
    [ -f "tests/fuzz/$t.dict" ] && dict="-dict=tests/fuzz/$t.dict"
    # -max_len: requests are capped at --max-msg (4 KiB by default); replies
    # and option lists are longer, but 64 KiB covers every shape.
    "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$crashes/" $dict "$work" "$seeds" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    corpus=$(ls "$work" | wc -l)
    ncrash=$(ls "$crashes" | wc -l)
    if [ "$rc" -eq 0 ]; then
        result=ok
    else
        result="FAILED (exit $rc, see $log)"
        failed=1
    fi
    printf '%-8s %12s %10s %8s %8s  %s\n' "$t" "${execs:-?}" "${speed:-?}" "$corpus" "$ncrash" "$result"
done
exit $failed
