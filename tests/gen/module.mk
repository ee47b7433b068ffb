# tests/gen/module.mk — integration tests of tickgen against a real redis-server.
NODE_TESTS += $(wildcard tests/gen/*.test.js)
