#!/bin/bash
# bench/callgrind.sh — instructions tickgw executes per delivered tick, counts
# that do not depend on the machine's load (so a before/after on a shared,
# noisy machine means something). Run by hand, not by `make bench`:
#
#   GWS="/tmp/before/build/tickgw build/tickgw" bench/callgrind.sh
#
# For each tickgw binary in GWS (default build/tickgw), in turn against one
# redis-server and one tickgen (100 instruments, INTERVAL_MS, default 1000):
#   fanout  (MODE=fanout, the default): CLIENTS (1000) WebSocket clients of
#           build/bench/wsload, one instrument each; the counters are zeroed
#           once they all are live and dumped SECONDS_RUN (12) s later, so the
#           window holds the fan-out only;
#   catchup (MODE=catchup): a day of ticker_00 (86,400 ticks) is written
#           first, then ROUNDS (5) catch-ups of it (sub since=0) are counted.
# The clients offer permessage-deflate as browsers do (DEFLATE=0: not).
# It prints, per binary, the instructions (Ir) of the window, the ticks
# delivered in it (tickgw_messages_sent_total) and their ratio; the
# callgrind.out files stay in OUT (default /tmp/tickgw-callgrind) for
# callgrind_annotate --inclusive=yes / --tree=caller.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
GWS=${GWS:-$BUILD/tickgw}
MODE=${MODE:-fanout}
CLIENTS=${CLIENTS:-1000}
INTERVAL_MS=${INTERVAL_MS:-1000}
SECONDS_RUN=${SECONDS_RUN:-12}
ROUNDS=${ROUNDS:-5}
OUT=${OUT:-/tmp/tickgw-callgrind}
mkdir -p "$OUT"
TMP=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT
source bench/lib.sh

metric() { curl -sf "http://127.0.0.1:$GPORT/metrics" | awk -v k="$1" '$1 == k {print $2}'; }

RPORT=$(free_port)
redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$TMP" --daemonize no \
    --logfile "$TMP/redis.log" &
pids+=($!)
until redis-cli -p "$RPORT" ping >/dev/null 2>&1; do sleep 0.05; done
if [ "$MODE" = catchup ]; then
    source bench/fill.sh
    fill_days "$RPORT" 1
fi
"$BUILD/tickgen" --redis "redis://127.0.0.1:$RPORT" --interval-ms "$INTERVAL_MS" --log-level warn 2>"$TMP/gen.log" &
pids+=($!)
sleep 1

echo "mode $MODE, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for gw in $GWS; do
    GPORT=$(free_port)
    tag=$(basename "$(dirname "$(dirname "$(readlink -f "$gw")")")")
    valgrind --tool=callgrind --collect-atstart=yes --callgrind-out-file="$OUT/callgrind.$MODE.$tag.%p" \
        "$gw" --redis "redis://127.0.0.1:$RPORT" --listen "127.0.0.1:$GPORT" --threads 1 --log-level warn \
        2>"$TMP/gw.log" &
    vp=$!; pids+=($vp)
    until curl -sf "http://127.0.0.1:$GPORT/readyz" >/dev/null; do sleep 0.2; done
    until [ "$(metric tickgw_live_messages_total)" -gt 0 ] 2>/dev/null; do sleep 0.2; done
    if [ "$MODE" = catchup ]; then
        m0=$(metric tickgw_messages_sent_total)
        callgrind_control -z "$vp" >/dev/null 2>&1
        "$BUILD/bench/wsload" --port "$GPORT" --mode catchup --sym ticker_00 --repeat "$ROUNDS" --deflate "${DEFLATE:-1}" >"$TMP/wsload.json"
        callgrind_control -d "$vp" >/dev/null 2>&1
        m1=$(metric tickgw_messages_sent_total)
        units=$((86400 * ROUNDS)); what="ticks caught up"
    else
        "$BUILD/bench/wsload" --port "$GPORT" --conns "$CLIENTS" --seconds "$((SECONDS_RUN + 30))" --warmup 1 --deflate "${DEFLATE:-1}" \
            --redis "redis://127.0.0.1:$RPORT" >"$TMP/wsload.json" &
        lp=$!
        until [ "$(metric tickgw_subscriptions)" = "$CLIENTS" ]; do
            kill -0 "$lp" 2>/dev/null || { echo "wsload ended early" >&2; exit 1; }
            sleep 0.5
        done
        sleep 2
        m0=$(metric tickgw_messages_sent_total)
        callgrind_control -z "$vp" >/dev/null 2>&1
        sleep "$SECONDS_RUN"
        callgrind_control -d "$vp" >/dev/null 2>&1
        m1=$(metric tickgw_messages_sent_total)
        kill -TERM "$lp" 2>/dev/null || true; wait "$lp" 2>/dev/null || true
        units=$((m1 - m0)); what="ticks delivered"
    fi
    kill -TERM "$vp"; wait "$vp" 2>/dev/null || true
    # The dump of the window is the file with the highest part number (.N).
    f=$(ls -t "$OUT"/callgrind."$MODE"."$tag"."$vp".* 2>/dev/null | grep -v '\.'"$vp"'$' | head -1)
    ir=$(callgrind_annotate "$f" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}')
    echo "$gw: $ir Ir, $units $what, $((ir / (units > 0 ? units : 1))) Ir each ($f)"
done
