#!/bin/bash
# bench/memory.sh — `make bench-memory`: what Redis holds per stream and per
# entry, the constants of tickgen's memory estimate (generator/gen_sizing.h,
# docs/REDIS.md "Sizing"). Each figure is the INFO memory used_memory (what
# the allocator holds: the figure maxmemory is compared with, unlike MEMORY
# USAGE, which counts the bytes used in each listpack) that a DEL gives
# back, so what a client connection or the script cache holds is not in it:
#   floor:   N (1,000) tick streams of one entry, then N candle streams of
#            one candle, per stream (a key, the stream, its radix tree, and
#            the tail listpack node Redis 7 preallocates at
#            stream-node-max-bytes);
#   entries: DAYS (7) days of 1 s ticks of one instrument (bench/fill.py,
#            a ±1 walk from 0, as tickgen writes), then the candles of the
#            default ladder that tickgen --rebuild-rollups makes of them,
#            less one floor per stream, per entry.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
DAYS=${DAYS:-7}
N=${N:-1000}
source bench/lib.sh
bench_init
bench_redis
cli() { redis-cli -p "$RPORT" "$@"; }
mem() { cli INFO memory | awk -F: '/^used_memory:/ {print $2+0}'; }
# The used_memory a DEL of the keys matching $1 gives back.
freed() {
    local a; a=$(mem)
    cli --scan --pattern "$1" | xargs -r -n 500 redis-cli -p "$RPORT" DEL >/dev/null
    echo $(( a - $(mem) ))
}
per() { python3 -c "print(f'{$1:.1f}')"; }
echo "redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'), stream-node-max-bytes" \
    "$(cli CONFIG GET stream-node-max-bytes | tail -1), stream-node-max-entries $(cli CONFIG GET stream-node-max-entries | tail -1)"

for i in $(seq "$N"); do echo "XADD ts:tick:{floor_$i} 1000-0 p 0"; done | cli --pipe >/dev/null
for i in $(seq "$N"); do echo "XADD ts:candle:10s:{floor_$i} 10000-0 o 1 h 2 l 0 c 1 n 10"; done | cli --pipe >/dev/null
ft=$(( $(freed 'ts:tick:{floor_*}') / N )); fc=$(( $(freed 'ts:candle:*') / N ))
echo "floor: a tick stream of one entry $ft B, a candle stream of one candle $fc B (used_memory freed by DEL of $N each)"

python3 bench/fill.py "$DAYS" ticker_00 | cli --pipe >/dev/null
"$BUILD/tickgen" --redis "redis://127.0.0.1:$RPORT" --instruments 1 --retention "${DAYS}d" --rebuild-rollups \
    --log-level info 2>"$TMP/gen.log" &
pids+=($!)
wait_log "$TMP/gen.log" "rollups rebuilt" "${pids[-1]}"
kill -TERM "${pids[-1]}"; wait "${pids[-1]}" || true
ticks=$(cli XLEN 'ts:tick:{ticker_00}')
candles=0; levels=0
for l in $(cli HGET ts:meta rollups | tr ',' '\n' | cut -d: -f1); do
    candles=$(( candles + $(cli XLEN "ts:candle:$l:{ticker_00}") )); levels=$((levels + 1))
done
bc=$(freed 'ts:candle:*'); bt=$(freed 'ts:tick:*')
echo "ticks: $ticks entries, $bt B: $(per "($bt - $ft) / $ticks") B an entry"
echo "candles: $candles in $levels streams, $bc B: $(per "($bc - $levels * $fc) / $candles") B a candle"
