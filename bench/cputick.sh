#!/bin/bash
# bench/cputick.sh — user and system CPU of tickgw per delivered tick, for
# a before/after on a noisy machine: one redis-server and tickgen, then each
# tickgw given in turn (pinned like bench/gateway.sh: tickgw alone on CPU 0,
# --threads 1, the rest on CPU 1) under CLIENTS build/bench/wsload clients,
# its /proc user and system time and its write syscalls (/proc/PID/io
# syscw: one writev per client write) over an 8 s window:
#
#   bench/cputick.sh 10 1000 old/tickgw build/tickgw old/tickgw build/tickgw
#
# Arguments: interval ms, clients, tickgw binaries (repeat them to alternate).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
IV=$1; N=$2; shift 2
TMP=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT
source bench/lib.sh
metric() { curl -sf "http://127.0.0.1:$GPORT/metrics" | awk -v k="$1" '$1 == k {print $2}'; }

RPORT=$(free_port)
taskset -c 1 redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$TMP" --daemonize no \
    --logfile "$TMP/redis.log" &
pids+=($!)
until redis-cli -p "$RPORT" ping >/dev/null 2>&1; do sleep 0.05; done
taskset -c 1 "$BUILD/tickgen" --redis "redis://127.0.0.1:$RPORT" --interval-ms "$IV" --log-level warn 2>"$TMP/gen.log" &
pids+=($!)
sleep 1
echo "interval $IV ms, $N clients, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for gw in "$@"; do
    GPORT=$(free_port)
    taskset -c 0 "$gw" --redis "redis://127.0.0.1:$RPORT" --listen "127.0.0.1:$GPORT" --threads 1 --log-level warn \
        2>"$TMP/gw.log" &
    wp=$!; pids+=($wp)
    until curl -sf "http://127.0.0.1:$GPORT/readyz" >/dev/null; do sleep 0.05; done
    taskset -c 1 "$BUILD/bench/wsload" --port "$GPORT" --conns "$N" --seconds 11 --warmup 2 \
        --redis "redis://127.0.0.1:$RPORT" >"$TMP/out.json" &
    lp=$!
    sleep 3
    m0=$(metric tickgw_messages_sent_total)
    read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$wp/stat")
    w0=$(awk '$1 == "syscw:" {print $2}' "/proc/$wp/io")
    sleep 8
    read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$wp/stat")
    w1=$(awk '$1 == "syscw:" {print $2}' "/proc/$wp/io")
    m1=$(metric tickgw_messages_sent_total)
    wait "$lp" || true
    python3 - "$TMP/out.json" "$gw" "$u0" "$s0" "$u1" "$s1" "$hz" "$((m1 - m0))" "$((w1 - w0))" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); gw = sys.argv[2]
u0, s0, u1, s1, hz, msgs, writes = map(float, sys.argv[3:])
u, s, ticks = (u1 - u0) / hz, (s1 - s0) / hz, r['msgs_per_s'] * 8
print(f"{gw}: {r['msgs_per_s']:.0f} ticks/s in {msgs:.0f} messages over 8 s; user {1e6 * u / ticks:.2f} + system "
      f"{1e6 * s / ticks:.2f} = {1e6 * (u + s) / ticks:.2f} us CPU a tick; {writes / ticks:.2f} writes a tick; "
      f"p50 / p99 {r['p50_ms']:.1f} / {r['p99_ms']:.1f} ms")
PY
    kill -TERM "$wp"; wait "$wp" 2>/dev/null || true
done
