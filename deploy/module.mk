# deploy/module.mk — `make run-cluster`: the docker-compose topology natively
# (redis 6390, gateways 8081 and 8082, HAProxy on 8080; see deploy/README.md).
# Like `make run`: install what is missing, build, then run in the foreground.
run-cluster: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) deploy/run-cluster.sh

# `make images`: every image docker-compose.yml uses, built from a Debian
# mirror alone (tools/images.sh; deploy/README.md). EXTRA_CA_FILES: extra CA
# certificates the builds trust (apt, npm) — by default the host's own
# additions to its system bundle, which is where a TLS-intercepting proxy's
# CA goes on Debian. TS_EXTRA_CA_CERTS (PEM text), when set, wins.
EXTRA_CA_FILES ?= $(wildcard /usr/local/share/ca-certificates/*.crt)
.PHONY: images
images:
	@TS_EXTRA_CA_FILES="$(EXTRA_CA_FILES)" tools/images.sh
