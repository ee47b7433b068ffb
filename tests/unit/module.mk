# tests/unit/module.mk — cmocka unit tests of common/: one binary per file.
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_TESTS += $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%)

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(LIBTS)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(shell pkg-config --libs hiredis) $(MSGPACK_LIBS) -lm
