#!/bin/bash
# bench/range.sh — `make bench-range`: how fast tickgw answers a range
# request (docs/PROTOCOL.md "Ranges") over DAYS (30) days of 1 Hz history of
# one instrument: 2,592,000 raw ticks written straight into Redis with
# redis-cli --pipe, then the candles made by `tickgen --rebuild-rollups` (the
# default ladder, raw retention DAYS), then range requests of 1,000 points
# (POINTS) at every zoom from the whole history down to one minute, PANS (40)
# random positions each (bench/range-client.mjs). Prints the time to fill and
# to rebuild, Redis's memory, and a table for docs/PERFORMANCE.md.
# RAW_DAYS (default DAYS) is tickgen's --retention in days: RAW_DAYS=1 is the
# default raw retention, the candles still rebuilt from all DAYS of ticks
# before the live writes trim the raw stream.
#
# Placement as in bench/gateway.sh: tickgw alone on CPU 0 (--threads 1),
# redis-server, tickgen and the client on CPU 1.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
DAYS=${DAYS:-30}
PANS=${PANS:-40}
POINTS=${POINTS:-1000}
RAW_DAYS=${RAW_DAYS:-$DAYS}
ROLLUPS=${ROLLUPS:-} # tickgen --rollups: another ladder to compare (default: tickgen's)
source bench/lib.sh
bench_init

bench_redis
GPORT=$(free_port)

# DAYS of 1 s ticks of ticker_00 ending a second ago, a ±1 walk.
t0=$(date +%s.%N)
python3 bench/fill.py "$DAYS" ticker_00 | redis-cli -p "$RPORT" --pipe >/dev/null
t1=$(date +%s.%N)
ticks=$(redis-cli -p "$RPORT" XLEN 'ts:tick:{ticker_00}')
oldest=$(redis-cli -p "$RPORT" XRANGE 'ts:tick:{ticker_00}' - + COUNT 1 | head -1 | cut -d- -f1)
raw_mem=$(redis-cli -p "$RPORT" MEMORY USAGE 'ts:tick:{ticker_00}' SAMPLES 0)
echo "filled $ticks ticks of ticker_00 in $(python3 -c "print(f'{$t1 - $t0:.1f}')") s (raw stream: $((raw_mem / 1048576)) MiB)"

ret=$(python3 -c "print(f'{int(float($RAW_DAYS) * 86400)}s')")
$CPU_REST "$BUILD/tickgen" --redis "redis://127.0.0.1:$RPORT" --instruments 1 --retention "$ret" --rebuild-rollups ${ROLLUPS:+--rollups "$ROLLUPS"} \
    --log-level info 2>"$TMP/gen.log" &
pids+=($!)
wait_log "$TMP/gen.log" "rollups rebuilt" "${pids[-1]}"
t2=$(date +%s.%N)
echo "tickgen --rebuild-rollups: $(python3 -c "print(f'{$t2 - $t1:.1f}')") s"
for l in $(redis-cli -p "$RPORT" HGET ts:meta rollups | tr ',' '\n' | cut -d: -f1); do
    echo "  ts:candle:$l: $(redis-cli -p "$RPORT" XLEN "ts:candle:$l:{ticker_00}") candles," \
        "$(( $(redis-cli -p "$RPORT" MEMORY USAGE "ts:candle:$l:{ticker_00}" SAMPLES 0) / 1024 )) KiB"
done

$CPU_GW "$BUILD/tickgw" --redis "redis://127.0.0.1:$RPORT" --listen "127.0.0.1:$GPORT" --threads 1 --log-level warn 2>"$TMP/gw.log" &
pids+=($!)
until curl -sf "http://127.0.0.1:$GPORT/readyz" >/dev/null; do sleep 0.05; done
echo
echo "range requests of $POINTS points over one WebSocket, one at a time ($PANS random windows per zoom + the live edge):"
$CPU_REST node bench/range-client.mjs "$GPORT" ticker_00 "$oldest" "$PANS" "$POINTS" "$RPORT"
