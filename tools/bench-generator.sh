#!/bin/bash
# tools/bench-generator.sh — `make bench-generator`: how fast tickgen writes
# ticks, beside redis-benchmark's pipelined XADD on the same server, in one run.
#
# For each instrument count a fresh redis-server (no persistence, so disk
# speed is not measured) on a free loopback port:
#   1. tickgen at --interval-ms 1: always behind, so it writes flat out
#      (backfilling); entries/s = XADD calls counted by Redis over WINDOW s.
#   2. redis-benchmark, one connection pipelining 1000 XADDs (the shape of
#      tickgen's traffic), and 50 connections pipelining 64.
#   3. tickgen at the real 1 Hz: does it keep up, and at what CPU.
#   4. the same with rollups (ROLLUPS, the default ladder unless set) over ROLLUP_WINDOW s (65: at least
#      one minute boundary, where every instrument's 1m candle is written in
#      the tick's MULTI/EXEC), for ROLLUP_COUNTS instruments: CPU, the worst
#      batch latency, the ticks whose batch began after their interval
#      (backfilled), the ticks whose EXEC was answered more than one interval
#      after their time (late) and the worst such delay (the summary lines).
#      START=HH:MM:SS runs this part's tickgen under libfaketime, its clock
#      set to that time of day (UTC) when it starts, so that the window can
#      hold an hour or a day boundary (23:59:15 with ROLLUP_WINDOW=90: every
#      level closes at midnight); GEN_ARGS adds tickgen flags (e.g.
#      "--candle-budget 0" for the transaction-per-boundary generator);
#      STREAMS=1 first gives every candle stream of the ladder one old entry
#      (the steady state: a level's first close also creates its streams,
#      about 5x an append).
# CPU is user+system time from /proc over the window, in % of one core.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
WINDOW=${WINDOW:-5}
COUNTS=${COUNTS-"1000 10000 100000"}
ROLLUP_COUNTS=${ROLLUP_COUNTS-"100000"}
ROLLUP_WINDOW=${ROLLUP_WINDOW:-65}
START=${START:-}
GEN_ARGS=${GEN_ARGS:-}
STREAMS=${STREAMS:-}
FAKE="" # the COUNTS part runs on the real clock
ROLLUPS=${ROLLUPS:-$(grep -o 'TS_ROLLUPS_DEFAULT "[^"]*' common/ts_candle.h | cut -d'"' -f2)}
TMP=$(mktemp -d)
redis_pid="" gen_pid=""
cleanup() {
    [ -n "$gen_pid" ] && kill -KILL "$gen_pid" 2>/dev/null || true
    [ -n "$redis_pid" ] && kill -KILL "$redis_pid" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

source bench/lib.sh
xadd_calls() { redis-cli -p "$PORT" INFO commandstats | tr -d '\r' | awk -F'[=,:]' '/^cmdstat_xadd:/ {print $3}'; }

start_redis() {
    PORT=$(free_port)
    redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$TMP" \
        --daemonize no --logfile "$TMP/redis.log" &
    redis_pid=$!
    until redis-cli -p "$PORT" ping >/dev/null 2>&1; do sleep 0.05; done
}
stop_redis() { kill -TERM "$redis_pid"; wait "$redis_pid" 2>/dev/null || true; redis_pid=""; }

# Runs tickgen for WINDOW s after a 1 s warm-up; prints "rate gen_cpu redis_cpu".
measure_gen() {
    local n=$1 iv=$2
    shift 2
    # shellcheck disable=SC2086 # FAKE is "env VAR=… …" or empty
    $FAKE "$BUILD/tickgen" --redis "redis://127.0.0.1:$PORT" --instruments "$n" --interval-ms "$iv" \
        --retention 10m --log-level warn --rollups off "$@" 2>"$TMP/gen.log" &
    gen_pid=$!
    sleep 1
    local c0 g0 r0 t0 c1 g1 r1 t1
    c0=$(xadd_calls); g0=$(cpu_ticks $gen_pid); r0=$(cpu_ticks $redis_pid); t0=$(date +%s.%N)
    sleep "$WINDOW"
    c1=$(xadd_calls); g1=$(cpu_ticks $gen_pid); r1=$(cpu_ticks $redis_pid); t1=$(date +%s.%N)
    kill -TERM $gen_pid; wait $gen_pid 2>/dev/null || true; gen_pid=""
    awk -v c0="$c0" -v c1="$c1" -v g0="$g0" -v g1="$g1" -v r0="$r0" -v r1="$r1" -v t0="$t0" -v t1="$t1" -v hz="$hz" \
        'BEGIN { d = t1 - t0; printf "%.0f %.0f %.0f\n", (c1 - c0) / d, 100 * (g1 - g0) / hz / d, 100 * (r1 - r0) / hz / d }'
}

# redis-benchmark pipelined XADD over n keys; prints requests/s.
measure_bench() {
    local n=$1 c=$2 p=$3
    redis-benchmark -p "$PORT" -q -n 1000000 -c "$c" -P "$p" -r "$n" \
        XADD 'bench:{__rand_int__}' MINID '~' 0 '*' p 123 | tr '\r' '\n' |
        awk '/requests per second/ {for (i = 1; i <= NF; i++) if ($i == "requests") print int($(i-1))}' | tail -1
}

if [ -n "${COUNTS// }" ]; then
echo "| instruments | tickgen flat out (entries/s) | tickgen CPU | redis CPU | redis-benchmark -c1 -P1000 | ratio | redis-benchmark -c50 -P64 | ratio | at 1 Hz: tickgen CPU | redis CPU |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in $COUNTS; do
    start_redis
    read -r rate gcpu rcpu < <(measure_gen "$n" 1)
    b1=$(measure_bench "$n" 1 1000)
    b50=$(measure_bench "$n" 50 64)
    redis-cli -p "$PORT" FLUSHALL >/dev/null
    read -r hzrate hzg hzr < <(measure_gen "$n" 1000)
    stop_redis
    # At 1 Hz the generator must write n entries a second to keep up.
    keep=$(awk -v r="$hzrate" -v n="$n" 'BEGIN { print (r >= 0.95 * n) ? "" : " (BEHIND: " r "/s)" }')
    awk -v n="$n" -v rate="$rate" -v g="$gcpu" -v r="$rcpu" -v b1="$b1" -v b50="$b50" -v hg="$hzg" -v hr="$hzr" -v keep="$keep" \
        'BEGIN { printf "| %d | %d | %d%% | %d%% | %d | %.2f | %d | %.2f | %d%%%s | %d%% |\n", n, rate, g, r, b1, rate / b1, b50, rate / b50, hg, keep, hr }'
done
fi

if [ -n "$START" ]; then
    # The offset from now to the next START (UTC), as libfaketime's "+Ns".
    now=$(date -u +%s)
    at=$(date -u -d "$(date -u +%F) $START" +%s)
    [ "$at" -gt "$now" ] || at=$((at + 86400))
    FAKE="env LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 FAKETIME=+$((at - now)) FAKETIME_DONT_FAKE_MONOTONIC=1"
    echo "tickgen's clock starts at $START UTC${GEN_ARGS:+; tickgen $GEN_ARGS}"
fi
echo
echo "| instruments | at 1 Hz with rollups $ROLLUPS, $ROLLUP_WINDOW s: tickgen CPU | redis CPU | redis CPU in its busiest second | worst batch latency | ticks backfilled | ticks answered over one interval late | worst delay, tick time to answer |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
# Redis's CPU time in each second of the window, one line of clock ticks each
# (the busiest second says whether any tickgen could be on time: the
# lateness columns also count other processes' load on the machine).
sample_redis() {
    local prev now
    prev=$(cpu_ticks "$redis_pid")
    while sleep 1; do
        now=$(cpu_ticks "$redis_pid" 2>/dev/null) || break
        echo $((now - prev))
        prev=$now
    done
}
# Every candle stream of the ladder for n instruments, with one entry at ID 1-0.
precreate() {
    python3 - "$1" "$ROLLUPS" <<'PY' | redis-cli -p "$PORT" --pipe >/dev/null
import sys
n, ladder = int(sys.argv[1]), sys.argv[2]
width = max(2, len(str(n - 1)))
for w in (item.split(":")[0] for item in ladder.split(",")):
    for i in range(n):
        args = ["XADD", "ts:candle:%s:{ticker_%0*d}" % (w, width, i), "1-0", "o", "0", "h", "0", "l", "0", "c", "0", "n", "1"]
        sys.stdout.write("*%d\r\n" % len(args) + "".join("$%d\r\n%s\r\n" % (len(a), a) for a in args))
PY
}
for n in $ROLLUP_COUNTS; do
    start_redis
    [ -z "$STREAMS" ] || precreate "$n"
    sample_redis >"$TMP/persec" &
    sampler=$!
    # shellcheck disable=SC2086 # GEN_ARGS is a list of flags
    read -r _ g r < <(WINDOW=$ROLLUP_WINDOW measure_gen "$n" 1000 --rollups "$ROLLUPS" \
        --log-level info --summary 10s $GEN_ARGS)
    kill "$sampler" 2>/dev/null || true
    # (from the 5th second on: the first tick of a new history creates every tick stream)
    busiest=$(awk -v hz="$hz" 'NR >= 5 && $1 > m { m = $1 } END { printf "%d", 1000 * m / hz }' "$TMP/persec")
    stop_redis
    # The summary line: "… N backfilled, … latency avg A ms max M ms; written L late, delay max D ms".
    read -r worst bf late delay < <(awk '/summary:/ { for (i = 1; i <= NF; i++) {
            if ($i == "backfilled,") b += $(i-1)
            if ($i == "late,") l += $(i-1)
            if ($i == "max" && $(i-1) == "ms" && $(i+1) + 0 > m) m = $(i+1) + 0
            if ($i == "delay" && $(i+2) + 0 > d) d = $(i+2) + 0 } }
        END { printf "%.0f %d %d %d\n", m, b, l, d }' "$TMP/gen.log")
    echo "| $n | $g% | $r% | ${busiest} ms | ${worst} ms | $bf | $late | ${delay} ms |"
done
