# tests/build/module.mk — what a newcomer meets on a fresh clone.
NODE_TESTS += $(wildcard tests/build/*.test.js)
