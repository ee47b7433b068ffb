# tests/deploy/module.mk — static checks of the deploy files (compose, Dockerfile,
# HAProxy, systemd) and the containers' health check script.
NODE_TESTS += $(wildcard tests/deploy/*.test.js)
