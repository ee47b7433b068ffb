#!/bin/bash
# tools/bench-backfill.sh — `make bench-backfill`: what one tick time costs
# Redis when tickgen writes flat out, the per-tick-time part (the fenced
# script, ts:last_tick's GET and SET, MULTI/EXEC, PUBLISH) made visible by
# few instruments per tick time. BASE=<another build dir> runs that
# build's tickgen too, alternately, and prints the ratios: how a change of
# the write path weighs.
#
# For each instrument count and build, ROUNDS times: a fresh redis-server
# (no persistence), tickgen at --interval-ms 1 for 1 s, SIGSTOP for STOP s
# so that STOP*1000 tick times fall due (more than one batch holds, 65,536
# commands / (instruments + 3), or no backfill line is logged), SIGCONT;
# from its "backfill: done, N intervals in S s" line and Redis's CPU over
# the backfill: tick times/s and Redis CPU µs per tick time (the median of
# the rounds).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BASE=${BASE:-}
COUNTS=${COUNTS:-"1 100"}
STOP=${STOP:-20}
ROUNDS=${ROUNDS:-1}
TMP=$(mktemp -d)
redis_pid="" gen_pid=""
cleanup() {
    [ -n "$gen_pid" ] && kill -KILL "$gen_pid" 2>/dev/null || true
    [ -n "$redis_pid" ] && kill -KILL "$redis_pid" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
source bench/lib.sh

# One round; prints "tick_times_per_s redis_us_per_tick_time".
round() {
    local build=$1 n=$2 port r0 r1 line
    port=$(free_port)
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$TMP" --daemonize no \
        --logfile "$TMP/redis.log" &
    redis_pid=$!
    until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.05; done
    "$build/tickgen" --redis "redis://127.0.0.1:$port" --instruments "$n" --interval-ms 1 --retention 10m \
        --rollups off --progress 1h >"$TMP/gen.log" 2>&1 &
    gen_pid=$!
    sleep 1
    kill -STOP "$gen_pid"
    sleep "$STOP"
    r0=$(cpu_ticks "$redis_pid")
    kill -CONT "$gen_pid"
    for _ in $(seq 1 1200); do grep -q "backfill: done" "$TMP/gen.log" && break; sleep 0.05; done
    r1=$(cpu_ticks "$redis_pid")
    line=$(grep -o "backfill: done, [0-9]* intervals in [0-9.]* s" "$TMP/gen.log" || echo "backfill: done, 0 intervals in 0 s")
    kill -TERM "$gen_pid"; wait "$gen_pid" 2>/dev/null || true; gen_pid=""
    kill -TERM "$redis_pid"; wait "$redis_pid" 2>/dev/null || true; redis_pid=""
    # The log's seconds have one decimal: the rate from them is rough; the
    # CPU (clock ticks, 1/hz s) is what the comparison rests on.
    awk -v l="$line" -v r0="$r0" -v r1="$r1" -v hz="$hz" 'BEGIN { split(l, f, " "); n = f[3]; s = f[6];
        printf "%.0f %.1f\n", (s > 0 ? n / s : 0), (n > 0 ? 1e6 * (r1 - r0) / hz / n : 0) }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "| instruments | build | tick times/s | redis µs per tick time |$([ -n "$BASE" ] && echo ' redis CPU ratio to BASE |')"
echo "|---:|---|---:|---:|$([ -n "$BASE" ] && echo '---:|')"
for n in $COUNTS; do
    : >"$TMP/new" && : >"$TMP/base"
    for _ in $(seq 1 "$ROUNDS"); do
        [ -n "$BASE" ] && round "$BASE" "$n" >>"$TMP/base"
        round "$BUILD" "$n" >>"$TMP/new"
    done
    new_rate=$(cut -d' ' -f1 "$TMP/new" | median) new_us=$(cut -d' ' -f2 "$TMP/new" | median)
    if [ -n "$BASE" ]; then
        base_rate=$(cut -d' ' -f1 "$TMP/base" | median) base_us=$(cut -d' ' -f2 "$TMP/base" | median)
        echo "| $n | BASE $BASE | $base_rate | $base_us | |"
        awk -v n="$n" -v b="$BUILD" -v r="$new_rate" -v u="$new_us" -v bu="$base_us" \
            'BEGIN { printf "| %d | %s | %d | %.1f | %.2f |\n", n, b, r, u, (bu > 0 ? u / bu : 0) }'
    else
        echo "| $n | $BUILD | $new_rate | $new_us |"
    fi
done
