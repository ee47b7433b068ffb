#!/bin/bash
# bench/gateway.sh — `make bench-gateway`: tickgw under 100 / 1,000 / 5,000
# WebSocket clients (one instrument each) at 100 instruments × 1 Hz and at
# stress rates (10 ms × 1,000 clients, 1 ms × 100), and the time and bytes of
# a 86,400-tick catch-up. RUNS="interval_ms:clients ..." and SECONDS_RUN
# override the runs. At 1 Hz each row also gets the kernel's floor for the
# same number of loopback writes (bench/sockfloor.c) and tickgw's mean
# fan-out time (tickgw_fanout_seconds), so their ratio comes from one run.
#
# Placement on a small machine: the gateway runs alone on CPU 0 (--threads 1),
# redis-server, tickgen and the load client (build/bench/wsload) share CPU 1,
# so the client's reading never preempts the gateway's writing. Latency is
# printed twice: from the tick's time t, and from the arrival of the same
# ts:live message at wsload's own Redis subscriber (what the gateway adds).
#
# Before/after in one run: GWS="old/tickgw build/tickgw" runs every row with
# each binary in turn (same Redis setup, one after the other). THREADS=N
# gives tickgw --threads N; above 1 (or with PIN=0) nothing is pinned (the
# threads need both CPUs). After each stress row (TIMELINE=1: every row)
# come its per-second ticks and p50 / p99: does latency grow over the
# window? "delivered" is the share of the offered ticks (clients x
# 1000/interval per second) the clients got.
#
# Catch-up: DAYS (1) days of ticker_00 at 1 Hz, tickgen --retention DAYS d;
# CATCHUP_COLD=N also restarts the gateway N times and times the first
# catch-up of each fresh process (cold) before the 20 warm rounds (of the
# last binary); with CATCHUP_GW="old new" each round starts each in turn.
#
# The catch-up client offers permessage-deflate as browsers do (DEFLATE=0:
# not) and counts the bytes of the frames as they came, compressed or not.
#
# Catch-up only, before/after: CATCHUP_ONLY=1 CATCHUP_GW="old/tickgw build/tickgw"
# CATCHUP_TIMES=4 bench/gateway.sh runs the 20 rounds with each binary in
# turn, 4 times, against one Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SECONDS_RUN=${SECONDS_RUN:-8}
# interval_ms:clients pairs: 1 Hz at three sizes, then stress rates (the
# last one the overload of issue 12: 1,000,000 ticks/s offered).
RUNS=${RUNS:-"1000:100 1000:1000 1000:5000 10:1000 1:100 1:1000"}
TMP=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT
source bench/lib.sh
GWS=${GWS:-$BUILD/tickgw}
THREADS=${THREADS:-1}
CPU_GW="taskset -c 0"; CPU_REST="taskset -c 1"
[ "$(nproc)" -ge 2 ] && [ "$THREADS" = 1 ] && [ "${PIN:-1}" = 1 ] || { CPU_GW=""; CPU_REST=""; }

start() { # $1 = interval ms, $2 = tickgw binary; starts redis, tickgen, tickgw; sets RPORT GPORT GW_PID
    RPORT=$(free_port); GPORT=$(free_port)
    $CPU_REST redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$TMP" --daemonize no --logfile "$TMP/redis.log" &
    pids+=($!)
    until redis-cli -p "$RPORT" ping >/dev/null 2>&1; do sleep 0.05; done
    if [ -n "${PREPARE:-}" ]; then $PREPARE; fi
    $CPU_REST "$BUILD/tickgen" --redis "redis://127.0.0.1:$RPORT" --interval-ms "$1" --retention "${DAYS:-1}d" \
        --log-level warn 2>"$TMP/gen.log" &
    pids+=($!)
    sleep 1
    start_gw "${2:-$BUILD/tickgw}"
}
start_gw() { # $1 = tickgw binary; sets GW_PID
    $CPU_GW "$1" --redis "redis://127.0.0.1:$RPORT" --listen "127.0.0.1:$GPORT" --threads "$THREADS" --log-level warn 2>"$TMP/gw.log" &
    GW_PID=$!; pids+=($GW_PID)
    until curl -sf "http://127.0.0.1:$GPORT/readyz" >/dev/null; do sleep 0.05; done
}
stop_gw() { # stops GW_PID and forgets it
    kill -TERM "$GW_PID" 2>/dev/null || true; wait "$GW_PID" 2>/dev/null || true
    local keep=() p; for p in "${pids[@]}"; do [ "$p" = "$GW_PID" ] || keep+=("$p"); done; pids=("${keep[@]}")
}
stop() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; pids=(); }

# Mean of tickgw_fanout_seconds (sum, count) from /metrics.
fanout() { curl -sf "http://127.0.0.1:$GPORT/metrics" | awk '/^tickgw_fanout_seconds_sum/ {s=$2} /^tickgw_fanout_seconds_count/ {c=$2} END {print s, c}'; }

[ -n "${CATCHUP_ONLY:-}" ] || {
echo "load average $(cut -d' ' -f1-3 /proc/loadavg), tickgw --threads $THREADS"
echo "| gateway | interval | clients | ticks/s delivered | p50 / p99 / max from t (ms) | p50 / p99 / max from Redis (ms) | fan-out mean (ms) | kernel floor (ms) | gateway CPU | client CPU | gateway RSS / client |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for run in $RUNS; do
  for gw in $GWS; do
    iv=${run%%:*}; n=${run##*:}
    {
        start "$iv" "$gw"
        rss0=$(rss_kb "$GW_PID")
        $CPU_REST "$BUILD/bench/wsload" --port "$GPORT" --conns "$n" --seconds "$SECONDS_RUN" --warmup 3 \
            --redis "redis://127.0.0.1:$RPORT" > "$TMP/out.json" &
        lp=$!
        sleep 3.5
        c0=$(cpu_ticks "$GW_PID"); t0=$(date +%s.%N); f0=$(fanout)
        sleep $((SECONDS_RUN - 1))
        c1=$(cpu_ticks "$GW_PID"); t1=$(date +%s.%N); rss1=$(rss_kb "$GW_PID"); f1=$(fanout)
        wait "$lp" || true
        stop
        # The same N loopback writes with nothing but the kernel in the way
        # (bench/sockfloor.c), placed like tickgw and wsload.
        if [ "$iv" = 1000 ]; then
            $CPU_REST "$BUILD/bench/sockfloor" "$n" 20 ${CPU_GW:+0} > "$TMP/floor.json"
        else
            echo '{"median_ms": null}' > "$TMP/floor.json"
        fi
        python3 - "$TMP/out.json" "$TMP/floor.json" "$iv" "$n" "$gw" "${TIMELINE:-}" "$c0" "$c1" "$t0" "$t1" "$hz" "$rss0" "$rss1" $f0 $f1 <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); fl = json.load(open(sys.argv[2])); iv, n = sys.argv[3], int(sys.argv[4])
gwname, timeline = sys.argv[5], sys.argv[6]
c0, c1, t0, t1, hz, rss0, rss1, s0, k0, s1, k1 = map(float, sys.argv[7:])
offered = n * 1000 / int(iv)
gw = 100 * (c1 - c0) / hz / (t1 - t0)
fan = 1e3 * (s1 - s0) / (k1 - k0) if k1 > k0 else float('nan')
floor = "–" if fl['median_ms'] is None else f"{fl['median_ms']:.1f}"
print(f"| {gwname} | {iv} ms | {n} | {r['msgs_per_s']:.0f} ({100 * r['msgs_per_s'] / offered:.1f} %) | {r['p50_ms']:.1f} / {r['p99_ms']:.1f} / {r['max_ms']:.1f} | "
      f"{r['gw_p50_ms']:.1f} / {r['gw_p99_ms']:.1f} / {r['gw_max_ms']:.1f} | {fan:.1f} | {floor} | {gw:.0f}% | "
      f"{r['client_cpu_pct']:.0f}% | {(rss1 - rss0) / n:.1f} KB |" + ("" if r['failed'] == 0 else f" ({r['failed']} failed)"))
if timeline or int(iv) < 1000:
    print("  second: ticks delivered, p50 / p99 from t (ms): " +
          "; ".join(f"{s}: {k}, {a:.0f} / {b:.0f}" for s, k, a, b in r['timeline']))
PY
    }
  done
done
}

# 86,400 ticks (a day at 1 Hz) of ticker_00, written before tickgen starts.
[ "${CATCHUP:-1}" = 1 ] || exit 0 # CATCHUP=0: the fan-out rows only
source bench/fill.sh
fill() { fill_days "$RPORT" "${DAYS:-1}"; }
PREPARE=fill start 1000
echo
echo "$((86400 * ${DAYS:-1}))-tick catch-up of ticker_00 (msgpack, sub since=0, 20 rounds, deflate offered: ${DEFLATE:-1}), load average $(cut -d' ' -f1-3 /proc/loadavg):"
run_catchup() {
    # Until the first live tick the ring is empty and a catch-up ends by
    # waiting for it (WAIT_SYNC, up to 1 s): measure once the ring has begun.
    until curl -sf "http://127.0.0.1:$GPORT/metrics" | grep -q '^tickgw_live_messages_total [1-9]'; do sleep 0.05; done
    local u0 u1
    u0=$(xrange_usec)
    $CPU_REST "$BUILD/bench/wsload" --port "$GPORT" --mode catchup --sym ticker_00 --repeat 20 --deflate "${DEFLATE:-1}"
    u1=$(xrange_usec)
    echo "  Redis' own XRANGE time (INFO commandstats): $(( (u1 - u0) / 20 )) us a catch-up"
}
# Microseconds Redis has spent in XRANGE so far.
xrange_usec() { redis-cli -p "$RPORT" INFO commandstats | awk -F'[=,]' '/^cmdstat_xrange:/ {print $4; f=1} END {if (!f) print 0}'; }
if [ -n "${CATCHUP_COLD:-}" ]; then
    for _ in $(seq "$CATCHUP_COLD"); do
      for gw in ${CATCHUP_GW:-$BUILD/tickgw}; do
        stop_gw; start_gw "$gw"
        until curl -sf "http://127.0.0.1:$GPORT/metrics" | grep -q '^tickgw_live_messages_total [1-9]'; do sleep 0.05; done
        echo -n "cold${CATCHUP_GW:+ $gw}: "; $CPU_REST "$BUILD/bench/wsload" --port "$GPORT" --mode catchup --sym ticker_00 --repeat 1 --deflate "${DEFLATE:-1}"
      done
    done
    echo -n "warm: "; run_catchup
elif [ -z "${CATCHUP_GW:-}" ]; then
    run_catchup
else
    for _ in $(seq "${CATCHUP_TIMES:-1}"); do
        for gw in $CATCHUP_GW; do stop_gw; start_gw "$gw"; echo -n "$gw: "; run_catchup; done
    done
fi
stop
