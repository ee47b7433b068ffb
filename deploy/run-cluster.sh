#!/bin/bash
# deploy/run-cluster.sh — the compose topology on this host, no Docker:
# a private redis-server, the generator, N gateways and HAProxy in front,
# configured from the same deploy/haproxy/haproxy.cfg as docker-compose.
# `make run-cluster` runs it after building; Ctrl-C stops all of it.
#
# Like compose's `restart:` policy and systemd's Restart=on-failure, a gateway
# that crashes is started again after a second (the cluster test SIGKILLs one
# to check that its clients move and that it takes clients again).
#
# Settings (environment; the defaults are the contract's ports):
#   BUILD                   where the binaries are (build)
#   TS_CLUSTER_REDIS_PORT   6390
#   TS_CLUSTER_GW_PORTS     "8081 8082"
#   TS_CLUSTER_LB_PORT      8080
#   TS_CLUSTER_VAR          var  (redis data in $TS_CLUSTER_VAR/redis)
# Other TS_* variables (TS_INSTRUMENTS, TS_INTERVAL_MS, TS_LOG_LEVEL, …) reach
# the daemons as usual; the addresses are passed as flags, which win.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
REDIS_PORT=${TS_CLUSTER_REDIS_PORT:-6390}
GW_PORTS=${TS_CLUSTER_GW_PORTS:-8081 8082}
LB_PORT=${TS_CLUSTER_LB_PORT:-8080}
VAR=${TS_CLUSTER_VAR:-var}
REDIS_URL="redis://127.0.0.1:$REDIS_PORT"

say() { echo "run-cluster: $*"; }
die() { say "$*" >&2; exit 1; }

for b in "$BUILD/tickgen" "$BUILD/tickgw"; do
    [ -x "$b" ] || die "$b is missing: run \`make\` first (or \`make run-cluster\`)"
done
command -v redis-server >/dev/null || die "redis-server is missing: run \`make deps\`"
command -v haproxy >/dev/null || die "haproxy is missing: run \`make deps\`"

mkdir -p "$VAR/redis" "$VAR/cluster"
VAR=$(cd "$VAR" && pwd)

# Every process we start, by PID; stopped in reverse order on exit.
PIDS=()
NAMES=()
stopping=0

cleanup() {
    local rc=$?
    stopping=1
    trap - INT TERM EXIT
    local i
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        if kill -0 "${PIDS[i]}" 2>/dev/null; then
            say "stopping ${NAMES[i]} (pid ${PIDS[i]})"
            kill -TERM "${PIDS[i]}" 2>/dev/null || true
            # Bounded: a process that ignores TERM gets KILL after 5 s.
            for _ in $(seq 50); do kill -0 "${PIDS[i]}" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "${PIDS[i]}" 2>/dev/null || true
            wait "${PIDS[i]}" 2>/dev/null || true
        fi
    done
    say "stopped"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

started() { PIDS+=("$1"); NAMES+=("$2"); say "$2 pid $1"; }

# wait_until PID WHAT SECONDS CMD… — polls CMD every 100 ms, bounded, and
# gives up at once if process PID (the one being waited for) has exited.
wait_until() {
    local pid=$1 what=$2 secs=$3
    shift 3
    local n=$((secs * 10))
    while ! "$@" >/dev/null 2>&1; do
        kill -0 "$pid" 2>/dev/null || die "exited while waiting for $what"
        n=$((n - 1))
        [ "$n" -gt 0 ] || die "timed out after ${secs} s waiting for $what"
        sleep 0.1
    done
}

http_ok() { "$ROOT/deploy/healthcheck.sh" gateway "127.0.0.1:$1"; }
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

for p in "$REDIS_PORT" $GW_PORTS "$LB_PORT"; do
    port_free "$p" || die "port $p is in use (something else is running there)"
done

# 1. Redis, AOF on, data under var/ so history survives a restart.
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$VAR/redis" \
    --appendonly yes --save "" --daemonize no --protected-mode yes \
    --logfile "$VAR/cluster/redis.log" &
started $! "redis-server :$REDIS_PORT (log $VAR/cluster/redis.log)"
wait_until $! "redis on :$REDIS_PORT (see $VAR/cluster/redis.log)" 10 redis-cli -p "$REDIS_PORT" ping

# 2. The generator.
"$BUILD/tickgen" --redis "$REDIS_URL" &
started $! "tickgen"
wait_until $! "the generator to write ts:meta" 10 \
    bash -c "redis-cli -p $REDIS_PORT hexists ts:meta interval_ms | grep -qx 1"

# 3. The gateways, each restarted when it dies (compose's restart policy).
supervise() {
    local name=$1
    child=""
    shift
    # TERM from cleanup: stop the current gateway, then leave.
    trap 'stopping=1; [ -z "$child" ] || kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; exit 0' TERM
    trap '' INT
    while :; do
        "$@" &
        child=$!
        say "$name pid $child"
        local rc=0
        wait "$child" || rc=$?
        [ "$stopping" = 0 ] || exit 0
        # Like systemd's Restart=on-failure: a clean exit (e.g. its own
        # handling of Ctrl-C) is not a crash.
        if [ "$rc" = 0 ]; then say "$name exited cleanly"; exit 0; fi
        say "$name exited (status $rc), restarting in 1 s"
        sleep 1
    done
}
declare -A SUPERVISOR
for p in $GW_PORTS; do
    supervise "tickgw :$p" "$BUILD/tickgw" --listen "127.0.0.1:$p" --redis "$REDIS_URL" &
    SUPERVISOR[$p]=$!
    started $! "supervisor of tickgw :$p"
done
for p in $GW_PORTS; do
    wait_until "${SUPERVISOR[$p]}" "tickgw :$p to be ready (/readyz)" 15 http_ok "$p"
done

# 4. HAProxy with the shared config, the server list filled in for our ports.
servers=()
for p in $GW_PORTS; do servers+=("127.0.0.1:$p"); done
"$ROOT/deploy/haproxy/render.sh" -b "127.0.0.1:$LB_PORT" "${servers[@]}" > "$VAR/cluster/haproxy.cfg"
haproxy -q -c -f "$VAR/cluster/haproxy.cfg" || die "haproxy rejected $VAR/cluster/haproxy.cfg"
haproxy -db -f "$VAR/cluster/haproxy.cfg" &
started $! "haproxy :$LB_PORT"
wait_until $! "haproxy on :$LB_PORT" 10 http_ok "$LB_PORT"

say "ready: http://127.0.0.1:$LB_PORT/ (gateways on ${GW_PORTS// /, }, redis on $REDIS_PORT); Ctrl-C stops all"

# Run until Ctrl-C, or until one of the unsupervised processes dies.
set +e
wait -n "${PIDS[@]}"
rc=$?
# On a terminal's Ctrl-C the daemons get SIGINT too and may exit first: give
# our own SIGINT trap a moment to run, so that is reported as a Ctrl-C.
sleep 0.3
say "a process exited (status $rc): stopping the cluster"
exit 1
