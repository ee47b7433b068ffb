# gateway/module.mk — build/tickgw (h2o evloop + wslay + hiredis, NOTES-h2o.md).
# -DH2O_USE_LIBUV=0 is also defined in gw.h: without it h2o's headers assume
# the libuv flavour and compile against the wrong struct layouts.
GW_SRC := $(wildcard gateway/*.c)
GW_OBJ := $(GW_SRC:%.c=$(BUILD)/%.o)
GW_LIBS = $(shell pkg-config --libs libh2o-evloop hiredis 2>/dev/null) -lwslay -lssl -lcrypto -pthread $(MSGPACK_LIBS) -lm
BINS += $(BUILD)/tickgw

$(GW_OBJ): CFLAGS += -DH2O_USE_LIBUV=0 $(shell pkg-config --cflags libh2o-evloop 2>/dev/null)

$(BUILD)/tickgw: $(GW_OBJ) $(LIBTS)
	$(CC) $(LDFLAGS) -o $@ $^ $(GW_LIBS)
