# bench/fill.sh — fill_days PORT DAYS: DAYS days of 1 Hz ticks of ticker_00,
# ending a second ago, written straight into the Redis on PORT (sourced by
# the benchmark scripts; tickgen then continues that stream from its last
# entry).
fill_days() {
    python3 - "$2" <<'PY' | redis-cli -p "$1" --pipe >/dev/null
import random, sys
n = 86400 * int(sys.argv[1])
now = (int(__import__("time").time()) - 1) * 1000
p = 0
out = sys.stdout
k = "ts:tick:{ticker_00}"
for i in range(n):
    t = now - (n - 1 - i) * 1000
    p += random.choice((-1, 1))
    v, tid = str(p), f"{t}-0"
    out.write(f"*5\r\n$4\r\nXADD\r\n${len(k)}\r\n{k}\r\n${len(tid)}\r\n{tid}\r\n$1\r\np\r\n${len(v)}\r\n{v}\r\n")
PY
}
