# tests/cluster/module.mk — the native cluster (deploy/run-cluster.sh) under load and a gateway kill.
NODE_TESTS += $(wildcard tests/cluster/*.test.js)
