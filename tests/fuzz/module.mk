# tests/fuzz/module.mk — libFuzzer targets for every parser of outside bytes
# (tests/fuzz/fuzz_*.c), built with Debian's clang and
# -fsanitize=fuzzer,address,undefined into build/fuzz, whatever SAN says.
#
#   make fuzz                  each target for FUZZ_SECONDS (default 60) s
#   make fuzz FUZZ_SECONDS=600 FUZZ_TARGETS="request live"
#   make fuzz-smoke            each target for 3 s (part of make test)
#
# Seeds are in tests/fuzz/corpus/<target>/; a run works on a copy in
# build/fuzz/corpus/<target>/ and leaves crashing inputs in
# build/fuzz/crashes/<target>/ (tools/fuzz.sh prints the table).
FUZZ_CC ?= clang
FUZZ_BUILD := build/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN) \
	-Icommon -Igateway/base -Igateway/net -Igateway/proto $(PKGS_CFLAGS)
FUZZ_ALL := request query origin live xreply rreply entry meta url opts sentinel pmd info utf8
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_SECONDS ?= 60
FUZZ_BINS := $(FUZZ_ALL:%=$(FUZZ_BUILD)/fuzz_%)
FUZZ_COMMON_OBJ := $(COMMON_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_GW_OBJ := $(addprefix $(FUZZ_BUILD)/gateway/,proto/gw_proto.o proto/gw_jread.o proto/gw_query.o proto/gw_enc.o proto/gw_policy.o base/gw_buf.o net/gw_xreply.o net/gw_rreply.o net/gw_pmd.o net/gw_deflate.o base/gw_utf8.o)

.PHONY: fuzz fuzz-smoke fuzz-build

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_GW_OBJ) $(FUZZ_COMMON_OBJ)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(shell pkg-config --libs hiredis 2>/dev/null) $(MSGPACK_LIBS) -lz -lm

# The generator's readers of what Redis holds: ts:meta's rollups_from
# (fuzz_meta) and INFO memory (fuzz_info).
$(FUZZ_BUILD)/tests/fuzz/fuzz_meta.o $(FUZZ_BUILD)/tests/fuzz/fuzz_info.o: FUZZ_CFLAGS += -Igenerator
$(FUZZ_BUILD)/fuzz_meta: $(FUZZ_BUILD)/generator/gen_levels.o
$(FUZZ_BUILD)/fuzz_info: $(FUZZ_BUILD)/generator/gen_sizing.o

fuzz-build: $(FUZZ_BINS)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@FUZZ_BUILD=$(FUZZ_BUILD) tools/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# make test's short run: every target, a few seconds each (the seeds first).
fuzz-smoke:
	@if ! command -v $(FUZZ_CC) >/dev/null 2>&1; then \
		echo "fuzz-smoke: SKIPPED: $(FUZZ_CC) not found (tools/deps.sh installs clang; run make deps)"; \
	else $(MAKE) --no-print-directory fuzz-build && FUZZ_BUILD=$(FUZZ_BUILD) tools/fuzz.sh 3 $(FUZZ_ALL); fi
