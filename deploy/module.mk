# deploy/module.mk — `make run-cluster`: the docker-compose topology natively
# (redis 6390, gateways 8081 and 8082, HAProxy on 8080; see deploy/README.md).
# Like `make run`: install what is missing, build, then run in the foreground.
run-cluster: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) deploy/run-cluster.sh

# `make images`: every image docker-compose.yml uses, built from a Debian
# mirror alone (tools/images.sh; deploy/README.md).
.PHONY: images
images:
	@tools/images.sh
