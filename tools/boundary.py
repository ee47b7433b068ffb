#!/usr/bin/env python3
"""tools/boundary.py - the RESP of one candle boundary, for tools/bench-boundary.sh.

usage: boundary.py MODE N LEVELS T

Writes to stdout, as redis-cli --pipe reads it, the candles that one tick
time closing LEVELS levels of N instruments carries, all in one MULTI/EXEC
as tickgen sends a tick time (docs/REDIS.md "Rollups"), in one of these
layouts:

  fenced  per-instrument streams, every XADD through a script doing what
          generator/gen_fence.c's does per command (redis.pcall(unpack(...))),
          4,096 commands per EVAL: what tickgen does today
  plain   per-instrument streams, plain XADDs (no fence): the floor of the
          layout itself
  packed  as plain, but one field "o h l c n" instead of five
  hash    time-major: one hash per level and bucket, a field per instrument
          holding "o h l c n", HSET 4,096 fields at a time (not our layout:
          the alternative measured)

T is the candle's time in ms (use a new one for every call).

usage: boundary.py history N BUCKETS T

The history a read is measured on: BUCKETS one-minute candles from T of
instrument 2 in its stream c:r:2 (five fields, as tickgen writes them), and
the same buckets of all N instruments as time-major hashes h:r:<time>."""
import sys

FENCE_LOOP = b"""local i, n = 1, #ARGV
while i <= n do
  local c = tonumber(ARGV[i])
  redis.pcall(unpack(ARGV, i + 1, i + c))
  i = i + c + 1
end
return 1"""
SLICE = 4096


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def main():
    mode, n, levels, t = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    if mode == "history":
        out = []
        for b in range(levels):
            bt = t + b * 60000
            out.append(resp("XADD", "c:r:2", "%d-0" % bt, "o", 100, "h", 105, "l", 95, "c", 101, "n", 60))
            for j in range(0, n, SLICE):
                args = ["HSET", "h:r:%d" % bt]
                for i in range(j, min(n, j + SLICE)):
                    args += ["ticker_%05d" % i, "100 105 95 101 60"]
                out.append(resp(*args))
        sys.stdout.buffer.write(b"".join(out))
        return
    minid = t - 86400000
    ohlcn = (100, 105, 95, 101, 60)
    out = [resp("MULTI")]
    if mode == "hash":
        for k in range(levels):
            key = "h:%d:%d" % (k, t)
            for j in range(0, n, SLICE):
                args = ["HSET", key]
                for i in range(j, min(n, j + SLICE)):
                    args += ["ticker_%05d" % i, "%d %d %d %d %d" % ohlcn]
                out.append(resp(*args))
            out.append(resp("PEXPIRE", key, 86400000))
    else:
        cmds = []
        for i in range(n):
            for k in range(levels):
                head = ["XADD", "c:%d:%d" % (k, i), "MINID", "~", minid, "%d-0" % t]
                if mode == "packed":
                    cmds.append(head + ["v", "%d %d %d %d %d" % ohlcn])
                else:
                    cmds.append(head + ["o", ohlcn[0], "h", ohlcn[1], "l", ohlcn[2], "c", ohlcn[3], "n", ohlcn[4]])
        if mode == "fenced":
            for j in range(0, len(cmds), SLICE):
                args = ["EVAL", FENCE_LOOP, "0"]
                for c in cmds[j:j + SLICE]:
                    args += [len(c)] + c
                out.append(resp(*args))
        elif mode in ("plain", "packed"):
            out += [resp(*c) for c in cmds]
        else:
            sys.exit("boundary.py: unknown mode %r (fenced, plain, packed, hash)" % mode)
    out.append(resp("EXEC"))
    sys.stdout.buffer.write(b"".join(out))


if __name__ == "__main__":
    main()
