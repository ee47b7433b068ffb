#!/bin/bash
# bench/page.sh — `make bench-page`: the web page over a long history, the
# page as it was (BEFORE, default main: every retained tick downloaded) vs
# this tree's (one range request for the window, docs/PROTOCOL.md
# "Ranges"). One Redis holds 30 days of 1 s ticks of ticker_00 and 7 days
# of ticker_01 (written with redis-cli --pipe, candles made by tickgen
# --rebuild-rollups, the generator then live at 1 Hz); two tickgw serve it,
# one with each page; bench/page-client.mjs drives headless Chromium and
# prints the table for docs/PERFORMANCE.md (time to live, bytes, heap, for
# the first load and a switch of instrument, with the after/before ratios).
#
# Placement: both tickgw on CPU 0 (--threads 1), the rest on CPU 1.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BEFORE=${BEFORE:-main}
source bench/lib.sh
bench_init

# The page as it was, with the same vendored libraries.
mkdir -p "$TMP/before"
git archive "$BEFORE" webui | tar -x -C "$TMP/before"
cp -r webui/vendor "$TMP/before/webui/"
echo "before: webui/ of $BEFORE ($(git rev-parse --short "$BEFORE")); after: this tree's"

bench_redis
python3 bench/fill.py 30 ticker_00 | redis-cli -p "$RPORT" --pipe >/dev/null
python3 bench/fill.py 7 ticker_01 | redis-cli -p "$RPORT" --pipe >/dev/null
echo "filled: ticker_00 $(redis-cli -p "$RPORT" XLEN 'ts:tick:{ticker_00}') ticks, ticker_01 $(redis-cli -p "$RPORT" XLEN 'ts:tick:{ticker_01}')"

$CPU_REST "$BUILD/tickgen" --redis "redis://127.0.0.1:$RPORT" --instruments 3 --retention 30d --rebuild-rollups \
    --log-level info 2>"$TMP/gen.log" &
pids+=($!)
wait_log "$TMP/gen.log" "rollups rebuilt" "${pids[-1]}"

ports=()
for dir in "$TMP/before/webui" webui; do
    port=$(free_port)
    $CPU_GW "$BUILD/tickgw" --redis "redis://127.0.0.1:$RPORT" --listen "127.0.0.1:$port" --threads 1 \
        --webui "$dir" --log-level warn 2>>"$TMP/gw.log" &
    pids+=($!)
    ports+=("$port")
done
for port in "${ports[@]}"; do until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.05; done; done
echo
$CPU_REST node bench/page-client.mjs "${ports[0]}" "${ports[1]}" ticker_01:7d ticker_00:30d
