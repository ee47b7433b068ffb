#!/bin/bash
# bench/board.sh — `make bench-board`: the board subscription against the
# same watchers each holding one sub per instrument, in one run:
#   1,000 watchers at 100 instruments × 1 Hz, 100 watchers at 10,000 × 1 Hz
# (the second compares with 100 subs each: --max-subs is 256). Per row:
# tickgw's CPU over the window (% of one core), bytes per watcher per
# second, and the tick time → frame received latency (p50, p99) at the load
# client (bench/board.mjs, node: its own CPU is printed, as a busy client
# adds to the latency). SECONDS_RUN overrides the window.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SECONDS_RUN=${SECONDS_RUN:-10}
TMP=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT
source bench/lib.sh

run() { # $1 instruments, $2 watchers, $3 mode, $4 name width
    RPORT=$(free_port); GPORT=$(free_port)
    redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$TMP" --daemonize no --logfile "$TMP/redis.log" &
    local rpid=$!; pids+=($rpid)
    until redis-cli -p "$RPORT" ping >/dev/null 2>&1; do sleep 0.05; done
    "$BUILD/tickgen" --redis "redis://127.0.0.1:$RPORT" --instruments "$1" --rollups off --log-level warn 2>"$TMP/gen.log" &
    local gpid=$!; pids+=($gpid)
    "$BUILD/tickgw" --redis "redis://127.0.0.1:$RPORT" --listen "127.0.0.1:$GPORT" --threads 1 --log-level warn 2>"$TMP/gw.log" &
    local wpid=$!; pids+=($wpid)
    until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$GPORT/readyz")" = 200 ]; do sleep 0.1; done
    node bench/board.mjs --url "ws://127.0.0.1:$GPORT/ws" --conns "$2" --mode "$3" --subs 100 --width "$4" \
        --warmup 4 --seconds "$SECONDS_RUN" > "$TMP/out.json" &
    local npid=$!
    sleep 4
    local c0 t0 c1 t1
    c0=$(cpu_ticks "$wpid"); t0=$(date +%s.%N)
    sleep "$SECONDS_RUN"
    c1=$(cpu_ticks "$wpid"); t1=$(date +%s.%N)
    wait "$npid"
    python3 - "$1" "$2" "$3" "$c0" "$c1" "$t0" "$t1" "$hz" "$TMP/out.json" <<'PY'
import json, sys
inst, n, mode, c0, c1, t0, t1, hz, out = sys.argv[1:]
r = json.load(open(out))
cpu = 100 * (int(c1) - int(c0)) / int(hz) / (float(t1) - float(t0))
print(f"| {int(inst):,} | {int(n):,} | {mode} | {cpu:.1f} % | {r['bytes_per_conn_s']:,.0f} | {r['msgs_per_conn_s']:.1f} | "
      f"{r['p50_ms']} / {r['p99_ms']} ms | {r['client_cpu_pct']:.0f} % | {r['open']}/{n} open")
PY
    kill -TERM "$wpid" "$gpid" "$rpid" 2>/dev/null || true
    wait "$wpid" "$gpid" "$rpid" 2>/dev/null || true
}

echo "| instruments | watchers | each holds | tickgw CPU | bytes/watcher/s | msgs/watcher/s | latency p50 / p99 | client CPU | |"
echo "|---|---|---|---|---|---|---|---|---|"
run 100 1000 board 2
run 100 1000 subs 2
run 10000 100 board 4
run 10000 100 subs 4
