# tests/gen/module.mk — integration tests of tickgen against a real redis-server.
NODE_TESTS += $(wildcard tests/gen/*.test.js)

# cmocka unit test of the candle builder (a pure part of the generator).
UNIT_TESTS += $(BUILD)/tests/gen/test_candles
$(BUILD)/tests/gen/test_candles.o: CFLAGS += -Igenerator
$(BUILD)/tests/gen/test_candles: $(BUILD)/tests/gen/test_candles.o $(BUILD)/generator/gen_candles.o $(LIBTS)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(shell pkg-config --libs hiredis) -lm

# `make test-ha-long`: the standby test's kill -9 / SIGSTOP rounds for a minute
# (make test runs four rounds of it).
.PHONY: test-ha-long
test-ha-long: deps
	@$(MAKE) --no-print-directory $(BUILD)/tickgen
	TS_BUILD=$(BUILD) TS_HA_DURATION_MS=60000 node --test --test-concurrency=1 tests/gen/standby.test.js

# cmocka unit test of the fenced write's arguments and reply (generator/gen_fence.c).
UNIT_TESTS += $(BUILD)/tests/gen/test_fence
$(BUILD)/tests/gen/test_fence.o: CFLAGS += -Igenerator
$(BUILD)/tests/gen/test_fence: $(BUILD)/tests/gen/test_fence.o $(BUILD)/generator/gen_fence.o
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(shell pkg-config --libs hiredis)

# cmocka unit test of the batches in flight (generator/gen_inflight.c).
UNIT_TESTS += $(BUILD)/tests/gen/test_inflight
$(BUILD)/tests/gen/test_inflight.o: CFLAGS += -Igenerator
$(BUILD)/tests/gen/test_inflight: $(BUILD)/tests/gen/test_inflight.o $(BUILD)/generator/gen_inflight.o
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

# cmocka unit test of since when each level holds every tick (generator/gen_levels.c).
UNIT_TESTS += $(BUILD)/tests/gen/test_levels
$(BUILD)/tests/gen/test_levels.o: CFLAGS += -Igenerator
$(BUILD)/tests/gen/test_levels: $(BUILD)/tests/gen/test_levels.o $(BUILD)/generator/gen_levels.o $(LIBTS)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(shell pkg-config --libs hiredis) -lm

# cmocka unit test of the Redis memory estimate (generator/gen_sizing.c).
UNIT_TESTS += $(BUILD)/tests/gen/test_sizing
$(BUILD)/tests/gen/test_sizing.o: CFLAGS += -Igenerator
$(BUILD)/tests/gen/test_sizing: $(BUILD)/tests/gen/test_sizing.o $(BUILD)/generator/gen_sizing.o $(LIBTS)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(shell pkg-config --libs hiredis) -lm

# cmocka unit test of the candles waiting to be written (generator/gen_defer.c).
UNIT_TESTS += $(BUILD)/tests/gen/test_defer
$(BUILD)/tests/gen/test_defer.o: CFLAGS += -Igenerator
$(BUILD)/tests/gen/test_defer: $(BUILD)/tests/gen/test_defer.o $(BUILD)/generator/gen_defer.o $(LIBTS)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(shell pkg-config --libs hiredis) -lm
