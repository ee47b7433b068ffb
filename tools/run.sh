#!/bin/sh
# tools/run.sh — `make run`: a private redis-server (data under var/redis,
# AOF on, 127.0.0.1:$REDIS_PORT), the generator and a gateway, in the
# foreground. Ctrl-C stops all three, each by its own PID.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
REDIS_PORT=${REDIS_PORT:-6390}
PORT=${PORT:-8080}
mkdir -p var/redis

redis_pid="" gen_pid="" gw_pid=""
stop() {
    trap - INT TERM EXIT
    for pid in $gw_pid $gen_pid; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in $gw_pid $gen_pid; do wait "$pid" 2>/dev/null || true; done
    # SIGTERM makes redis flush its AOF before it exits.
    [ -n "$redis_pid" ] && kill -TERM "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null || true
    echo "run: stopped"
}
trap stop INT TERM EXIT

if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    echo "run: port $REDIS_PORT is already in use (another redis?); set REDIS_PORT=... to use another" >&2
    exit 1
fi
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$PWD/var/redis" --appendonly yes \
    --save "" --daemonize no --logfile "$PWD/var/redis.log" &
redis_pid=$!
i=0
# PING answers LOADING while the AOF is replayed: wait for PONG.
until [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; do
    i=$((i + 1))
    if [ $i -gt 100 ]; then echo "run: redis-server did not start; see var/redis.log" >&2; exit 1; fi
    sleep 0.1
done
echo "run: redis-server on 127.0.0.1:$REDIS_PORT (data in var/redis, log var/redis.log)"

"$BUILD/tickgen" --redis "redis://127.0.0.1:$REDIS_PORT" &
gen_pid=$!
if [ -x "$BUILD/tickgw" ]; then
    "$BUILD/tickgw" --redis "redis://127.0.0.1:$REDIS_PORT" --listen "127.0.0.1:$PORT" --webui webui &
    gw_pid=$!
    echo "run: open http://127.0.0.1:$PORT/  (Ctrl-C stops everything)"
else
    echo "run: generator running (Ctrl-C stops everything)"
fi
echo "run: look inside with: redis-cli -p $REDIS_PORT XREVRANGE 'ts:tick:{ticker_07}' + - COUNT 5"
# Wait for the first daemon to end (or Ctrl-C); stop() then ends the rest.
while kill -0 "$gen_pid" 2>/dev/null && { [ -z "$gw_pid" ] || kill -0 "$gw_pid" 2>/dev/null; }; do
    sleep 1
done
