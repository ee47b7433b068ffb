# bench/lib.sh — helpers the benchmark scripts share (sourced, not run).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# User + system CPU of a process, in clock ticks (hz per second).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)
# Waits until FILE has a line matching PATTERN; shows FILE and fails if PID exits first.
wait_log() {
    until grep -q "$2" "$1" 2>/dev/null; do
        kill -0 "$3" 2>/dev/null || { cat "$1"; exit 1; }
        sleep 0.1
    done
}

# What every benchmark sets up first: a temp dir TMP, the list pids of the
# processes it starts (stopped by PID when the script exits, then TMP
# removed; KEEP_LOG=1 shows $TMP/gen.log first), and the placement: the
# gateway alone on CPU 0 (CPU_GW), the rest on CPU 1 (CPU_REST), nothing
# pinned on a one-core machine.
bench_init() {
    TMP=$(mktemp -d)
    pids=()
    trap bench_cleanup EXIT
    CPU_GW="taskset -c 0"; CPU_REST="taskset -c 1"
    [ "$(nproc)" -ge 2 ] || { CPU_GW=""; CPU_REST=""; }
}
bench_cleanup() {
    [ -z "${KEEP_LOG:-}" ] || cat "$TMP/gen.log" >&2 || true
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    rm -rf "$TMP"
}
# A private redis-server without persistence on a free port RPORT (CPU_REST).
bench_redis() {
    RPORT=$(free_port)
    $CPU_REST redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$TMP" \
        --daemonize no --logfile "$TMP/redis.log" &
    pids+=($!)
    until redis-cli -p "$RPORT" ping >/dev/null 2>&1; do sleep 0.05; done
}
