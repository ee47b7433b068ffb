# tests/browser/module.mk — the web page in headless Chromium (playwright-core)
# against real redis-server, tickgen and tickgw; needs webui/vendor/ (in BINS).
NODE_TESTS += $(wildcard tests/browser/*.test.js)
