# tests/gen/module.mk — integration tests of tickgen against a real redis-server.
NODE_TESTS += $(wildcard tests/gen/*.test.js)

# cmocka unit test of the candle builder (a pure part of the generator).
UNIT_TESTS += $(BUILD)/tests/gen/test_candles
$(BUILD)/tests/gen/test_candles.o: CFLAGS += -Igenerator
$(BUILD)/tests/gen/test_candles: $(BUILD)/tests/gen/test_candles.o $(BUILD)/generator/gen_candles.o $(LIBTS)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(shell pkg-config --libs hiredis) -lm
