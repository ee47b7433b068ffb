# bench/module.mk — `make bench-gateway`: tickgw under 100 / 1,000 / 5,000
# WebSocket clients at 1 Hz and a stress rate, and the 86,400-tick catch-up
# (bench/gateway.sh writes the table for docs/PERFORMANCE.md); `make
# bench-range`: range answers over 30 days of history (bench/range.sh).
# Guarded: the top Makefile's include list can name this file twice.
ifndef BENCH_GATEWAY_MK
BENCH_GATEWAY_MK := 1

WSLOAD := $(BUILD)/bench/wsload
SOCKFLOOR := $(BUILD)/bench/sockfloor

$(SOCKFLOOR): $(BUILD)/bench/sockfloor.o
	$(CC) $(LDFLAGS) -o $@ $^

$(WSLOAD): $(BUILD)/bench/wsload.o $(LIBTS)
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs libevent libevent_pthreads hiredis 2>/dev/null) -pthread $(MSGPACK_LIBS) -lm

.PHONY: bench-gateway bench-board bench-range
bench: bench-gateway bench-board bench-range
bench-board: deps
	@$(MAKE) --no-print-directory $(BINS)
	BUILD=$(BUILD) bench/board.sh

bench-gateway: deps
	@$(MAKE) --no-print-directory $(BINS) $(WSLOAD) $(SOCKFLOOR)
	BUILD=$(BUILD) bench/gateway.sh

endif

# `make bench-range`: range answers over 30 days of 1 Hz history of one
# instrument (bench/range.sh; DAYS, PANS, POINTS override).
bench-range: deps
	@$(MAKE) --no-print-directory $(BINS)
	BUILD=$(BUILD) bench/range.sh
