#!/bin/bash
# bench/candlefan.sh — `make bench-candlefan`: what a live candle update
# costs the gateway against a live tick, to decide whether candle updates
# should be encoded once per (instrument, width) per fan-out, as ticks are,
# rather than once per subscriber (gateway/core/gw_candles.c). N (400)
# WebSocket clients (JSON) of one instrument at a 20 ms interval, once as
# candles of WIDTH (1s), once as ticks (bench/candlefan-client.mjs); tickgw's
# CPU time (/proc) per message delivered over SECS (10) s.
# Placement: tickgw alone on CPU 0 (--threads 1), the rest on CPU 1.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
N=${N:-400}; SECS=${SECS:-10}; WIDTH=${WIDTH:-1s}
source bench/lib.sh
bench_init
bench_redis
GPORT=$(free_port)
$CPU_REST "$BUILD/tickgen" --redis "redis://127.0.0.1:$RPORT" --instruments 4 --interval-ms 20 --log-level warn 2>"$TMP/gen.log" &
pids+=($!)
$CPU_GW "$BUILD/tickgw" --redis "redis://127.0.0.1:$RPORT" --listen "127.0.0.1:$GPORT" --threads 1 --log-level warn 2>"$TMP/gw.log" &
pids+=($!)
gw=${pids[-1]}
until curl -sf "http://127.0.0.1:$GPORT/readyz" >/dev/null; do sleep 0.05; done
for what in "$WIDTH" ticks; do $CPU_REST node bench/candlefan-client.mjs "$GPORT" "$N" "$what" "$SECS" "$gw"; done
