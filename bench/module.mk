# bench/module.mk — `make bench-gateway`: tickgw under 100 / 1,000 / 5,000
# WebSocket clients at 1 Hz and a stress rate, and the 86,400-tick catch-up
# (bench/gateway.sh writes the table for docs/PERFORMANCE.md); `make
# bench-range`: range answers over 30 days of history (bench/range.sh);
# `make bench-page`: the page over 7 and 30 days (bench/page.sh);
# `make bench-callgrind`: tickgw's instructions per delivered tick;
# `make bench-candlefan`: a live candle update's cost against a tick's.
# Guarded: the top Makefile's include list can name this file twice.
ifndef BENCH_GATEWAY_MK
BENCH_GATEWAY_MK := 1

WSLOAD := $(BUILD)/bench/wsload
SOCKFLOOR := $(BUILD)/bench/sockfloor

$(SOCKFLOOR): $(BUILD)/bench/sockfloor.o
	$(CC) $(LDFLAGS) -o $@ $^

# The reconnect storm's client: tests/gw/storm.test.js runs it in make test,
# so it is built with the daemons.
WSSTORM := $(BUILD)/bench/wsstorm
BINS += $(WSSTORM)
$(WSSTORM): $(BUILD)/bench/wsstorm.o $(BUILD)/bench/wsc.o $(LIBTS)
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs libevent 2>/dev/null) $(MSGPACK_LIBS) -lz

$(WSLOAD): $(BUILD)/bench/wsload.o $(BUILD)/bench/wsc.o $(LIBTS)
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs libevent libevent_pthreads hiredis 2>/dev/null) -pthread $(MSGPACK_LIBS) -lz -lm

.PHONY: bench-gateway bench-board bench-range bench-page storm bench-callgrind bench-candlefan
bench: bench-gateway bench-board bench-range bench-page
bench-candlefan: deps
	@$(MAKE) --no-print-directory $(BINS)
	BUILD=$(BUILD) bench/candlefan.sh

bench-board: deps
	@$(MAKE) --no-print-directory $(BINS)
	BUILD=$(BUILD) bench/board.sh

# Instructions per delivered tick, before/after: GWS="old/tickgw build/tickgw"
# make bench-callgrind (bench/callgrind.sh; not part of `make bench`).
bench-callgrind: deps
	@$(MAKE) --no-print-directory $(BINS) $(WSLOAD)
	BUILD=$(BUILD) bench/callgrind.sh

bench-gateway: deps
	@$(MAKE) --no-print-directory $(BINS) $(WSLOAD) $(SOCKFLOOR)
	BUILD=$(BUILD) bench/gateway.sh

# `make storm`: the reconnect storm at full size, 5,000 clients moving from a
# gateway killed with SIGKILL to another (make test runs it with 1,000).
storm: deps
	@$(MAKE) --no-print-directory $(BINS)
	TS_BUILD=$(BUILD) STORM_CONNS=$${STORM_CONNS:-5000} node --test --test-concurrency=1 tests/gw/storm.test.js

endif

# `make bench-range`: range answers over 30 days of 1 Hz history of one
# instrument (bench/range.sh; DAYS, PANS, POINTS override).
bench-range: deps
	@$(MAKE) --no-print-directory $(BINS)
	BUILD=$(BUILD) bench/range.sh

# `make bench-memory`: the Redis memory of a stream, a tick and a candle, the
# constants of tickgen's estimate (bench/memory.sh; DAYS=7, N=1000 override;
# docs/REDIS.md "Sizing"). Not part of `make bench`: it measures, times nothing.
.PHONY: bench-memory
bench-memory: deps
	@$(MAKE) --no-print-directory $(BINS)
	BUILD=$(BUILD) bench/memory.sh

# `make bench-page`: the page's first load and instrument switch over 7 and
# 30 days of history, main's page (BEFORE=<rev> to change) vs this tree's
# (bench/page.sh).
bench-page: deps
	@$(MAKE) --no-print-directory $(BINS)
	BUILD=$(BUILD) bench/page.sh
