#!/bin/bash
# tools/bench-fence.sh — what the fenced write (every tick time's commands as
# EVALs of generator/gen_fence.c's script) costs: tickgen built before the
# lease (OLD) against this build (NEW), interleaved in one run, flat out
# (--interval-ms 1, always behind, so it writes as fast as it can) at N
# instruments with rollups off, WINDOW s each, ROUNDS rounds; a fresh
# redis-server (no persistence) for each. docs/PERFORMANCE.md has the
# figures and how OLD was built:
#
#   git archive 2efdeda^ | (mkdir -p /tmp/old && tar -x -C /tmp/old) && make -C /tmp/old build/tickgen
#   OLD=/tmp/old/build/tickgen tools/bench-fence.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
OLD=${OLD:?OLD=path of a tickgen built before the lease} NEW=${NEW:-build/tickgen} N=${N:-100000} WINDOW=${WINDOW:-8} ROUNDS=${ROUNDS:-3}
TMP=$(mktemp -d); rpid=""; gpid=""
cleanup() {
    [ -n "$gpid" ] && kill -KILL "$gpid" 2>/dev/null || true
    [ -n "$rpid" ] && kill -KILL "$rpid" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
xadds() { redis-cli -p "$PORT" INFO commandstats | tr -d '\r' | awk -F'[=,:]' '/^cmdstat_xadd:/ {print $3}'; }
run() {
    local bin=$1
    PORT=$(free_port)
    redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$TMP" --daemonize no --logfile "$TMP/r.log" & rpid=$!
    until redis-cli -p "$PORT" ping >/dev/null 2>&1; do sleep 0.05; done
    "$bin" --redis "redis://127.0.0.1:$PORT" --instruments "$N" --interval-ms 1 --retention 10m --log-level warn --rollups off 2>"$TMP/g.log" & gpid=$!
    sleep 2
    local c0 g0 r0 t0 c1 g1 r1 t1
    c0=$(xadds); g0=$(cpu_ticks $gpid); r0=$(cpu_ticks $rpid); t0=$(date +%s.%N)
    sleep "$WINDOW"
    c1=$(xadds); g1=$(cpu_ticks $gpid); r1=$(cpu_ticks $rpid); t1=$(date +%s.%N)
    kill -TERM $gpid; wait $gpid 2>/dev/null || true; gpid=""
    kill -TERM $rpid; wait $rpid 2>/dev/null || true; rpid=""
    awk -v c0="$c0" -v c1="$c1" -v g0="$g0" -v g1="$g1" -v r0="$r0" -v r1="$r1" -v t0="$t0" -v t1="$t1" -v hz="$hz" \
        'BEGIN { d = t1 - t0; printf "%.0f %.0f %.0f\n", (c1 - c0) / d, 100 * (g1 - g0) / hz / d, 100 * (r1 - r0) / hz / d }'
}
echo "| round | build | entries/s | tickgen CPU % | redis CPU % |"
echo "|---|---|---:|---:|---:|"
for r in $(seq 1 "$ROUNDS"); do
    for b in old new; do
        bin=$OLD; [ $b = new ] && bin=$NEW
        read -r rate g rr < <(run "$bin")
        echo "| $r | $b | $rate | $g | $rr |"
    done
done
