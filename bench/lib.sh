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
