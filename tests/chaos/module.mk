# tests/chaos/module.mk — kill -9 of random parts of the whole topology under
# 100 resuming clients (tests/chaos/chaos.js). `make test` runs 40 s of it;
# `make chaos` runs CHAOS_SECONDS (300) and prints the faults survived.
NODE_TESTS += $(wildcard tests/chaos/*.test.js)

.PHONY: chaos
chaos: deps
	@$(MAKE) --no-print-directory $(BINS)
	TS_BUILD=$(BUILD) node tests/chaos/run.js
