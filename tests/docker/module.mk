# tests/docker/module.mk — docker-compose for real: `make images` (from the
# Debian mirror alone), the README's Docker commands as written, the stack
# under SIGKILLs with 100 clients, and the Sentinel override under a failover. Starts dockerd when none runs; fails when
# no Docker engine can run. TS_DOCKER_CHAOS_S sets how long the kills last
# (20 s in `make test`); `make test-docker-long` gives them a minute.
NODE_TESTS += $(wildcard tests/docker/*.test.js)

.PHONY: test-docker test-docker-long
test-docker: deps
	TS_BUILD=$(BUILD) node --test --test-concurrency=1 $(wildcard tests/docker/*.test.js)

test-docker-long: deps
	TS_DOCKER_CHAOS_S=60 TS_BUILD=$(BUILD) node --test --test-concurrency=1 tests/docker/stack.test.js
