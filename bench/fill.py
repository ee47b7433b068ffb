# bench/fill.py — DAYS of 1 s ticks of one instrument ending a second ago, a
# ±1 walk, as Redis protocol for `redis-cli --pipe` (much faster than
# XADDs one by one). The bench scripts then run tickgen --rebuild-rollups
# to make the candles, as an upgraded deployment would.
#
# python3 bench/fill.py DAYS NAME | redis-cli -p PORT --pipe
import random, sys, time
n = int(float(sys.argv[1]) * 86400)
now = int(time.time()) * 1000 - 1000
k = f"ts:tick:{{{sys.argv[2]}}}"
head = f"*5\r\n$4\r\nXADD\r\n${len(k)}\r\n{k}\r\n"
rnd = random.Random(7)
p, out, buf = 0, sys.stdout, []
for i in range(n):
    p += 1 if rnd.random() < 0.5 else -1
    tid, v = f"{now - (n - 1 - i) * 1000}-0", str(p)
    buf.append(f"{head}${len(tid)}\r\n{tid}\r\n$1\r\np\r\n${len(v)}\r\n{v}\r\n")
    if len(buf) == 10000:
        out.write("".join(buf)); buf = []
out.write("".join(buf))
