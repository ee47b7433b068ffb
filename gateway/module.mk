# gateway/module.mk — build/tickgw (h2o evloop + wslay + hiredis, NOTES-h2o.md).
#
# The folders are the layers, bottom up: base/ (buffers, counters, config),
# net/ (WebSocket and Redis connections, the XRANGE reply reader), proto/
# (request parser, encoders), core/ (ring, catch-up decisions, live feed,
# subscriptions), and gateway/ itself (worker wiring, sessions, HTTP, main).
# An #include may point only down or sideways (tests/gw/layers.test.js).
# -DH2O_USE_LIBUV=0 is also defined in the headers: without it h2o's headers
# assume the libuv flavour and compile against the wrong struct layouts.
GW_LAYERS := base net proto core
GW_INC := $(GW_LAYERS:%=-Igateway/%) -Igateway
GW_SRC := $(wildcard $(GW_LAYERS:%=gateway/%/*.c) gateway/*.c)
GW_OBJ := $(GW_SRC:%.c=$(BUILD)/%.o)
GW_LIBS = $(shell pkg-config --libs libh2o-evloop hiredis 2>/dev/null) -lwslay -lssl -lcrypto -lz -pthread $(MSGPACK_LIBS) -lm
BINS += $(BUILD)/tickgw

$(GW_OBJ): CFLAGS += -DH2O_USE_LIBUV=0 $(GW_INC) $(shell pkg-config --cflags libh2o-evloop 2>/dev/null)

$(BUILD)/tickgw: $(GW_OBJ) $(LIBTS)
	$(CC) $(LDFLAGS) -o $@ $^ $(GW_LIBS)
