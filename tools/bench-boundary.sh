#!/bin/bash
# tools/bench-boundary.sh — what one Redis core needs to write the candles
# of a boundary: N instruments × LEVELS levels closing in one tick time's
# MULTI/EXEC, in the layouts of tools/boundary.py (fenced = tickgen today,
# plain, packed, hash = time-major). For each layout ROUNDS boundaries on
# one fresh redis-server (no persistence); the first boundary, which
# creates the streams, is not counted. Printed per layout: Redis CPU
# (INFO cpu, user+sys) and EXEC's own time (INFO commandstats) per
# boundary, and per candle. docs/PERFORMANCE.md has the figures:
#
#   tools/bench-boundary.sh                 # N=100000 LEVELS=7 ROUNDS=2
#
# READS="100:10000 5000:2000" (instruments:buckets) then times the read of
# one instrument's whole history in each layout, 5 times on a fresh
# database each: XRANGE of its stream against one EVAL_RO doing an HGET
# per bucket hash (what the gateway would do with the time-major layout).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
N=${N:-100000} LEVELS=${LEVELS:-7} ROUNDS=${ROUNDS:-2} MODES=${MODES-"fenced plain packed hash"}
TMP=$(mktemp -d); rpid=""
cleanup() { [ -n "$rpid" ] && kill -KILL "$rpid" 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT
PORT=$(free_port)
redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$TMP" --daemonize no --logfile "$TMP/r.log" & rpid=$!
until redis-cli -p "$PORT" ping >/dev/null 2>&1; do sleep 0.05; done
cpu() { redis-cli -p "$PORT" INFO cpu | tr -d '\r' | awk -F: '/^used_cpu_(user|sys):/ {s += $2} END {printf "%.3f", s}'; }
exec_us() { redis-cli -p "$PORT" INFO commandstats | tr -d '\r' | awk -F'[=,:]' '/^cmdstat_exec:/ {print $5}'; }
t=1700000000000
echo "$N instruments × $LEVELS levels a boundary, $ROUNDS rounds; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for mode in $MODES; do
    t=$((t + 1000)); python3 tools/boundary.py "$mode" "$N" "$LEVELS" "$t" | redis-cli -p "$PORT" --pipe >/dev/null
    for r in $(seq "$ROUNDS"); do
        t=$((t + 1000)); python3 tools/boundary.py "$mode" "$N" "$LEVELS" "$t" >"$TMP/in"
        c0=$(cpu); e0=$(exec_us); out=$(redis-cli -p "$PORT" --pipe <"$TMP/in" | tail -1); c1=$(cpu); e1=$(exec_us)
        case $out in *"errors: 0"*) ;; *) echo "$mode: $out" >&2; exit 1 ;; esac
        python3 -c 'import sys; m, n, c, e = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
print(f"{m:7s} Redis CPU {c:.2f} s ({1e6 * c / n:.2f} us a candle), EXEC {e / 1e6:.2f} s ({e / n:.2f} us a candle)")' \
            "$mode" "$((N * LEVELS))" "$(echo "$c1 - $c0" | bc)" "$((${e1:-0} - ${e0:-0}))"
    done
done
[ -n "$MODES" ] && echo "Redis used_memory: $(redis-cli -p "$PORT" INFO memory | tr -d '\r' | awk -F: '/^used_memory_human:/ {print $2}')"
stat_us() { redis-cli -p "$PORT" INFO commandstats | tr -d '\r' | awk -F'[=,:]' -v c="cmdstat_$1" '$1 == c {print $7}'; }
HGETS='local r = {} for t = tonumber(ARGV[2]), tonumber(ARGV[3]), 60000 do r[#r + 1] = redis.call("HGET", "h:r:" .. t, ARGV[1]) end return r'
for rd in ${READS:-}; do
    n=${rd%%:*} b=${rd##*:}
    redis-cli -p "$PORT" FLUSHALL >/dev/null
    python3 tools/boundary.py history "$n" "$b" "$t" | redis-cli -p "$PORT" --pipe >/dev/null
    mem=$(redis-cli -p "$PORT" INFO memory | tr -d '\r' | awk -F: '/^used_memory_human:/ {print $2}')
    redis-cli -p "$PORT" CONFIG RESETSTAT >/dev/null
    for _ in 1 2 3 4 5; do
        x=$(redis-cli -p "$PORT" XRANGE c:r:2 - + | wc -l)
        h=$(redis-cli -p "$PORT" EVAL_RO "$HGETS" 0 ticker_00002 "$t" "$((t + (b - 1) * 60000))" | wc -l)
    done
    [ "$x" = $((b * 11)) ] && [ "$h" = "$b" ] || { echo "read $rd: $x lines from XRANGE, $h from the hashes" >&2; exit 1; }
    echo "$n instruments, $b buckets ($mem): XRANGE $(stat_us xrange) us, HGET per bucket $(stat_us eval_ro) us a read"
done
