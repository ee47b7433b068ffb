# webui/module.mk — the page's third-party libraries, copied from node_modules
# (pinned by package-lock.json) into webui/vendor/, which the gateway serves
# like any other file under --webui. Nothing is loaded from a CDN.
#
# The copies do not depend on $(BUILD): the gateway serves webui/ itself, so
# `make` and `make SAN=1` share one vendor/ directory (it is in .gitignore).
#
# msgpack: the UMD bundle is one self-contained file; its ESM build is 15
# files named *.mjs, which h2o 2.2's default MIME map does not know, and a
# browser refuses a module script served as application/octet-stream.
WEBUI_VENDOR := webui/vendor/uPlot.esm.js webui/vendor/uPlot.min.css \
	webui/vendor/msgpack.min.js webui/vendor/msgpack.min.js.map
BINS += $(WEBUI_VENDOR)

webui/vendor/uPlot.esm.js webui/vendor/uPlot.min.css: webui/vendor/%: node_modules/uplot/dist/%
	@mkdir -p $(dir $@)
	cp $< $@

webui/vendor/msgpack.min.js webui/vendor/msgpack.min.js.map: webui/vendor/%: node_modules/@msgpack/msgpack/dist.umd/%
	@mkdir -p $(dir $@)
	cp $< $@

.PHONY: clean-webui
clean: clean-webui
clean-webui:
	rm -rf webui/vendor

# A fresh clone has no node_modules until `make deps`: say so in one line
# rather than "No rule to make target". (A present file has no
# prerequisites, so this recipe never runs once npm ci has.)
node_modules/%:
	@echo "make: $@ is missing: run 'make deps' first (apt packages and npm ci; 'make run' and 'make test' do it themselves)" >&2; exit 2
