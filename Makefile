# tickstream — `make run` and `make test` are the two commands a user needs.
#
# Each module adds its binaries and objects through its own module.mk, so the
# daemons, the tests and the benchmarks stay out of each other's way here.
# `make SAN=1 …` builds into build/san with ASan+UBSan.

SAN ?= 0
ifeq ($(SAN),1)
BUILD := build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD := build
SANFLAGS :=
endif

CC ?= cc
# Recursive (=) so pkg-config only runs when something is compiled, after `make deps`.
PKGS_CFLAGS = $(shell pkg-config --cflags hiredis libevent msgpack 2>/dev/null)
CFLAGS = -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g -MMD -MP $(SANFLAGS) -Icommon $(PKGS_CFLAGS)
LDFLAGS = $(SANFLAGS)
MSGPACK_LIBS = $(shell pkg-config --libs msgpack 2>/dev/null || echo -lmsgpackc)

COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
LIBTS := $(BUILD)/libts.a

BINS :=
UNIT_TESTS :=
NODE_TESTS :=

.SECONDARY:
.PHONY: all deps run run-cluster test unit-test node-test bench bench-generator clean
all:

include $(wildcard */module.mk tests/*/module.mk)

all: $(BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIBTS): $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

deps:
	@tools/deps.sh

# Both commands install what is missing first, so each works alone on a fresh
# Debian 12; the recursive make then sees the freshly installed pkg-config data.
run: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) tools/run.sh

test: deps
	@$(MAKE) --no-print-directory all unit-test fuzz-smoke node-test

unit-test: $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do echo "== $$t"; $$t; done

node-test: $(BINS)
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp TS_BUILD=$(BUILD) node --test --test-concurrency=1 $(NODE_TESTS)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
