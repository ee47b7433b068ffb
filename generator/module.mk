# generator/module.mk — build/tickgen
GEN_SRC := $(wildcard generator/*.c)
GEN_OBJ := $(GEN_SRC:%.c=$(BUILD)/%.o)
BINS += $(BUILD)/tickgen

$(BUILD)/tickgen: $(GEN_OBJ) $(LIBTS)
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs hiredis libevent 2>/dev/null) $(MSGPACK_LIBS) -lm

# `make bench-generator`: tickgen's write rate beside redis-benchmark's (docs/PERFORMANCE.md).
bench-generator: deps
	@$(MAKE) --no-print-directory $(BUILD)/tickgen
	BUILD=$(BUILD) tools/bench-generator.sh
bench: bench-generator

# `make bench-fence OLD=/tmp/old/build/tickgen`: what the fenced write costs,
# against a tickgen built before the lease (docs/PERFORMANCE.md); not part of
# `make bench`, as it needs that second build.
.PHONY: bench-fence
bench-fence: $(BUILD)/tickgen
	OLD=$(OLD) NEW=$(BUILD)/tickgen tools/bench-fence.sh

# `make bench-boundary`: what one Redis core needs for the candles of a
# boundary at 100,000 instruments, in our layout and the alternatives
# (docs/PERFORMANCE.md); no tickgen involved, not part of `make bench`.
.PHONY: bench-boundary
bench-boundary: deps
	READS="$(or $(READS),100:10000 5000:2000)" tools/bench-boundary.sh

# `make bench-backfill [BASE=<build dir>]`: Redis CPU per tick time in a
# backfill, against another build's tickgen when BASE is given (docs/PERFORMANCE.md).
.PHONY: bench-backfill
bench-backfill: deps
	@$(MAKE) --no-print-directory $(BUILD)/tickgen
	BUILD=$(BUILD) BASE=$(BASE) tools/bench-backfill.sh
