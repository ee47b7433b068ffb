# tests/gw/module.mk — gateway tests: cmocka units of the pure parts (protocol,
# ring, catch-up decisions, XRANGE reply reader, the live fan-out, write pacing, the flush and pace timer, the clock-step shift, the UTF-8 check) and node:test integration
# against real redis-server, tickgen, tickgw.
NODE_TESTS += $(wildcard tests/gw/*.test.js)

GW_UNIT := $(BUILD)/tests/gw/test_proto $(BUILD)/tests/gw/test_ring $(BUILD)/tests/gw/test_xreply $(BUILD)/tests/gw/test_cu \
	$(BUILD)/tests/gw/test_rplan $(BUILD)/tests/gw/test_policy $(BUILD)/tests/gw/test_rreply $(BUILD)/tests/gw/test_cfold $(BUILD)/tests/gw/test_board \
	$(BUILD)/tests/gw/test_dayref $(BUILD)/tests/gw/test_fan $(BUILD)/tests/gw/test_pmd $(BUILD)/tests/gw/test_pace \
	$(BUILD)/tests/gw/test_mtick $(BUILD)/tests/gw/test_client $(BUILD)/tests/gw/test_utf8
UNIT_TESTS += $(GW_UNIT)

$(BUILD)/tests/gw/test_proto: $(BUILD)/tests/gw/test_proto.o $(BUILD)/gateway/proto/gw_proto.o $(BUILD)/gateway/proto/gw_jread.o $(BUILD)/gateway/proto/gw_query.o $(BUILD)/gateway/proto/gw_enc.o $(BUILD)/gateway/base/gw_buf.o $(LIBTS)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(MSGPACK_LIBS) -lm

$(BUILD)/tests/gw/test_board: $(BUILD)/tests/gw/test_board.o $(BUILD)/gateway/proto/gw_proto.o $(BUILD)/gateway/proto/gw_jread.o $(BUILD)/gateway/proto/gw_query.o $(BUILD)/gateway/proto/gw_benc.o $(BUILD)/gateway/proto/gw_enc.o $(BUILD)/gateway/base/gw_buf.o $(LIBTS)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(MSGPACK_LIBS) -lm

# gw_dayref with its connection down: no h2o loop, no Redis (gw_rconn_lost is the test's).
$(BUILD)/tests/gw/test_dayref: $(BUILD)/tests/gw/test_dayref.o $(BUILD)/gateway/core/gw_dayref.o $(LIBTS)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(shell pkg-config --libs hiredis 2>/dev/null)

$(BUILD)/tests/gw/test_dayref.o: CFLAGS += -DH2O_USE_LIBUV=0 $(shell pkg-config --cflags libh2o-evloop 2>/dev/null)

$(BUILD)/tests/gw/test_ring: $(BUILD)/tests/gw/test_ring.o $(BUILD)/gateway/core/gw_ring.o
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

$(BUILD)/tests/gw/test_policy: $(BUILD)/tests/gw/test_policy.o $(BUILD)/gateway/proto/gw_policy.o
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

$(BUILD)/tests/gw/test_fan: $(BUILD)/tests/gw/test_fan.o $(BUILD)/gateway/core/gw_fan.o $(BUILD)/gateway/core/gw_ring.o $(BUILD)/gateway/proto/gw_enc.o $(BUILD)/gateway/base/gw_buf.o $(LIBTS)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(MSGPACK_LIBS) -lm

$(BUILD)/tests/gw/test_pmd: $(BUILD)/tests/gw/test_pmd.o $(BUILD)/gateway/net/gw_pmd.o $(BUILD)/gateway/net/gw_deflate.o $(BUILD)/gateway/base/gw_buf.o
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka -lz

$(BUILD)/tests/gw/test_pace: $(BUILD)/tests/gw/test_pace.o $(BUILD)/gateway/net/gw_pace.o
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

# gw_client's flush and pace timer on a real h2o loop; the test defines the
# transports (gw_wsconn, gw_sseconn, gw_deflate) as counters.
$(BUILD)/tests/gw/test_client: $(BUILD)/tests/gw/test_client.o $(BUILD)/gateway/net/gw_client.o $(BUILD)/gateway/net/gw_pace.o \
		$(BUILD)/gateway/net/gw_mtick.o $(BUILD)/gateway/base/gw_metrics.o $(BUILD)/gateway/base/gw_buf.o $(LIBTS)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(GW_LIBS)

$(BUILD)/tests/gw/test_client.o: CFLAGS += -DH2O_USE_LIBUV=0 $(GW_INC) $(shell pkg-config --cflags libh2o-evloop 2>/dev/null)

# gw_mtick on a real h2o loop (its timeouts' lists), nothing run.
$(BUILD)/tests/gw/test_mtick: $(BUILD)/tests/gw/test_mtick.o $(BUILD)/gateway/net/gw_mtick.o $(LIBTS)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(GW_LIBS)

$(BUILD)/tests/gw/test_mtick.o: CFLAGS += -DH2O_USE_LIBUV=0 $(GW_INC) $(shell pkg-config --cflags libh2o-evloop 2>/dev/null)

$(BUILD)/tests/gw/test_utf8: $(BUILD)/tests/gw/test_utf8.o $(BUILD)/gateway/base/gw_utf8.o
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

$(BUILD)/tests/gw/test_cu: $(BUILD)/tests/gw/test_cu.o $(BUILD)/gateway/core/gw_cu.o
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

$(BUILD)/tests/gw/test_rplan: $(BUILD)/tests/gw/test_rplan.o $(BUILD)/gateway/core/gw_rplan.o $(LIBTS)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(shell pkg-config --libs hiredis 2>/dev/null)

$(BUILD)/tests/gw/test_cfold: $(BUILD)/tests/gw/test_cfold.o $(BUILD)/gateway/core/gw_cfold.o $(BUILD)/gateway/core/gw_rplan.o $(LIBTS)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(shell pkg-config --libs hiredis 2>/dev/null)

$(BUILD)/tests/gw/test_xreply: $(BUILD)/tests/gw/test_xreply.o $(BUILD)/gateway/net/gw_xreply.o $(LIBTS)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(shell pkg-config --libs hiredis 2>/dev/null)

$(BUILD)/tests/gw/test_rreply: $(BUILD)/tests/gw/test_rreply.o $(BUILD)/gateway/net/gw_rreply.o $(BUILD)/gateway/net/gw_xreply.o $(LIBTS)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(shell pkg-config --libs hiredis 2>/dev/null)

$(BUILD)/tests/gw/%.o: CFLAGS += $(GW_INC)
